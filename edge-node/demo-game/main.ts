/**
 * Neon Arena as a game process speaking protocol/game-protocol.ts: GameCommand lines in on
 * stdin, I420 frames and 10 ms audio chunks out on stdout, logs on stderr.
 *
 * By default an input pulls the next frame forward (render on input) instead of waiting for the
 * next tick of the frame clock. EDGEPLAY_DEMO_FIXED_TICK=1 turns that off, so the demo renders
 * only on its clock as most games do (bench:latency's fixed_tick and baseline rows).
 */
import { writeSync } from 'node:fs';
import {
  AUDIO_CHANNELS,
  AUDIO_CHUNK_BYTES,
  AUDIO_CHUNK_SAMPLES,
  AUDIO_FORMAT_S16_48K,
  AUDIO_HEADER_BYTES,
  AUDIO_SAMPLE_RATE,
  FRAME_HEADER_BYTES,
  PIXEL_FORMAT_I420,
  i420Size,
  writeAudioHeader,
  writeFrameHeader,
  type GameCommand,
} from '../../protocol/game-protocol.js';
import { inputEventChecker } from '../../protocol/input.js';
import { GameState } from './game-state.js';
import { I420Canvas, renderGame } from './renderer-i420.js';
import { SoundSynth } from './sound.js';

/** The node validates inputs already; this only bounds memory if it sends a line without newline. */
const MAX_COMMAND_BYTES = 64 * 1024;
/** An input may pull the next frame forward, but never closer than this to the previous one. */
const MIN_INPUT_FRAME_GAP_MS = 8;
/** setTimeout works in whole milliseconds and can wake slightly early; that much early is on time. */
const TIMER_SLACK_MS = 1;
const AUDIO_CHUNK_MS = (AUDIO_CHUNK_SAMPLES / AUDIO_SAMPLE_RATE) * 1000;
/**
 * Audio is written with each frame for the time that passed since the last; after a stall longer
 * than this the missed sound is skipped rather than burst out, as missed frames are.
 */
const MAX_AUDIO_CATCH_UP_MS = 60;
/** Audio chunks allowed to wait for the pipe; past that the reader is behind and more would only be late. */
const MAX_PENDING_AUDIO_CHUNKS = 8;

/**
 * Synchronous writes: process.stderr is asynchronous on pipes, and a line logged just before
 * process.exit() would be lost.
 */
function log(message: string): void {
  try {
    writeSync(2, `[neon-arena] ${message}\n`);
  } catch {
    // Logging is best effort; a closed or full stderr must not stop the game.
  }
}

function readIntEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    log(`${name}=${raw} must be an integer from ${min} to ${max}`);
    process.exit(2);
  }
  return value;
}

const width = readIntEnv('EDGEPLAY_WIDTH', 1280, 16, 7680);
const height = readIntEnv('EDGEPLAY_HEIGHT', 720, 16, 4320);
const fps = readIntEnv('EDGEPLAY_FPS', 60, 1, 240);
const seed = readIntEnv('EDGEPLAY_SEED', Math.floor(Math.random() * 2 ** 32), 0, 2 ** 32 - 1);
const latencyStrip = process.env.EDGEPLAY_LATENCY_STRIP === '1';
const fixedTick = process.env.EDGEPLAY_DEMO_FIXED_TICK === '1';

const periodMs = 1000 / fps;
const minInputGapMs = Math.max(MIN_INPUT_FRAME_GAP_MS, periodMs / 2);
const payloadLength = i420Size(width, height);
// Header and pixels share one buffer so each frame is a single write, and nothing is allocated per frame.
const frame = Buffer.alloc(FRAME_HEADER_BYTES + payloadLength);
const canvas = new I420Canvas(width, height, frame.subarray(FRAME_HEADER_BYTES));
const state = new GameState({ width, height, seed });

let frameNumber = 0;
/**
 * False from a write until it has been flushed to the pipe. Waiting for the write's own callback
 * rather than only 'drain' after write() returns false: the buffer is reused, and a frame smaller
 * than the stream's highWaterMark could still be in flight when write() returns true.
 */
