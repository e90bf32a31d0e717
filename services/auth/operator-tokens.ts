/**
 * The tokens edge operators register nodes with. Only their digests are kept, and a node remembers
 * the digest of the token that registered it (its operator id), never the token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../protocol/errors.js';

export class OperatorTokens {
  /** sha256(token) hex -> operator id */
  readonly #operators = new Map<string, string>();

  constructor(tokens: readonly string[]) {
    if (tokens.length === 0) throw new RangeError('at least one operator token is required');
    for (const token of tokens) {
      const digest = sha256Hex(token);
      this.#operators.set(digest, `op${digest.slice(0, 16)}`);
    }
  }

  static generateToken(): string {
    return `ept_${randomBytes(32).toString('base64url')}`;
  }

  /** The operator id for a valid token; throws UNAUTHORIZED otherwise. */
  authenticate(token: string | null): string {
    const operatorId = token === null ? undefined : this.#operators.get(sha256Hex(token));
    if (operatorId === undefined) throw new AppError('UNAUTHORIZED', 'A valid operator token is required to register a node.');
    return operatorId;
  }
}

/** Looking up a digest rather than the token keeps lookup timing unrelated to the secret's bytes. */
function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
