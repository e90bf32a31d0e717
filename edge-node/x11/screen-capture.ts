/**
 * Captures a display with ffmpeg's x11grab (MIT-SHM) as raw I420 on a pipe, one whole frame at a
 * time. `-probesize 32` lets ffmpeg start at once without holding a frame back (DESIGN.md).
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { i420Size } from '../../protocol/game-protocol.js';
import { runningPids, startHelper, stopHelper } from './helper-process.js';

interface ScreenCaptureEvents {
  /** `pixels` is reused for the next frame. */
  frame: [pixels: Buffer];
  exit: [];
}

export class ScreenCapture extends EventEmitter<ScreenCaptureEvents> {
  private readonly frame: Buffer;
  private fill = 0;
  private readonly ffmpeg: ChildProcess;

  constructor(options: { display: string; width: number; height: number; fps: number; uid: number | undefined; logger: Logger }) {
    super();
    this.frame = Buffer.alloc(i420Size(options.width, options.height));
    this.ffmpeg = startHelper({
      name: 'capture',
      command: 'ffmpeg',
      args: [
        '-hide_banner', '-loglevel', 'error', '-nostdin', '-probesize', '32',
        '-f', 'x11grab', '-draw_mouse', '0', '-framerate', String(options.fps), '-video_size', `${options.width}x${options.height}`, '-i', options.display,
        '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1',
      ],
      uid: options.uid,
      env: { DISPLAY: options.display },
      stdio: ['ignore', 'pipe', 'pipe'],
      logger: options.logger,
    });
    this.ffmpeg.stdout?.on('data', (chunk: Buffer) => this.push(chunk));
    this.ffmpeg.once('exit', () => this.emit('exit'));
  }

  get pids(): number[] {
    return runningPids(this.ffmpeg);
  }

  stop(): Promise<void> {
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
        this.fill = 0;
        this.emit('frame', this.frame);
      }
    }
  }
}
