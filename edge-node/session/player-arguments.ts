/**
 * mediasoup refuses arguments it cannot use in two ways: a TypeError from its own checks (an
 * unknown fingerprint algorithm), or an Error from the worker naming the request it refused
 * (connecting a transport twice, a data channel's stream id already taken). When the arguments
 * came from the player, either is the player's mistake: VALIDATION_FAILED, not INTERNAL.
 */
import { AppError } from '../../protocol/errors.js';

/** How the worker's refusals end: "... [method:webRtcTransport.connect]". */
const WORKER_REFUSAL = /\[method:[\w.]+\]$/;

export async function withPlayerArguments<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof TypeError || (error instanceof Error && WORKER_REFUSAL.test(error.message))) {
      throw new AppError('VALIDATION_FAILED', `The media engine refused ${what}: ${error.message.replace(WORKER_REFUSAL, '').trim()}.`);
    }
    throw error;
  }
}
