/**
 * @edgeplay/game-sdk: write a game for EdgePlay's `frames` runtime (edge-node/game/README.md).
 * The wire format itself is defined once, in protocol/game-protocol.ts, for the node and the SDK
 * alike; its types and constants are re-exported here so a game needs only this package.
 */
export { runGame, type FramesGame, type RunGameOptions } from './run-game.js';
export { FrameLoop, realClock, type FrameLoopOptions, type LoopClock } from './frame-loop.js';
export { FrameOutput } from './frame-output.js';
export { AudioOutput, AUDIO_CHUNK_MS, type AudioOutputStats, type RenderSound } from './audio-output.js';
export { CommandReader, type CommandHandlers } from './command-reader.js';
export { GameConfigError, intFromEnv, readGameConfig, type GameConfig } from './game-config.js';
export { gameLog, type GameLog } from './game-log.js';
export { I420Canvas, rgbToYuv, type Yuv } from './i420-canvas.js';
export {
  AUDIO_CHANNELS,
  AUDIO_CHUNK_BYTES,
  AUDIO_CHUNK_SAMPLES,
  AUDIO_SAMPLE_RATE,
  encodeGameCommand,
  i420Size,
  parseGameCommand,
  type AudioChunkHeader,
  type FrameHeader,
  type GameCommand,
} from '../../protocol/game-protocol.js';
export type { GamepadEvent, InputEvent, KeyEvent, MouseButtonEvent, MouseMoveEvent, WheelEvent } from '../../protocol/input.js';
export { STRIP_CELL, STRIP_WIDTH } from '../../protocol/latency-strip.js';
