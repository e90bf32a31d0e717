import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { GameProcess, type GameExit, type GameProcessOptions } from '../../../edge-node/game/game-process.js';
import { FrameProtocolError, i420Size, type FrameHeader } from '../../../protocol/game-protocol.js';
import { decodeStrip, planeLuma } from '../../../protocol/latency-strip.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const WIDTH = 1280;
const HEIGHT = 720;

const running: GameProcess[] = [];

function start(options: Partial<GameProcessOptions> & Pick<GameProcessOptions, 'args'>): GameProcess {
  const game = GameProcess.start({ command: process.execPath, cwd: repoRoot, width: WIDTH, height: HEIGHT, fps: 60, ...options });
  running.push(game);
  return game;
}

function startDemo(): GameProcess {
  return start({ args: ['--import', 'tsx', 'edge-node/demo-game/main.ts'], latencyStrip: true, env: { EDGEPLAY_SEED: '1' } });
}

/** Node one-liners standing in for broken game builds. */
function startScript(script: string): GameProcess {
  return start({ args: ['-e', script] });
}

function nextFrame(game: GameProcess, accept: (header: FrameHeader, pixels: Buffer) => boolean = () => true): Promise<{ header: FrameHeader; stripSeq: number | null }> {
  return new Promise((resolve, reject) => {
    const onFrame = (header: FrameHeader, pixels: Buffer): void => {
      if (!accept(header, pixels)) return;
      game.off('frame', onFrame);
      game.off('exit', onExit);
      // The pixels are only valid during the event, so the strip is decoded here.
      resolve({ header, stripSeq: decodeStrip(planeLuma(pixels, WIDTH)) });
    };
    const onExit = (exit: GameExit): void => reject(new Error(`game exited while waiting for a frame: ${JSON.stringify(exit)}`));
    game.on('frame', onFrame);
    game.once('exit', onExit);
  });
}

function exitOf(game: GameProcess): Promise<GameExit> {
  return game.exited ? Promise.resolve(game.exited) : new Promise((resolve) => game.once('exit', resolve));
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((game) => game.stop(500)));
});

describe('GameProcess with the demo game', () => {
  it('streams 1280x720 I420 frames whose header and strip follow the inputs', async () => {
    const game = startDemo();
    const first = await nextFrame(game);
    expect(first.header).toMatchObject({ width: WIDTH, height: HEIGHT, inputSeq: 0, payloadLength: i420Size(WIDTH, HEIGHT) });
    expect(first.stripSeq).toBe(0);

    const codes = ['KeyD', 'KeyW', 'ArrowLeft', 'ArrowDown', 'Space'];
    const latencies: number[] = [];
    for (let seq = 1; seq <= 20; seq++) {
      const shown = nextFrame(game, (header) => header.inputSeq >= seq);
      const sentAt = performance.now();
      expect(game.sendInput({ t: 'key', seq, code: codes[seq % codes.length]!, down: seq % 2 === 1 })).toBe(true);
      const { header, stripSeq } = await shown;
      latencies.push(performance.now() - sentAt);
      expect(header.inputSeq).toBe(seq);
      expect(stripSeq).toBe(seq);
    }
    expect(game.stats).toMatchObject({ inputsSent: 20, inputsDropped: 0 });
    latencies.sort((a, b) => a - b);
    console.log(
      `demo-game input to received frame: p50 ${latencies[10]?.toFixed(2)} ms, max ${latencies.at(-1)?.toFixed(2)} ms (measured, not asserted)`,
    );

    const exit = await game.stop();
    expect(exit).toEqual({ code: 0, signal: null, crashed: false });
  });

  it('streams its sound as numbered 10 ms chunks between the frames', async () => {
    const game = startDemo();
    await nextFrame(game);
    const chunks: { number: number; peak: number }[] = [];
    await new Promise<void>((resolve) => {
      game.on('audio', (header, samples) => {
        const pcm = new Int16Array(samples.buffer, samples.byteOffset, samples.length / 2);
        chunks.push({ number: header.chunkNumber, peak: pcm.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0) });
        if (chunks.length === 50) resolve();
      });
    });
    expect(game.stats.audioChunksReceived).toBeGreaterThanOrEqual(50);
    // Numbers only ever grow: a gap is time the game skipped, never a reordering.
    expect(chunks.every((chunk, i) => i === 0 || chunk.number > chunks[i - 1]!.number)).toBe(true);
    // The engine hums even at rest.
    expect(chunks.every((chunk) => chunk.peak > 500)).toBe(true);
    const exit = await game.stop();
    expect(exit.crashed).toBe(false);
  });

  it('reports delivered fps and render time over about 3 s (measured, not asserted)', async () => {
    const game = startDemo();
    const logs: string[] = [];
    game.on('log', (line) => logs.push(line));
    await nextFrame(game);
    const frameNumbers: number[] = [];
    const renderTimes: number[] = [];
    game.on('frame', (header) => {
      frameNumbers.push(header.frameNumber);
      renderTimes.push(header.renderTimeMs);
    });
    const seconds = 3;
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const elapsedS = (performance.now() - startedAt) / 1000;
    await game.stop();

    const gaps = renderTimes.slice(1).map((t, i) => t - renderTimes[i]!).sort((a, b) => a - b);
    const skippedNumbers = (frameNumbers.at(-1) ?? 0) - (frameNumbers[0] ?? 0) + 1 - frameNumbers.length;
    console.log(
      `demo-game delivered ${(frameNumbers.length / elapsedS).toFixed(1)} fps over ${elapsedS.toFixed(2)} s; ` +
        `frame interval p50 ${gaps[Math.floor(gaps.length / 2)]?.toFixed(2)} ms, p99 ${gaps[Math.floor(gaps.length * 0.99)]?.toFixed(2)} ms; ` +
        `missing frame numbers ${skippedNumbers}`,
    );
    console.log(`demo-game's own stats: ${logs.find((line) => line.includes('avgRenderMs')) ?? '(no summary logged)'}`);
    expect(frameNumbers.length).toBeGreaterThan(0);
  });
});

