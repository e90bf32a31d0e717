/**
 * Seeded randomness for the placement benchmark, so every run builds the same world and draws the
 * same noise: a sequential generator (mulberry32) for drawing the world, and a stateless hash of
 * integers for per-pair quantities (route inflation, probe jitter) that must be the same whichever
 * process or order asks for them.
 */
export { mulberry32 } from '../../../edge-node/demo-game/rng.js';

/** A uniform 32-bit integer from the generator. */
export function nextUint32(random: () => number): number {
  return Math.floor(random() * 4_294_967_296) >>> 0;
}

/** murmur3's finaliser: a well-mixed 32-bit value from a 32-bit one. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) determined by (a, b, salt) alone. */
export function hash01(a: number, b: number, salt: number): number {
  return fmix32(fmix32(fmix32(salt ^ 0x9e3779b9) ^ a) + Math.imul(b, 0x27d4eb2f)) / 4_294_967_296;
}
