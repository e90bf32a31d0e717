/**
 * Captures a display with ffmpeg's x11grab (MIT-SHM) as raw I420 on a pipe, one whole frame at a
 * time, each with the wall-clock time its capture began. `-probesize 32` lets ffmpeg start at
 * once without holding a frame back (DESIGN.md); so do `-threads 1` (the raw encoder's frame
 * threads would hold each frame until the next one is grabbed) and `-fps_mode passthrough` (no
 * frames duplicated or dropped to fit a constant rate: one frame out per grab).
 *
 * The capture times come from ffmpeg's `-debug_ts` log on stderr: x11grab stamps each packet with
 * the wall clock just before it asks the X server for the picture, and ffmpeg logs it as it
 * reads the packet, before converting and writing the frame; so a frame's line is written before
 * the frame is. Should a frame still be read first, the pipe waits for its line; should the line
 * not come (an ffmpeg that logs differently), that frame and every later one without its line go
 * on at once with the previous frame's capture time, which can only make an input look later,
 * never earlier.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { i420Size } from '../../protocol/game-protocol.js';
import { runningPids, startHelper, stopHelper } from './helper-process.js';
import { forwardLogLines } from './log-lines.js';

interface ScreenCaptureEvents {
  /** `pixels` is reused for the next frame; `capturedAtMs` is epoch milliseconds. */
  frame: [pixels: Buffer, capturedAtMs: number];
  exit: [];
}

/** How long a frame waits for its capture time: a line written before the frame takes far less. */
const CAPTURE_TIME_WAIT_MS = 50;

const DEMUX_LINE = /^demuxer -> ist_index:\d+ type:video .*\bpkt_pts:(\d+) /;

/** When the capture of a frame began (epoch ms), from one of ffmpeg's `-debug_ts` lines, or undefined for other lines. x11grab's time base is microseconds. */
export function captureTimeMs(line: string): number | undefined {
  const match = DEMUX_LINE.exec(line);
  return match ? Number(match[1]) / 1000 : undefined;
}

export class ScreenCapture extends EventEmitter<ScreenCaptureEvents> {
  private readonly frame: Buffer;
  private fill = 0;
  private readonly ffmpeg: ChildProcess;
  /** Capture times logged for frames not yet read whole, oldest first. */
  private readonly captureTimes: number[] = [];
  /** What followed a whole frame whose capture time had not been logged yet: read once it is. */
  private held: Buffer | undefined;
  private heldTimer: NodeJS.Timeout | undefined;
  private lastCaptureMs = 0;
  /** A line did not come in time once: frames no longer wait for theirs. */
  private captureTimesMissing = false;

  constructor(private readonly options: { display: string; width: number; height: number; fps: number; uid: number | undefined; logger: Logger }) {
    super();
    this.frame = Buffer.alloc(i420Size(options.width, options.height));
    this.ffmpeg = startHelper({
      name: 'capture',
      command: 'ffmpeg',
      args: [
        '-hide_banner', '-loglevel', 'info', '-nostats', '-debug_ts', '-nostdin', '-probesize', '32',
        '-f', 'x11grab', '-draw_mouse', '0', '-framerate', String(options.fps), '-video_size', `${options.width}x${options.height}`, '-i', options.display,
        '-threads', '1', '-fps_mode', 'passthrough', '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1',
      ],
      uid: options.uid,
      env: { DISPLAY: options.display },
      stdio: ['ignore', 'pipe', 'pipe'],
      logger: options.logger,
    });
    forwardLogLines(this.ffmpeg.stderr, (line) => {
      const capturedAtMs = captureTimeMs(line);
      if (capturedAtMs === undefined) return;
      this.captureTimes.push(capturedAtMs);
      if (this.held) this.release(this.captureTimes.shift()!);
    });
    this.ffmpeg.stdout?.on('data', (chunk: Buffer) => this.push(chunk));
    this.ffmpeg.once('exit', () => this.emit('exit'));
  }

  get pids(): number[] {
    return runningPids(this.ffmpeg);
  }

  stop(): Promise<void> {
    clearTimeout(this.heldTimer);
    return stopHelper(this.ffmpeg);
  }

  private push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.frame.length - this.fill, chunk.length - offset);
      chunk.copy(this.frame, this.fill, offset, offset + take);
      this.fill += take;
      offset += take;
      if (this.fill === this.frame.length) {
        const capturedAtMs = this.captureTimes.shift() ?? (this.captureTimesMissing ? this.lastCaptureMs : undefined);
        if (capturedAtMs === undefined) {
          this.held = chunk.subarray(offset);
          this.ffmpeg.stdout?.pause();
          this.heldTimer = setTimeout(() => this.releaseWithoutCaptureTime(), CAPTURE_TIME_WAIT_MS);
          return;
        }
        this.fill = 0;
        this.lastCaptureMs = capturedAtMs;
        this.emit('frame', this.frame, capturedAtMs);
      }
    }
  }

  private release(capturedAtMs: number): void {
    clearTimeout(this.heldTimer);
    const rest = this.held!;
    this.held = undefined;
    this.fill = 0;
    this.lastCaptureMs = capturedAtMs;
    this.emit('frame', this.frame, capturedAtMs);
    this.push(rest);
    if (!this.held) this.ffmpeg.stdout?.resume();
  }

  private releaseWithoutCaptureTime(): void {
    this.options.logger.warn({ display: this.options.display }, 'ffmpeg logged no capture time for a frame; frames without one are stamped with the previous capture time');
    this.captureTimesMissing = true;
    this.release(this.lastCaptureMs);
  }
}
