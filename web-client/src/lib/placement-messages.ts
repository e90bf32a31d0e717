/** What the page says while it places the player, and when placement fails: plain words, per stage and per code. */
import type { PlacementProgress } from './placement-flow.js';

export function formatWait(seconds: number): string {
  if (seconds < 1) return 'any moment now';
  if (seconds < 90) return `about ${Math.round(seconds)} s`;
  return `about ${Math.round(seconds / 60)} min`;
}

/** Short enough for the Play button. */
export function progressLabel(progress: PlacementProgress): string {
  switch (progress.stage) {
    case 'finding':
      return 'Finding the nearest server…';
    case 'measuring':
      return 'Measuring latency…';
    case 'queued':
      return `In queue: position ${progress.position}, ${formatWait(progress.estimatedWaitS)}`;
    case 'placed':
      return 'Connecting…';
  }
}

/** The longer line shown beside the Cancel button. */
export function progressDetail(progress: PlacementProgress): string {
  switch (progress.stage) {
    case 'finding':
      return 'Looking for game servers near you…';
    case 'measuring':
      return `Measuring your latency to ${progress.candidates} ${progress.candidates === 1 ? 'server' : 'servers'}…`;
    case 'queued':
      return (
        `Every server within ${Math.round(progress.latencyBoundMs)} ms of you is busy. You are number ${progress.position} in the queue, ` +
        `${formatWait(progress.estimatedWaitS)} to go; the longer you wait, the farther we look.`
      );
    case 'placed':
      return `Connecting to server ${progress.nodeId}…`;
  }
}

const failures: Record<string, string> = {
  CANCELLED: 'You left the queue.',
  LOCATION_UNKNOWN: 'We could not tell where you are, so we cannot pick a server near you. Allow this page to use your location and press Play again.',
  NO_CAPACITY: 'Every server near you that can run this game is busy. Try again in a moment.',
  PLACEMENT_EXPIRED: 'The servers we found for you were held for too long and have been released. Press Play to search again.',
  PLACEMENT_NOT_FOUND: 'Your place in the queue was lost. Press Play to search again.',
  PLACEMENT_IN_PROGRESS: 'You are already waiting for a server, perhaps in another tab. Cancel that first, or wait for it.',
  RTT_FOR_UNOFFERED_NODE: 'Our latency measurements were not accepted. Press Play to try again.',
  RTT_OUT_OF_RANGE: 'Our latency measurements were not accepted. Press Play to try again.',
  GAME_NOT_FOUND: 'This game is no longer available. Reload the page to see the current catalogue.',
  UNAUTHORIZED: 'Your guest pass has expired. Reload the page to get a new one.',
};

/** The page's own words where it can say more than the service's message, which is kept otherwise. */
export function failureMessage(code: string, message: string): string {
  return failures[code] ?? message;
}
