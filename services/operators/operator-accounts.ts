/**
 * Operator accounts: each operator has its own tokens (issued, expiring, revocable, stored as
 * digests) and owns the nodes registered with them. The static tokens given on the command line
 * (`--operator-token`, the one-machine default) keep working beside the accounts.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../protocol/errors.js';
import {
  OPERATOR_TOKEN_PATTERN,
  type NodeKeyRevoked,
  type OperatorCreated,
  type OperatorTokenIssued,
  type OperatorTokenView,
  type OperatorView,
} from '../../protocol/operators.js';
import type { OperatorTokens } from '../auth/operator-tokens.js';
import type { Logger } from '../logging/logger.js';
import { sha256 } from './admin-auth.js';
import type { OperatorAccount, OperatorStore, OperatorTokenRecord } from './operator-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_TOKEN_TTL_DAYS = 365;

export interface OperatorAccountsOptions {
  store: OperatorStore;
  staticTokens: OperatorTokens;
  log: Logger;
}

export class OperatorAccounts {
  readonly #store: OperatorStore;
  readonly #staticTokens: OperatorTokens;
  readonly #log: Logger;

  constructor(options: OperatorAccountsOptions) {
    this.#store = options.store;
    this.#staticTokens = options.staticTokens;
    this.#log = options.log.child({ component: 'operator-accounts' });
  }

  async createOperator(name: string, tokenTtlDays = DEFAULT_TOKEN_TTL_DAYS): Promise<OperatorCreated> {
    const account: OperatorAccount = { operatorId: `op${randomBytes(8).toString('hex')}`, name, createdAt: Date.now() };
    await this.#store.putOperator(account);
    const token = await this.#issue(account.operatorId, tokenTtlDays);
    this.#log.info({ operatorId: account.operatorId, name }, 'operator account created');
    return { ...account, token };
  }

  async issueToken(operatorId: string, ttlDays = DEFAULT_TOKEN_TTL_DAYS): Promise<OperatorTokenIssued> {
    await this.#openAccount(operatorId);
    return this.#issue(operatorId, ttlDays);
  }

  async revokeToken(operatorId: string, tokenId: string): Promise<OperatorTokenView> {
    const token = await this.#store.getToken(tokenId);
    if (token === null || token.operatorId !== operatorId) throw new AppError('OPERATOR_TOKEN_NOT_FOUND');
    if (token.revokedAt === undefined) {
      token.revokedAt = Date.now();
      await this.#store.putToken(token);
      this.#log.info({ operatorId, tokenId }, 'operator token revoked');
    }
    return tokenView(token);
  }

  /** Closes the account: its tokens stop working; its nodes' keys stay valid until revoked. */
  async closeOperator(operatorId: string): Promise<OperatorView> {
    const account = await this.#account(operatorId);
    if (account.closedAt === undefined) {
      account.closedAt = Date.now();
      await this.#store.putOperator(account);
      this.#log.info({ operatorId }, 'operator account closed');
    }
    return this.view(operatorId);
  }

  async view(operatorId: string): Promise<OperatorView> {
    const account = await this.#account(operatorId);
    const tokens = await this.#store.listTokens(operatorId);
    return { ...account, tokens: tokens.sort((a, b) => a.createdAt - b.createdAt).map(tokenView) };
  }

  /**
   * The operator id a token stands for. Account tokens: UNAUTHORIZED when unknown,
   * OPERATOR_TOKEN_REVOKED, OPERATOR_TOKEN_EXPIRED, OPERATOR_CLOSED; other tokens must be one of
   * the static ones.
   */
  async authenticate(token: string | null): Promise<string> {
    const tokenId = token === null ? undefined : OPERATOR_TOKEN_PATTERN.exec(token)?.[1];
    if (token === null || tokenId === undefined) return this.#staticTokens.authenticate(token);
    const record = await this.#store.getToken(tokenId);
    if (record === null || !timingSafeEqual(Buffer.from(record.digest, 'hex'), sha256(token))) {
      throw new AppError('UNAUTHORIZED', 'The operator token is not valid.');
    }
    if (record.revokedAt !== undefined) throw new AppError('OPERATOR_TOKEN_REVOKED');
    if (record.expiresAt <= Date.now()) throw new AppError('OPERATOR_TOKEN_EXPIRED', `This operator token expired at ${new Date(record.expiresAt).toISOString()}.`);
    await this.#openAccount(record.operatorId);
    return record.operatorId;
  }

  /** Refuses a node whose key was revoked (NODE_KEY_REVOKED). */
  async checkNodeKey(nodeId: string): Promise<void> {
    const revocation = await this.#store.getNodeRevocation(nodeId);
    if (revocation !== null) {
      throw new AppError('NODE_KEY_REVOKED', `The key of node ${nodeId} was revoked at ${new Date(revocation.revokedAt).toISOString()}: create a new key and register again.`);
    }
  }

  async recordNodeOwner(nodeId: string, operatorId: string): Promise<void> {
    await this.#store.setNodeOwner(nodeId, operatorId);
  }

  /**
   * Revokes a node's key for good. An operator may revoke only nodes registered with its own
   * tokens (NODE_NOT_OWNED otherwise): a rival could otherwise lock a competitor's rigs out.
   */
  async revokeNodeKey(operatorId: string, nodeId: string): Promise<NodeKeyRevoked> {
    const owner = await this.#store.nodeOwner(nodeId);
    if (owner !== operatorId) throw new AppError('NODE_NOT_OWNED', `Node ${nodeId} was not registered with operator ${operatorId}'s tokens.`);
    const existing = await this.#store.getNodeRevocation(nodeId);
    if (existing !== null) return existing;
    const revocation = { nodeId, operatorId, revokedAt: Date.now() };
    await this.#store.putNodeRevocation(revocation);
    this.#log.warn({ operatorId, nodeId }, 'node key revoked');
    return revocation;
  }

  async #issue(operatorId: string, ttlDays: number): Promise<OperatorTokenIssued> {
    const tokenId = randomBytes(8).toString('hex');
    const token = `ept_${tokenId}.${randomBytes(32).toString('base64url')}`;
    const createdAt = Date.now();
    const record: OperatorTokenRecord = { tokenId, operatorId, digest: sha256(token).toString('hex'), createdAt, expiresAt: createdAt + ttlDays * DAY_MS };
    await this.#store.putToken(record);
    this.#log.info({ operatorId, tokenId }, 'operator token issued');
    return { tokenId, operatorId, token, createdAt, expiresAt: record.expiresAt };
  }

  async #account(operatorId: string): Promise<OperatorAccount> {
    const account = await this.#store.getOperator(operatorId);
    if (account === null) throw new AppError('OPERATOR_NOT_FOUND');
    return account;
  }

  async #openAccount(operatorId: string): Promise<OperatorAccount> {
    const account = await this.#account(operatorId);
    if (account.closedAt !== undefined) throw new AppError('OPERATOR_CLOSED');
    return account;
  }
}

function tokenView({ tokenId, createdAt, expiresAt, revokedAt }: OperatorTokenRecord): OperatorTokenView {
  return revokedAt === undefined ? { tokenId, createdAt, expiresAt } : { tokenId, createdAt, expiresAt, revokedAt };
}
