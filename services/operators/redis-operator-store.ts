import type { Cluster, Redis } from 'ioredis';
import type { NodeKeyRevocation, OperatorAccount, OperatorStore, OperatorTokenRecord } from './operator-store.js';

/**
 * Operator accounts in Redis, as JSON strings without TTL: they outlive every instance. Each call
 * touches one key, so the same code runs on a Cluster.
 */
export class RedisOperatorStore implements OperatorStore {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;

  /** The client belongs to the caller (the node store), which closes it. */
  constructor(client: Redis | Cluster, keyPrefix: string) {
    this.#client = client;
    this.#prefix = keyPrefix;
  }

  async putOperator(account: OperatorAccount): Promise<void> {
    await this.#client.set(this.#key('operator', account.operatorId), JSON.stringify(account));
  }

  async getOperator(operatorId: string): Promise<OperatorAccount | null> {
    return this.#json<OperatorAccount>(this.#key('operator', operatorId));
  }

  async putToken(token: OperatorTokenRecord): Promise<void> {
    await this.#client.set(this.#key('operator-token', token.tokenId), JSON.stringify(token));
    await this.#client.sadd(this.#key('operator-tokens', token.operatorId), token.tokenId);
  }

  async getToken(tokenId: string): Promise<OperatorTokenRecord | null> {
    return this.#json<OperatorTokenRecord>(this.#key('operator-token', tokenId));
  }

  async listTokens(operatorId: string): Promise<OperatorTokenRecord[]> {
    const tokenIds = await this.#client.smembers(this.#key('operator-tokens', operatorId));
    const tokens = await Promise.all(tokenIds.map((tokenId) => this.getToken(tokenId)));
    return tokens.filter((token): token is OperatorTokenRecord => token !== null);
  }

  async setNodeOwner(nodeId: string, operatorId: string): Promise<void> {
    await this.#client.set(this.#key('node-owner', nodeId), operatorId);
  }

  async nodeOwner(nodeId: string): Promise<string | null> {
    return this.#client.get(this.#key('node-owner', nodeId));
  }

  async putNodeRevocation(revocation: NodeKeyRevocation): Promise<void> {
    await this.#client.set(this.#key('revoked-node', revocation.nodeId), JSON.stringify(revocation));
  }

  async getNodeRevocation(nodeId: string): Promise<NodeKeyRevocation | null> {
    return this.#json<NodeKeyRevocation>(this.#key('revoked-node', nodeId));
  }

  #key(kind: string, id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  async #json<T>(key: string): Promise<T | null> {
    const value = await this.#client.get(key);
    return value === null ? null : (JSON.parse(value) as T);
  }
}
