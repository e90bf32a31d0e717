/** What the page and its decoder worker (decoder-worker.ts) tell each other. */

/** The options the page hands the worker with the video receiver's transform. */
export interface DecoderWorkerOptions {
  kind: 'video';
  canvas: OffscreenCanvas;
  /** The codec string for VideoDecoder, e.g. H.264 constrained baseline 'avc1.42e01f'. */
  codec: string;
}

/** The audio receiver's transform: its frames only pass through (see StreamClient.start). */
export interface PassThroughOptions {
  kind: 'audio';
}

export type DecoderWorkerMessage =
  /**
   * A frame was painted: `paintedAt` on the absolute clock (timeOrigin + now), since the worker's
   * performance.now() starts at another origin than the page's. `seq` is the latency strip's
   * sequence number, null when the frame carries none.
   */
  | { type: 'painted'; seq: number | null; paintedAt: number; rtpTimestamp: number }
  /** The decoder failed; the worker asked for a keyframe and starts over from it. */
  | { type: 'decoder-error'; message: string };
