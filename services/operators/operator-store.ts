/**
 * Where operator accounts, their token digests and revoked node keys live: in process for one
 * machine, in Redis when instances share state. Never a token itself, only its SHA-256.
 */
export interface OperatorAccount {
  operatorId: string;
  name: string;
  createdAt: number;
  /** Set when the admin closed the account: every token of it stops working. */
  closedAt?: number;
}

export interface OperatorTokenRecord {
  tokenId: string;
  operatorId: string;
  /** SHA-256 of the whole token, hex. */
  digest: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
}

export interface NodeKeyRevocation {
  nodeId: string;
  operatorId: string;
  revokedAt: number;
}

export interface OperatorStore {
  putOperator(account: OperatorAccount): Promise<void>;
  getOperator(operatorId: string): Promise<OperatorAccount | null>;
  /** Saves the token and lists it under its operator. */
  putToken(token: OperatorTokenRecord): Promise<void>;
  getToken(tokenId: string): Promise<OperatorTokenRecord | null>;
  listTokens(operatorId: string): Promise<OperatorTokenRecord[]>;
  /** The operator whose token last registered the node: only they (or the admin) may revoke its key. */
  setNodeOwner(nodeId: string, operatorId: string): Promise<void>;
  nodeOwner(nodeId: string): Promise<string | null>;
  putNodeRevocation(revocation: NodeKeyRevocation): Promise<void>;
  getNodeRevocation(nodeId: string): Promise<NodeKeyRevocation | null>;
}
