/**
 * What the received stream says about itself, read from its encoded frames by a worker
 * (inspector-worker.ts) on the connection's encoded transforms: which software encoder named
 * itself in the stream, and each frame's encode time from the stream's own timing, the node's
 * per-frame encode stamp against the moment the frame was whole here, less half the round trip
 * it took to get here. The checker's synthetic players turn it on (PlayerSession's `inspect`);
 * a player's page does not need it, and
 * a check's play is short, so every frame is kept.
 */
import type { InspectedFrames, InspectorOptions } from './messages.js';

export interface EncodedStreamReport {
  /** The encoder the stream named (e.g. `x264 - core 164 ...`), null while none did. */
  encoder: string | null;
  /** Stamped frames read so far. */
  framesInspected: number;
  /** Per stamped frame, in arrival order: ms from the node's encode start to the frame being whole here (half the RTT still in). */
  sinceEncodeStartMs: number[];
}

export class StreamInspector {
  readonly #worker: Worker;
  readonly #report: EncodedStreamReport = { encoder: null, framesInspected: 0, sinceEncodeStartMs: [] };

  /** Call before the video receiver gets its first frame (StreamClient.start's encodedTransforms). */
  constructor(receivers: { video: RTCRtpReceiver; audio: RTCRtpReceiver }) {
    this.#worker = new Worker(new URL('./inspector-worker.js', import.meta.url), { type: 'module', name: 'edgeplay-inspector' });
    this.#worker.onmessage = (event: MessageEvent<InspectedFrames>) => this.#onFrames(event.data);
    const video: InspectorOptions = { kind: 'video' };
    const audio: InspectorOptions = { kind: 'audio' };
    receivers.video.transform = new RTCRtpScriptTransform(this.#worker, video);
    receivers.audio.transform = new RTCRtpScriptTransform(this.#worker, audio);
  }

  get report(): EncodedStreamReport {
    return this.#report;
  }

  stop(): void {
    this.#worker.terminate();
  }

  #onFrames(frames: InspectedFrames): void {
    const report = this.#report;
    report.framesInspected += frames.sinceEncodeStartMs.length;
    if (frames.encoder !== null) report.encoder = frames.encoder;
    report.sinceEncodeStartMs.push(...frames.sinceEncodeStartMs);
  }
}
