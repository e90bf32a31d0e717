/**
 * Reads what the stream says about itself (protocol/stream-sei.ts) from each encoded video frame
 * as it arrives, without holding it: the frame is passed on to the decoder first. The audio's
 * frames pass through untouched (a connection's encoded transforms are all or nothing).
 */
import { readFrameSei } from '../../../../protocol/stream-sei.js';
import type { InspectedFrames, InspectorOptions } from './messages.js';

interface ScriptTransformer {
  readonly readable: ReadableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
  readonly writable: WritableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
  readonly options: InspectorOptions;
}

/** What the page hears at most this often: one message a frame would wake its main thread, which times the frames, 60 times a second more. */
const REPORT_EVERY_MS = 500;

async function inspect(transformer: ScriptTransformer): Promise<void> {
  const reader = transformer.readable.getReader();
  const writer = transformer.writable.getWriter();
  let pending: InspectedFrames = { type: 'frames', encoder: null, sinceEncodeStartMs: [] };
  const report = setInterval(() => {
    if (pending.sinceEncodeStartMs.length === 0 && pending.encoder === null) return;
    postMessage(pending);
    pending = { type: 'frames', encoder: null, sinceEncodeStartMs: [] };
  }, REPORT_EVERY_MS);
  try {
    for (;;) {
      const { value: frame, done } = await reader.read();
      if (done) return;
      const arrivedAt = performance.timeOrigin + performance.now();
      const data = new Uint8Array(frame.data.slice(0));
      await writer.write(frame);
      const sei = readFrameSei(data);
      pending.encoder = sei.encoder ?? pending.encoder;
      if (sei.encodeStartedAt !== null) pending.sinceEncodeStartMs.push(arrivedAt - sei.encodeStartedAt);
    }
  } finally {
    clearInterval(report);
  }
}

addEventListener('rtctransform', (event) => {
  const { transformer } = event as unknown as { transformer: ScriptTransformer };
  if (transformer.options.kind === 'audio') {
    void transformer.readable.pipeTo(transformer.writable).catch(() => undefined);
    return;
  }
  void inspect(transformer).catch(() => undefined);
});
