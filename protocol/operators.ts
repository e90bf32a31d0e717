/**
 * Bodies of the operator-account API: an admin creates operator accounts and closes them; an
 * operator (or the admin) issues and revokes the account's tokens and revokes its nodes' keys.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id } from './http.js';

/** How an account token looks: `ept_<token id>.<secret>`; the id finds the record, the secret proves it. */
export const OPERATOR_TOKEN_PATTERN = /^ept_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export const CreateOperatorRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    /** Lifetime of the first token; a year when absent. */
    tokenTtlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);
export type CreateOperatorRequest = Static<typeof CreateOperatorRequest>;

export const IssueOperatorTokenRequest = Type.Object(
  { ttlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })) },
  { additionalProperties: false },
);
export type IssueOperatorTokenRequest = Static<typeof IssueOperatorTokenRequest>;

/** A new token: the only time its secret is shown. */
export const OperatorTokenIssued = Type.Object({
  tokenId: Type.String(),
  operatorId: Id,
  token: Type.String(),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
});
export type OperatorTokenIssued = Static<typeof OperatorTokenIssued>;

export const OperatorTokenView = Type.Object({
  tokenId: Type.String(),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
  revokedAt: Type.Optional(Type.Integer()),
});
export type OperatorTokenView = Static<typeof OperatorTokenView>;

export const OperatorView = Type.Object({
  operatorId: Id,
  name: Type.String(),
  createdAt: Type.Integer(),
  closedAt: Type.Optional(Type.Integer()),
  tokens: Type.Array(OperatorTokenView),
});
export type OperatorView = Static<typeof OperatorView>;

export const OperatorCreated = Type.Object({
  operatorId: Id,
  name: Type.String(),
  createdAt: Type.Integer(),
  token: OperatorTokenIssued,
});
export type OperatorCreated = Static<typeof OperatorCreated>;

export const NodeKeyRevoked = Type.Object({ nodeId: Id, operatorId: Id, revokedAt: Type.Integer() });
export type NodeKeyRevoked = Static<typeof NodeKeyRevoked>;

export const OperatorParams = Type.Object({ operatorId: Id });
export const OperatorTokenParams = Type.Object({ operatorId: Id, tokenId: Type.String({ pattern: '^[0-9a-f]{16}$' }) });
export const OperatorNodeParams = Type.Object({ operatorId: Id, nodeId: Id });
