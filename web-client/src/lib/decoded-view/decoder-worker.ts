/**
 * The decoder worker: takes the encoded video frames out of the RTP receiver (an encoded
 * transform, RTCRtpScriptTransform), decodes them with WebCodecs and paints each one the moment
 * it is decoded onto a `desynchronized` canvas, which skips the <video> element's render queue.
 * Every frame is also passed on to the receiver unchanged, so WebRTC's own statistics and its
 * keyframe requests keep working as on the <video> path.
 */
import type { DecoderWorkerMessage, DecoderWorkerOptions, PassThroughOptions } from './messages.js';
import { readStrip, stripBuffer } from '../strip-reader.js';

/** The worker side of RTCRtpScriptTransform (lib.webworker's RTCRtpScriptTransformer). */
interface ScriptTransformer<Options = DecoderWorkerOptions | PassThroughOptions, Frame = RTCEncodedVideoFrame | RTCEncodedAudioFrame> {
  readonly readable: ReadableStream<Frame>;
  readonly writable: WritableStream<Frame>;
  readonly options: Options;
  sendKeyFrameRequest(): Promise<void>;
}

/** A keyframe request that brought none within this long (lost, or refused) is repeated. */
const KEYFRAME_RETRY_MS = 1000;

function post(message: DecoderWorkerMessage): void {
  postMessage(message);
}

class CanvasPainter {
  readonly #canvas: OffscreenCanvas;
  readonly #context: OffscreenCanvasRenderingContext2D;
  readonly #strip = stripBuffer();
  #decoder: VideoDecoder;
  /** After a decoder error (and at the start) only a keyframe can be decoded. */
  #waitingForKeyframe = true;
  #keyframeRequestedAt = -Infinity;
  /** Strip reads finish in the order frames were painted, so the page hears them in that order. */
  #reading: Promise<void> = Promise.resolve();

  constructor(private readonly transformer: ScriptTransformer<DecoderWorkerOptions, RTCEncodedVideoFrame>) {
    this.#canvas = transformer.options.canvas;
    const context = this.#canvas.getContext('2d', { desynchronized: true, alpha: false });
    if (!context) throw new Error('2D canvas is not available in the worker');
    this.#context = context;
    this.#decoder = this.#createDecoder();
  }

  async run(): Promise<void> {
    const reader = this.transformer.readable.getReader();
    const writer = this.transformer.writable.getWriter();
    // The receiver may have passed the stream's first keyframe on before this transform was in place.
    this.#requestKeyframe();
    for (;;) {
      const { value: frame, done } = await reader.read();
      if (done) return;
      this.#decode(frame);
      await writer.write(frame);
    }
  }

  #createDecoder(): VideoDecoder {
    const decoder = new VideoDecoder({ output: (frame) => this.#paint(frame), error: (error) => this.#restart(error) });
    decoder.configure({ codec: this.transformer.options.codec, optimizeForLatency: true });
    return decoder;
  }

  #decode(frame: RTCEncodedVideoFrame): void {
    const keyframe = frame.type === 'key';
    if (this.#waitingForKeyframe && !keyframe) {
      if (performance.now() - this.#keyframeRequestedAt > KEYFRAME_RETRY_MS) this.#requestKeyframe();
      return;
    }
    if (this.#decoder.state !== 'configured') return;
    this.#waitingForKeyframe = false;
    // The chunk copies the bytes, so the frame can go on to the receiver unchanged.
    this.#decoder.decode(new EncodedVideoChunk({ type: keyframe ? 'key' : 'delta', timestamp: frame.getMetadata().rtpTimestamp ?? 0, data: frame.data }));
  }

  #paint(frame: VideoFrame): void {
    if (this.#canvas.width !== frame.displayWidth || this.#canvas.height !== frame.displayHeight) {
      this.#canvas.width = frame.displayWidth;
      this.#canvas.height = frame.displayHeight;
    }
    this.#context.drawImage(frame, 0, 0);
    const paintedAt = performance.timeOrigin + performance.now();
    const seq = readStrip(frame, this.#strip).catch(() => null);
    this.#reading = this.#reading.then(async () => {
      post({ type: 'painted', seq: await seq, paintedAt, rtpTimestamp: frame.timestamp });
      frame.close();
    });
  }

  #restart(error: DOMException): void {
    post({ type: 'decoder-error', message: error.message });
    this.#waitingForKeyframe = true;
    this.#decoder = this.#createDecoder();
    this.#requestKeyframe();
  }

  #requestKeyframe(): void {
    this.#keyframeRequestedAt = performance.now();
    void this.transformer.sendKeyFrameRequest().catch(() => undefined);
  }
}

addEventListener('rtctransform', (event) => {
  const { transformer } = event as unknown as { transformer: ScriptTransformer };
  if (transformer.options.kind === 'audio') {
    void transformer.readable.pipeTo(transformer.writable).catch(() => undefined);
    return;
  }
  new CanvasPainter(transformer as ScriptTransformer<DecoderWorkerOptions, RTCEncodedVideoFrame>).run().catch((error: unknown) => post({ type: 'decoder-error', message: String(error) }));
});
