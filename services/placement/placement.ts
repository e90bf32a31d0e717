/** Choosing the node for a new session and reserving a slot on it, in one step so no slot is promised twice. */
import type { Game } from '../../protocol/http.js';
import type { NodeRecord, Reservation } from '../store/store.js';

export interface PlacementRequest {
  sessionId: string;
  game: Game;
  reservationTtlMs: number;
}

export interface PlacedSession {
  node: NodeRecord;
  reservation: Reservation;
}

export interface Placement {
  /** Reserves a slot for the session on the best node that has one; null when no node has. */
  place(request: PlacementRequest): Promise<PlacedSession | null>;
}
