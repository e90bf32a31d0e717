/**
 * What the operator page shows: the operator's nodes with their state, checks, reputation, the
 * latency their players measured, usage and earnings.
 *
 *   GET /v1/operators/me/overview?from=&to=   (operator token) -> 200 OperatorOverview
 */
import { Type, type Static } from '@sinclair/typebox';
import { NodeVerification } from './checks.js';
import { GeoPoint, Id } from './http.js';
import { SessionSettlement } from './metering.js';

export const OperatorNodeState = Type.Union([Type.Literal('live'), Type.Literal('suspended'), Type.Literal('offline')]);
export type OperatorNodeState = Static<typeof OperatorNodeState>;

export const OperatorNodeOverview = Type.Object({
  nodeId: Id,
  /** Null for a node that is offline: only what it earned is still known. */
  name: Type.Union([Type.String(), Type.Null()]),
  location: Type.Union([GeoPoint, Type.Null()]),
  state: OperatorNodeState,
  gpuModel: Type.Union([Type.String(), Type.Null()]),
  slots: Type.Union([Type.Object({ capacity: Type.Integer(), busy: Type.Integer(), reserved: Type.Integer(), free: Type.Integer() }), Type.Null()]),
  pricePerHour: Type.Union([Type.Number(), Type.Null()]),
  verification: NodeVerification,
  sessions: Type.Integer(),
  creditedSeconds: Type.Number(),
  amount: Type.Number(),
  flagged: Type.Integer(),
  /** The node's sessions in the period, oldest first. */
  settlements: Type.Array(SessionSettlement),
});
export type OperatorNodeOverview = Static<typeof OperatorNodeOverview>;

export const OperatorOverview = Type.Object({
  operatorId: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  amount: Type.Number(),
  creditedSeconds: Type.Number(),
  nodes: Type.Array(OperatorNodeOverview),
});
export type OperatorOverview = Static<typeof OperatorOverview>;
