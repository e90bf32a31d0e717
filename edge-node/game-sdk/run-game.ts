/**
 * A whole frames-runtime game process: reads the node's configuration, renders frames on the
 * frame loop into the canvas, sends them and the sound on stdout, applies the node's commands
 * from stdin, stamps the latency strip when asked, and exits when told to or when the node goes.
 */
import type { InputEvent } from '../../protocol/input.js';
import { AudioOutput } from './audio-output.js';
import { CommandReader } from './command-reader.js';
import { FrameLoop } from './frame-loop.js';
import { FrameOutput } from './frame-output.js';
import { GameConfigError, readGameConfig, type GameConfig } from './game-config.js';
import { gameLog, type GameLog } from './game-log.js';
import type { I420Canvas } from './i420-canvas.js';

/** What a game implements; only render is required. */
export interface FramesGame {
  /** Moves the game's state `dtMs` forward: before each frame, and before the inputs of each read are applied. */
  step?(dtMs: number): void;
  /** Applies one input event (already validated by the node). The SDK reports its `seq` as applied. */
  input?(event: InputEvent): void;
  /** Draws the current state into the whole canvas; the latency strip goes over it afterwards when the node asks. */
  render(canvas: I420Canvas): void;
  /** Fills one 10 ms chunk (480 frames, interleaved stereo s16) with the sound of the time it covers. A silent game leaves it out. */
  sound?(samples: Int16Array): void;
  /** Called once just before the process exits, e.g. to log a summary. */
  exit?(reason: string): void;
}

export interface RunGameOptions {
  /** The name the game's log lines start with. */
  name: string;
  /** Builds the game for the node's configuration; a GameConfigError it throws exits with code 2. */
  create(config: GameConfig, log: GameLog): FramesGame;
  /** Render soon after input (default true), or only on the frame clock. */
  renderOnInput?: boolean;
}

/** Runs the game on this process's stdin and stdout until the node ends it. */
export function runGame(options: RunGameOptions): void {
  const log = gameLog(options.name);
  let config: GameConfig;
  let game: FramesGame;
  try {
    config = readGameConfig();
    game = options.create(config, log);
  } catch (error) {
    if (!(error instanceof GameConfigError)) throw error;
    log(error.message);
    process.exit(2);
  }
  const renderOnInput = options.renderOnInput ?? true;
  const stats = { rendered: 0, skipped: 0, renderMsTotal: 0, renderMsMax: 0, malformedCommands: 0 };
  let simulatedUntil = performance.now();
  let lastInputSeq = 0;
  const audio = new AudioOutput(process.stdout, simulatedUntil);
  const sound = game.sound?.bind(game);
  const output = new FrameOutput(process.stdout, config.width, config.height, () => loop.outputDrained());
  const loop = new FrameLoop({ fps: config.fps, renderOnInput, ready: () => output.ready, tick: sendFrame });

  function simulateUntil(now: number): void {
    game.step?.(now - simulatedUntil);
    simulatedUntil = now;
  }

  function sendFrame(now: number): boolean {
    simulateUntil(now);
    const sent = output.ready;
    if (sent) {
      game.render(output.canvas);
      if (config.latencyStrip) output.canvas.drawLatencyStrip(lastInputSeq);
      const renderMs = performance.now() - now;
      stats.rendered++;
      stats.renderMsTotal += renderMs;
      stats.renderMsMax = Math.max(stats.renderMsMax, renderMs);
      output.send(lastInputSeq, now);
    } else {
      // The node is behind: drop this frame rather than queue it, so what it gets next is current.
      stats.skipped++;
    }
    if (sound) audio.writeUntil(now, sound);
    return sent;
  }

  function shutdown(reason: string): never {
    loop.stop();
    game.exit?.(reason);
    const avg = stats.rendered > 0 ? stats.renderMsTotal / stats.rendered : 0;
    const audioStats = audio.stats;
    log(
      `exiting (${reason}): frames=${stats.rendered} skipped=${stats.skipped} ` +
        `avgRenderMs=${avg.toFixed(3)} maxRenderMs=${stats.renderMsMax.toFixed(3)} audioChunks=${audioStats.chunks} ` +
        `audioSkipped=${audioStats.skipped} malformedCommands=${stats.malformedCommands}`,
    );
    process.exit(0);
  }

  new CommandReader(process.stdin, {
    commands(batch) {
      // Inputs take effect from the moment they arrive, not retroactively from the last step.
      simulateUntil(performance.now());
      let applied = false;
      for (const command of batch) {
        if (command.type === 'quit') shutdown('quit');
        if (command.type === 'pace') loop.pace(command.shiftMs);
        if (command.type === 'input') {
          game.input?.(command.event);
          lastInputSeq = command.event.seq;
          applied = true;
        }
      }
      if (applied) loop.inputApplied();
    },
    malformed(line) {
      // Only the first is logged: a broken sender would otherwise flood the log at input rate.
      if (stats.malformedCommands++ === 0) log(`ignoring malformed command: ${line.slice(0, 200)}`);
    },
    end: () => shutdown('stdin closed'),
  });
  process.stdout.on('error', (error: NodeJS.ErrnoException) => shutdown(`stdout ${error.code ?? error.message}`));

  log(`${config.width}x${config.height}@${config.fps} latencyStrip=${config.latencyStrip ? 'on' : 'off'} renderOnInput=${renderOnInput ? 'on' : 'off'}`);
  loop.start();
}
