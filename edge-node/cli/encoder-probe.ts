/**
 * Which H.264 encoders really work on this rig, found by encoding test frames with each rather
 * than by asking what is installed: a driver can be present and still refuse (no NVENC on the
 * card, no render node in the container).
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';
import { VideoEncoder } from '../media/video-encoder.js';

const run = promisify(execFile);
const PROBE_TIMEOUT_MS = 30_000;
const PROBE_FRAMES = 30;
const VAAPI_DEVICE = '/dev/dri/renderD128';

export type EncoderName = 'nvenc' | 'vaapi' | 'x264';

/**
 * The encoders this node streams with (edge-node/media/video-encoder.ts): only x264 so far. A node
 * declares no other, since checks read which encoder a stream really comes from and fail a node
 * declaring a hardware encoder whose stream names x264.
 */
export const STREAMING_ENCODERS: readonly EncoderName[] = ['x264'];

export interface EncoderProbe {
  available: boolean;
  /** Why not, or what was used. */
  detail: string;
}

export type EncoderProbes = Record<EncoderName, EncoderProbe>;

export async function probeEncoders(): Promise<EncoderProbes> {
  const [nvenc, vaapi, x264] = await Promise.all([probeNvenc(), probeVaapi(), probeX264()]);
  return { nvenc, vaapi, x264 };
}

/** NVIDIA's hardware encoder through ffmpeg's h264_nvenc. */
export function probeNvenc(): Promise<EncoderProbe> {
  return ffmpegEncode(['-c:v', 'h264_nvenc'], 'ffmpeg h264_nvenc');
}

/** Intel/AMD hardware encoding through VA-API (ffmpeg's h264_vaapi) on the first render node. */
export async function probeVaapi(): Promise<EncoderProbe> {
  try {
    await access(VAAPI_DEVICE);
  } catch {
    return { available: false, detail: `no VA-API render node (${VAAPI_DEVICE})` };
  }
  return ffmpegEncode(['-vaapi_device', VAAPI_DEVICE, '-vf', 'format=nv12,hwupload', '-c:v', 'h264_vaapi'], 'ffmpeg h264_vaapi', ['-vaapi_device', VAAPI_DEVICE]);
}

/** The node's own in-process x264 binding, which every rig can run. */
export async function probeX264(): Promise<EncoderProbe> {
  let encoder: VideoEncoder | undefined;
  try {
    encoder = new VideoEncoder({ width: 1280, height: 720, fps: 60 });
    const frame = Buffer.alloc(encoder.frameBytes, 0x80);
    let bytes = 0;
    for (let i = 0; i < PROBE_FRAMES; i++) bytes += (await encoder.encode(frame, (i * 1000) / 60))?.data.length ?? 0;
    return bytes > 0 ? { available: true, detail: 'x264 binding (software)' } : { available: false, detail: 'x264 produced no output' };
  } catch (error) {
    return { available: false, detail: `x264 binding failed: ${(error as Error).message}` };
  } finally {
    encoder?.close();
  }
}

/** Encodes a second of 720p60 test pattern with the given output options; available when ffmpeg exits 0. */
async function ffmpegEncode(outputArgs: string[], what: string, inputArgs: string[] = []): Promise<EncoderProbe> {
  const args = [
    '-hide_banner', '-loglevel', 'error', ...inputArgs,
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=60', '-frames:v', String(PROBE_FRAMES),
    ...outputArgs, '-f', 'null', '-',
  ];
  try {
    await run('ffmpeg', args, { timeout: PROBE_TIMEOUT_MS });
    return { available: true, detail: what };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') return { available: false, detail: 'ffmpeg is not installed' };
    const reason = (failure.stderr ?? failure.message).trim().split('\n').at(-1) ?? 'failed';
    return { available: false, detail: `${what} failed: ${reason.slice(0, 200)}` };
  }
}
