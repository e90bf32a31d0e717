/**
 * Incremental parser for a game's stdout (protocol/game-protocol.ts): frames and audio chunks,
 * each told apart by its magic. Pipes deliver chunks of any size, so a header or a payload can be
 * split anywhere. Frames are assembled into one reused buffer; a 720p stream at 60 fps would
 * otherwise allocate 80 MB a second.
 */
import { EventEmitter } from 'node:events';
import {
  AUDIO_CHUNK_BYTES,
  AUDIO_HEADER_BYTES,
  AUDIO_MAGIC,
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  FrameProtocolError,
  i420Size,
  readAudioHeader,
  readFrameHeader,
  type AudioChunkHeader,
  type FrameHeader,
} from '../../protocol/game-protocol.js';

export interface FrameReaderEvents {
  /** `pixels` is reused for the next frame: copy it if it must outlive the listener call. */
  frame: [header: FrameHeader, pixels: Buffer];
  /** `samples` is reused for the next chunk, like a frame's pixels. */
  audio: [header: AudioChunkHeader, samples: Buffer];
  error: [error: FrameProtocolError];
}

const MAGIC_BYTES = 4;

type Pending = { kind: 'frame'; header: FrameHeader; payload: Buffer } | { kind: 'audio'; header: AudioChunkHeader; payload: Buffer };

export class FrameReader extends EventEmitter<FrameReaderEvents> {
  readonly width: number;
  readonly height: number;
  private readonly headerBytes = Buffer.alloc(Math.max(FRAME_HEADER_BYTES, AUDIO_HEADER_BYTES));
  private headerFill = 0;
  /** The header length of the message whose magic has been read, until its header is complete. */
  private headerLength = MAGIC_BYTES;
  private pending: Pending | null = null;
  private readonly pixels: Buffer;
  private readonly samples = Buffer.alloc(AUDIO_CHUNK_BYTES);
  private payloadFill = 0;
  private failed = false;

  /** The size is fixed up front: the encoder is set up for it, and it bounds what a game can make us allocate. */
  constructor(width: number, height: number) {
    super();
    this.width = width;
    this.height = height;
    this.pixels = Buffer.alloc(i420Size(width, height));
  }

  /** True once the stream was garbage; everything after that is ignored. */
  get broken(): boolean {
    return this.failed;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.failed) {
      if (this.pending === null) {
        const take = Math.min(this.headerLength - this.headerFill, chunk.length - offset);
        chunk.copy(this.headerBytes, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < this.headerLength) return;
        // The magic says how long the header is; check it at once, since a game printing text may never write a whole header.
        if (this.headerLength === MAGIC_BYTES) {
          const length = headerLengthFor(this.headerBytes.readUInt32LE(0));
          if (length === undefined) {
            this.fail(new FrameProtocolError('bad frame magic (is the game logging to stdout?)'));
            return;
          }
          this.headerLength = length;
          continue;
        }
        this.pending = this.parseHeader();
        if (this.pending === null) return;
        this.payloadFill = 0;
      }
      const { payload, header } = this.pending;
      const take = Math.min(header.payloadLength - this.payloadFill, chunk.length - offset);
      chunk.copy(payload, this.payloadFill, offset, offset + take);
      this.payloadFill += take;
      offset += take;
      if (this.payloadFill === header.payloadLength) {
        const done = this.pending;
        this.pending = null;
        this.headerFill = 0;
        this.headerLength = MAGIC_BYTES;
        if (done.kind === 'frame') this.emit('frame', done.header, done.payload);
        else this.emit('audio', done.header, done.payload);
      }
    }
  }

  private parseHeader(): Pending | null {
    try {
      if (this.headerBytes.readUInt32LE(0) === AUDIO_MAGIC) {
        return { kind: 'audio', header: readAudioHeader(this.headerBytes), payload: this.samples };
      }
      const header = readFrameHeader(this.headerBytes);
      if (header.width !== this.width || header.height !== this.height) {
        throw new FrameProtocolError(`frame is ${header.width}x${header.height}, expected ${this.width}x${this.height}`);
      }
      return { kind: 'frame', header, payload: this.pixels };
    } catch (error) {
      this.fail(error instanceof FrameProtocolError ? error : new FrameProtocolError(String(error)));
      return null;
    }
  }

  private fail(error: FrameProtocolError): void {
    this.failed = true;
    this.emit('error', error);
  }
}

function headerLengthFor(magic: number): number | undefined {
  if (magic === FRAME_MAGIC) return FRAME_HEADER_BYTES;
  if (magic === AUDIO_MAGIC) return AUDIO_HEADER_BYTES;
  return undefined;
}