describe('GameProcess with broken games', () => {
  it('reports a game that exits with an error code as crashed', async () => {
    const exit = await exitOf(startScript('process.exit(3)'));
    expect(exit).toEqual({ code: 3, signal: null, crashed: true });
  });

  it('kills a game that writes garbage to stdout and reports it as crashed', async () => {
    const game = startScript("process.stdout.write('this is not a frame\\n'); setInterval(() => {}, 1000)");
    const errors: Error[] = [];
    game.on('error', (error) => errors.push(error));
    const exit = await exitOf(game);
    expect(exit.crashed).toBe(true);
    expect(errors[0]).toBeInstanceOf(FrameProtocolError);
  });

  it('reports a game killed by a signal it was not sent as crashed', async () => {
    const exit = await exitOf(startScript("process.kill(process.pid, 'SIGTERM'); setInterval(() => {}, 1000)"));
    expect(exit).toEqual({ code: null, signal: 'SIGTERM', crashed: true });
  });

  it('reports a command that cannot start as crashed', async () => {
    const game = start({ command: '/nonexistent/game-binary', args: [] });
    const errors: Error[] = [];
    game.on('error', (error) => errors.push(error));
    const exit = await exitOf(game);
    expect(exit.crashed).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('kills a game that ignores quit after the grace period, without calling it a crash', async () => {
    const game = startScript("process.stdin.on('data', () => {}); setInterval(() => {}, 1000); process.stderr.write('ready\\n')");
    await new Promise((resolve) => game.once('log', resolve));
    const exit = await game.stop(200);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL', crashed: false });
  });

  it('drops inputs instead of buffering them when the game does not read stdin', async () => {
    const game = startScript("setInterval(() => {}, 1000); process.stderr.write('ready\\n')");
    await new Promise((resolve) => game.once('log', resolve));
    const total = 5000;
    for (let seq = 1; seq <= total; seq++) game.sendInput({ t: 'mmove', seq, dx: 1, dy: -1 });
    const { inputsSent, inputsDropped } = game.stats;
    expect(inputsDropped).toBeGreaterThan(0);
    expect(inputsSent + inputsDropped).toBe(total);
    await game.stop(200);
    expect(game.sendInput({ t: 'mmove', seq: 1, dx: 1, dy: 1 })).toBe(false);
  });
});
