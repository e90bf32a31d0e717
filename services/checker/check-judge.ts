/**
 * Judges what a checker measured against what the node declared: it must stream the verification
 * game to as many synthetic players at once as it declared slots (up to the checker's cap), at the
 * game's frame rate and resolution, within a latency budget, and answer fast enough for where it
 * says it is: a round trip of r ms bounds the node to r/2 ms of light in fibre from the checker.
 */
import { median } from './median.js';
import { HARDWARE_ENCODERS, type CheckFailure, type CheckResultPayload, type CheckVerdict } from '../../protocol/checks.js';
import type { GeoPoint } from '../../protocol/http.js';
import { distanceKm } from '../matchmaker/great-circle.js';

export const CHECK_POLICY = {
  /** Every synthetic player must get at least this share of the game's frame rate. */
  minFpsShare: 0.8,
  /** Median input-to-frame latency (p50) above this fails. */
  maxLatencyP50Ms: 80,
  /** Light in fibre covers about 200 km per ms one way. */
  fibreKmPerMs: 200,
  /** Added to the bound: the checker's own position and the node's address are not exact. */
  locationSlackKm: 100,
  /**
   * Share of a frame period that encoding one frame for each declared slot may take. A hardware
   * encoder is one engine every session shares; software encoding of every slot is what the rig
   * must keep up with too. The sessions a check did not play (past its cap) are assumed to cost
   * what the played ones did.
   */
  maxEncodeShare: 1,
} as const;

/** How software encoders name themselves in their SEI. */
const SOFTWARE_ENCODER = /^x264\b/;

export type CheckPolicy = { [K in keyof typeof CHECK_POLICY]: number };

export interface DeclaredNode {
  location: GeoPoint;
  slots: number;
  /** As registered: `h264` and the encoders the node streams with (nvenc, vaapi, x264). */
  encoders?: readonly string[];
}

export interface VerificationGame {
  fps: number;
  width: number;
  height: number;
}

export function judgeCheck(result: CheckResultPayload, declared: DeclaredNode, game: VerificationGame, checkerLocation: GeoPoint, p: CheckPolicy = CHECK_POLICY): CheckVerdict {
  const failures: CheckFailure[] = [];
  // A session the control plane could not reserve (the node was busy with players) says nothing against it.
  const attempted = result.sessions.filter((s) => s.sessionId !== null);
  const joined = attempted.filter((s) => s.joined);
  if (attempted.length > 0 && joined.length === 0) failures.push('join_failed');
  else if (joined.length < attempted.length) failures.push('slots_short');
  if (joined.some((s) => s.fps < p.minFpsShare * game.fps)) failures.push('fps_low');
  if (joined.some((s) => s.width !== game.width || s.height !== game.height)) failures.push('resolution_wrong');
  const latencyP50Ms = median(joined.map((s) => s.latencyP50Ms));
  if (latencyP50Ms !== null && latencyP50Ms > p.maxLatencyP50Ms) failures.push('latency_high');
  const rtts = joined.map((s) => s.rttMs).filter((r): r is number => r !== null);
  const rttMs = rtts.length === 0 ? null : Math.min(...rtts);
  const maxDistanceKm = rttMs === null ? null : (rttMs / 2) * p.fibreKmPerMs + p.locationSlackKm;
  if (maxDistanceKm !== null && distanceKm(checkerLocation, declared.location) > maxDistanceKm) failures.push('location_impossible');
  const encoder = joined.map((s) => s.encoder ?? null).find((name) => name !== null) ?? null;
  const claimsHardware = (declared.encoders ?? []).some((name) => (HARDWARE_ENCODERS as readonly string[]).includes(name));
  if (claimsHardware && encoder !== null && SOFTWARE_ENCODER.test(encoder)) failures.push('encoder_mismatch');
  const encodeMs = median(joined.map((s) => s.encodeMs ?? null));
  const slotsPerSession = joined.length === 0 ? 1 : Math.max(1, declared.slots / joined.length);
  if (encodeMs !== null && encodeMs * slotsPerSession > p.maxEncodeShare * (1000 / game.fps)) failures.push('encode_slow');
  const fps = joined.length === 0 ? 0 : Math.min(...joined.map((s) => s.fps));
  return {
    checkId: result.checkId,
    nodeId: result.nodeId,
    at: result.finishedAt,
    passed: failures.length === 0 && attempted.length > 0,
    failures,
    fps: Math.round(fps * 10) / 10,
    latencyP50Ms,
    rttMs,
    encodeMs: encodeMs === null ? null : Math.round(encodeMs * 10) / 10,
    encoder,
    maxDistanceKm: maxDistanceKm === null ? null : Math.round(maxDistanceKm),
  };
}