let stdoutReady = true;
let lastFrameAt = -Infinity;
let simulatedUntil = performance.now();
let nextTickAt = simulatedUntil;
let timer: NodeJS.Timeout | undefined;
let inputSinceFrame = false;
let malformedCommands = 0;
const stats = { rendered: 0, skipped: 0, renderMsTotal: 0, renderMsMax: 0, audioChunks: 0, audioSkipped: 0 };
const synth = new SoundSynth();
let audioUntil = simulatedUntil;
let audioChunkNumber = 0;
let pendingAudioChunks = 0;

/** Writes the audio for the time up to `now`, 10 ms a chunk, each chunk numbered by the time it covers. */
function sendAudio(now: number): void {
  if (now - audioUntil > MAX_AUDIO_CATCH_UP_MS) {
    const skipped = Math.floor((now - audioUntil) / AUDIO_CHUNK_MS) - 1;
    audioUntil += skipped * AUDIO_CHUNK_MS;
    audioChunkNumber = (audioChunkNumber + skipped) >>> 0;
    stats.audioSkipped += skipped;
  }
  while (audioUntil + AUDIO_CHUNK_MS <= now) {
    audioUntil += AUDIO_CHUNK_MS;
    const number = audioChunkNumber;
    audioChunkNumber = (audioChunkNumber + 1) >>> 0;
    if (pendingAudioChunks >= MAX_PENDING_AUDIO_CHUNKS) {
      stats.audioSkipped++;
      continue;
    }
    const chunk = Buffer.alloc(AUDIO_HEADER_BYTES + AUDIO_CHUNK_BYTES);
    writeAudioHeader(chunk, {
      samples: AUDIO_CHUNK_SAMPLES,
      channels: AUDIO_CHANNELS,
      format: AUDIO_FORMAT_S16_48K,
      chunkNumber: number,
      payloadLength: AUDIO_CHUNK_BYTES,
    });
    synth.render(state, new Int16Array(chunk.buffer, chunk.byteOffset + AUDIO_HEADER_BYTES, AUDIO_CHUNK_SAMPLES * AUDIO_CHANNELS));
    pendingAudioChunks++;
    stats.audioChunks++;
    process.stdout.write(chunk, () => pendingAudioChunks--);
  }
}

function simulateUntil(now: number): void {
  state.step(now - simulatedUntil);
  simulatedUntil = now;
}

function sendFrame(now: number): void {
  simulateUntil(now);
  if (!stdoutReady) {
    // The reader is behind: drop this frame rather than queue it, so what it gets next is current.
    stats.skipped++;
    return;
  }
  renderGame(canvas, state, latencyStrip ? state.lastInputSeq : null);
  const renderMs = performance.now() - now;
  stats.rendered++;
  stats.renderMsTotal += renderMs;
  stats.renderMsMax = Math.max(stats.renderMsMax, renderMs);
  writeFrameHeader(frame, {
    width,
    height,
    format: PIXEL_FORMAT_I420,
    frameNumber,
    inputSeq: state.lastInputSeq,
    renderTimeMs: now,
    payloadLength,
  });
  frameNumber = (frameNumber + 1) >>> 0;
  lastFrameAt = now;
  inputSinceFrame = false;
  stdoutReady = false;
  process.stdout.write(frame, onFlushed);
}

function schedule(): void {
  timer = setTimeout(onTimer, Math.max(0, nextTickAt - performance.now()));
}

/** Renders now and plans the next tick one period after `deadline`, so rounding never accumulates into drift. */
function tick(now: number, deadline: number): void {
  sendFrame(now);
  sendAudio(now);
  nextTickAt = deadline + periodMs;
  // After a stall (GC, a busy machine) skip the missed ticks instead of bursting them out.
  if (nextTickAt <= now) nextTickAt += (Math.floor((now - nextTickAt) / periodMs) + 1) * periodMs;
  schedule();
}

