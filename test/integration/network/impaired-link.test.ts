/**
 * The impaired-link harness itself: a UDP echo inside the link's namespace, pinged from here,
 * sees the delay, the loss and the rate limit that were set, and nothing is left behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImpairedLink } from '../../support/impaired-link/impaired-link.js';

const run = promisify(execFile);
const ECHO_PORT = 7;
const ECHO = `const s=require('node:dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(${ECHO_PORT},process.argv[1],()=>console.log('ready'))`;

describe('impaired link', () => {
  let link: ImpairedLink;
  let echo: ChildProcess;
  let socket: Socket;
  const replies = new Map<number, number>();

  beforeAll(async () => {
    link = await ImpairedLink.create();
    echo = spawn('ip', ['netns', 'exec', link.namespace, process.execPath, '-e', ECHO, link.peerIp], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(echo.stdout!, 'data');
    socket = createSocket('udp4');
    socket.on('message', (message) => replies.set(message.readUInt32BE(0), performance.now()));
    await new Promise<void>((resolve) => socket.bind(0, link.hostIp, resolve));
  });

  afterAll(async () => {
    socket?.close();
    echo?.kill();
    await link?.close();
  });

  /** Sends `count` datagrams of `bytes` at `perSecond`; resolves the round trips of those that came back. */
  async function ping(count: number, bytes = 100, perSecond = 200): Promise<number[]> {
    replies.clear();
    const sent = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const payload = Buffer.alloc(bytes);
      payload.writeUInt32BE(i, 0);
      sent.set(i, performance.now());
      socket.send(payload, ECHO_PORT, link.peerIp);
      if (i % Math.max(1, Math.round(perSecond / 100)) === 0) await sleep(10);
    }
    await sleep(500);
    return [...replies].map(([id, at]) => at - (sent.get(id) ?? at));
  }

  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

  it('adds the round-trip delay it is given, within its jitter', async () => {
    await link.set({});
    const clean = median(await ping(40));
    await link.set({ rttMs: 60, jitterMs: 5 });
    const delayed = await ping(40);
    expect(delayed.length).toBe(40);
    expect(Math.min(...delayed)).toBeGreaterThanOrEqual(60 - 2 * 5);
    expect(median(delayed)).toBeGreaterThan(clean + 40);
  });

  it('drops the share of UDP packets it is told to, each way', async () => {
    await link.set({ lossPercent: 20 });
    const got = (await ping(600)).length / 600;
    // Two chances to be lost: 1 - 0.8^2 = 36% gone on average.
    expect(got).toBeGreaterThan(0.52);
    expect(got).toBeLessThan(0.76);
  });

  it('adds a loss burst for as long as asked, then stops', async () => {
    await link.set({});
    const burst = link.lossBurst(100, 400);
    await sleep(50);
    expect((await ping(20)).length).toBe(0);
    await burst;
    expect((await ping(20)).length).toBe(20);
  });

  it('limits the rate: a flood at four times the limit comes back at about the limit', async () => {
    await link.set({ rateKbit: 1000, queueMs: 20 });
    const bytes = 1000;
    const replyCount = (await ping(1000, bytes, 500)).length;
    // 1000 x 1000 B in about 2 s is 4 Mbit/s offered; at most about 1 Mbit/s (plus the bucket) gets back.
    const seconds = 2.5;
    const kbit = (replyCount * bytes * 8) / 1000 / seconds;
    expect(kbit).toBeLessThan(1000 * 1.25);
    expect(replyCount).toBeGreaterThan(100);
  });

  it('leaves no namespace behind once closed', async () => {
    const other = await ImpairedLink.create();
    await other.set({ rttMs: 20, lossPercent: 1, rateKbit: 5000 });
    await other.close();
    const { stdout } = await run('ip', ['netns', 'list']);
    expect(stdout).not.toContain(other.namespace);
    expect(stdout).toContain(link.namespace);
  });
});
