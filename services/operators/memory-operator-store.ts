import type { NodeKeyRevocation, OperatorAccount, OperatorStore, OperatorTokenRecord } from './operator-store.js';

/** The embedded store's operator accounts, for one machine. */
export class MemoryOperatorStore implements OperatorStore {
  readonly #operators = new Map<string, OperatorAccount>();
  readonly #tokens = new Map<string, OperatorTokenRecord>();
  readonly #owners = new Map<string, string>();
  readonly #revocations = new Map<string, NodeKeyRevocation>();

  async putOperator(account: OperatorAccount): Promise<void> {
    this.#operators.set(account.operatorId, structuredClone(account));
  }

  async getOperator(operatorId: string): Promise<OperatorAccount | null> {
    return cloneOrNull(this.#operators.get(operatorId));
  }

  async putToken(token: OperatorTokenRecord): Promise<void> {
    this.#tokens.set(token.tokenId, structuredClone(token));
  }

  async getToken(tokenId: string): Promise<OperatorTokenRecord | null> {
    return cloneOrNull(this.#tokens.get(tokenId));
  }

  async listTokens(operatorId: string): Promise<OperatorTokenRecord[]> {
    return [...this.#tokens.values()].filter((token) => token.operatorId === operatorId).map((token) => structuredClone(token));
  }

  async setNodeOwner(nodeId: string, operatorId: string): Promise<void> {
    this.#owners.set(nodeId, operatorId);
  }

  async nodeOwner(nodeId: string): Promise<string | null> {
    return this.#owners.get(nodeId) ?? null;
  }

  async putNodeRevocation(revocation: NodeKeyRevocation): Promise<void> {
    this.#revocations.set(revocation.nodeId, structuredClone(revocation));
  }

  async getNodeRevocation(nodeId: string): Promise<NodeKeyRevocation | null> {
    return cloneOrNull(this.#revocations.get(nodeId));
  }
}

function cloneOrNull<T>(value: T | undefined): T | null {
  return value === undefined ? null : structuredClone(value);
}