function onTimer(): void {
  const now = performance.now();
  if (now < nextTickAt - TIMER_SLACK_MS) {
    schedule();
    return;
  }
  tick(now, nextTickAt);
}

/**
 * Moves the frame clock so frames reach the player's display midway between refreshes (the page
 * measures where they land). Half a period at most: the page corrects again a second later.
 */
function pace(shiftMs: number): void {
  const shift = Math.max(-periodMs / 2, Math.min(periodMs / 2, shiftMs));
  clearTimeout(timer);
  nextTickAt += shift;
  schedule();
}

/** Shows fresh input as soon as the frame-rate cap allows instead of at the next regular tick. */
function frameSoonForInput(): void {
  if (fixedTick || !stdoutReady) return;
  const earliest = lastFrameAt + minInputGapMs;
  if (earliest >= nextTickAt) return;
  clearTimeout(timer);
  const now = performance.now();
  if (now >= earliest) {
    tick(now, now);
  } else {
    nextTickAt = earliest;
    schedule();
  }
}

function onFlushed(error?: Error | null): void {
  // A failed write is handled by the stream's 'error' listener, which shuts the game down.
  if (error) return;
  stdoutReady = true;
  if (inputSinceFrame) frameSoonForInput();
}

function shutdown(reason: string): never {
  clearTimeout(timer);
  const avg = stats.rendered > 0 ? stats.renderMsTotal / stats.rendered : 0;
  log(
    `exiting (${reason}): frames=${stats.rendered} skipped=${stats.skipped} ` +
      `avgRenderMs=${avg.toFixed(3)} maxRenderMs=${stats.renderMsMax.toFixed(3)} audioChunks=${stats.audioChunks} ` +
      `audioSkipped=${stats.audioSkipped} malformedCommands=${malformedCommands}`,
  );
  process.exit(0);
}

function parseCommand(line: string): GameCommand | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const command = value as { type?: unknown; event?: unknown; shiftMs?: unknown };
  if (command.type === 'quit') return { type: 'quit' };
  if (command.type === 'pace' && typeof command.shiftMs === 'number' && Number.isFinite(command.shiftMs)) return { type: 'pace', shiftMs: command.shiftMs };
  if (command.type === 'input' && inputEventChecker.Check(command.event)) return { type: 'input', event: command.event };
  return null;
}

/** Returns true when the line applied an input. */
function handleCommand(line: string): boolean {
  if (line.trim() === '') return false;
  const command = parseCommand(line);
  if (command?.type === 'quit') shutdown('quit');
  if (command?.type === 'input') {
    state.applyInput(command.event);
    return true;
  }
  if (command?.type === 'pace') {
    pace(command.shiftMs);
    return false;
  }
  // Only the first is logged: a broken sender would otherwise flood the log at input rate.
  if (malformedCommands++ === 0) log(`ignoring malformed command: ${line.slice(0, 200)}`);
  return false;
}

let partialLine = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  // Inputs take effect from the moment they arrive, not retroactively from the last step.
  simulateUntil(performance.now());
  partialLine += chunk;
  let applied = false;
  let newline = partialLine.indexOf('\n');
  while (newline >= 0) {
    if (handleCommand(partialLine.slice(0, newline))) applied = true;
    partialLine = partialLine.slice(newline + 1);
    newline = partialLine.indexOf('\n');
  }
  if (partialLine.length > MAX_COMMAND_BYTES) {
    log('dropping an over-long command line');
    partialLine = '';
  }
  if (applied) {
    inputSinceFrame = true;
    frameSoonForInput();
  }
});
process.stdin.on('end', () => shutdown('stdin closed'));
process.stdout.on('error', (error: NodeJS.ErrnoException) => shutdown(`stdout ${error.code ?? error.message}`));

log(`Neon Arena ${width}x${height}@${fps} seed=${seed} latencyStrip=${latencyStrip ? 'on' : 'off'} renderOnInput=${fixedTick ? 'off' : 'on'}`);
tick(performance.now(), nextTickAt);
