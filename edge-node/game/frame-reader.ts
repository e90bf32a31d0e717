/**
 * Incremental parser for a game's stdout (protocol/game-protocol.ts): pipes deliver chunks of
 * any size, so a header or a frame can be split anywhere. Frames are assembled into one reused
 * buffer; a 720p stream at 60 fps would otherwise allocate 80 MB a second.
 */
import { EventEmitter } from 'node:events';
import {
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  FrameProtocolError,
  i420Size,
  readFrameHeader,
  type FrameHeader,
} from '../../protocol/game-protocol.js';

export interface FrameReaderEvents {
  /** `pixels` is reused for the next frame: copy it if it must outlive the listener call. */
  frame: [header: FrameHeader, pixels: Buffer];
  error: [error: FrameProtocolError];
}

export class FrameReader extends EventEmitter<FrameReaderEvents> {
  readonly width: number;
  readonly height: number;
  private readonly headerBytes = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private header: FrameHeader | null = null;
  private readonly payload: Buffer;
  private payloadFill = 0;
  private failed = false;

  /** The size is fixed up front: the encoder is set up for it, and it bounds what a game can make us allocate. */
  constructor(width: number, height: number) {
    super();
    this.width = width;
    this.height = height;
    this.payload = Buffer.alloc(i420Size(width, height));
  }

  /** True once the stream was garbage; everything after that is ignored. */
  get broken(): boolean {
    return this.failed;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.failed) {
      if (this.header === null) {
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - offset);
        chunk.copy(this.headerBytes, this.headerFill, offset, offset + take);
        const before = this.headerFill;
        this.headerFill += take;
        offset += take;
        // Check the magic as soon as it is complete: a game printing text may never write 32 bytes.
        if (before < 4 && this.headerFill >= 4 && this.headerBytes.readUInt32LE(0) !== FRAME_MAGIC) {
          this.fail(new FrameProtocolError('bad frame magic (is the game logging to stdout?)'));
          return;
        }
        if (this.headerFill < FRAME_HEADER_BYTES) return;
        this.header = this.parseHeader();
        if (this.header === null) return;
        this.payloadFill = 0;
      }
      const take = Math.min(this.header.payloadLength - this.payloadFill, chunk.length - offset);
      chunk.copy(this.payload, this.payloadFill, offset, offset + take);
      this.payloadFill += take;
      offset += take;
      if (this.payloadFill === this.header.payloadLength) {
        const header = this.header;
        this.header = null;
        this.headerFill = 0;
        this.emit('frame', header, this.payload);
      }
    }
  }

  private parseHeader(): FrameHeader | null {
    let header: FrameHeader;
    try {
      header = readFrameHeader(this.headerBytes);
    } catch (error) {
      this.fail(error instanceof FrameProtocolError ? error : new FrameProtocolError(String(error)));
      return null;
    }
    if (header.width !== this.width || header.height !== this.height) {
      this.fail(new FrameProtocolError(`frame is ${header.width}x${header.height}, expected ${this.width}x${this.height}`));
      return null;
    }
    return header;
  }

  private fail(error: FrameProtocolError): void {
    this.failed = true;
    this.emit('error', error);
  }
}
