/**
 * Reads what the stream says about itself (protocol/stream-sei.ts) from each encoded video frame
 * as it arrives, without holding it: the frame is passed on to the decoder first. The audio's
 * frames pass through untouched (a connection's encoded transforms are all or nothing).
 */
import { readFrameSei } from '../../../../protocol/stream-sei.js';
import type { InspectedFrame, InspectorOptions } from './messages.js';

interface ScriptTransformer {
  readonly readable: ReadableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
  readonly writable: WritableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
  readonly options: InspectorOptions;
}

async function inspect(transformer: ScriptTransformer): Promise<void> {
  const reader = transformer.readable.getReader();
  const writer = transformer.writable.getWriter();
  for (;;) {
    const { value: frame, done } = await reader.read();
    if (done) return;
    const arrivedAt = performance.timeOrigin + performance.now();
    const data = new Uint8Array(frame.data.slice(0));
    await writer.write(frame);
    const sei = readFrameSei(data);
    const message: InspectedFrame = {
      type: 'frame',
      encoder: sei.encoder,
      sinceEncodeStartMs: sei.encodeStartedAt === null ? null : arrivedAt - sei.encodeStartedAt,
    };
    postMessage(message);
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
