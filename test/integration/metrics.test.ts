/**
 * Prometheus metrics on a running system (control plane and a real edge node with the demo game):
 * both /metrics endpoints answer, and their series move when nodes register and heartbeat and
 * when a player's session starts, streams and ends.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../infra/local/system.js';
import { createSession } from '../support/api.js';
import { scrape, sampleValue } from '../support/prometheus.js';
import { connectSignalling } from '../support/signalling-client.js';

describe('metrics', () => {
  let system: LocalSystem;
  const controlPlaneMetrics = async () => scrape(`${system.url}/metrics`);
  const nodeMetrics = async () => scrape(`${system.nodes[0]!.signallingUrl}/metrics`);

  beforeAll(async () => {
    system = await startLocalSystem({
      logger: pino({ level: 'silent' }),
      controlPlane: { heartbeatIntervalMs: 200, nodeTtlMs: 5_000 },
      nodes: [{ name: 'metered', slots: 2 }],
    });
  });
  afterAll(() => system?.close());

  it('counts registrations and heartbeats on both sides', async () => {
    const text = await controlPlaneMetrics();
    expect(sampleValue(text, 'edgeplay_node_registrations_total', { outcome: 'accepted' })).toBe(1);
    await expect.poll(async () => sampleValue(await controlPlaneMetrics(), 'edgeplay_heartbeats_total', { outcome: 'accepted' })).toBeGreaterThan(1);
    await expect.poll(async () => sampleValue(await nodeMetrics(), 'edgeplay_node_heartbeats_total', { outcome: 'ok' })).toBeGreaterThan(1);
    expect(sampleValue(await nodeMetrics(), 'edgeplay_node_slots')).toBe(2);
  });

  it('follows a session: placed, started, frames encoded and timed, ended by reason', { timeout: 60_000 }, async () => {
    const before = await controlPlaneMetrics();
    const session = await createSession(system.url);
    expect(sampleValue(await controlPlaneMetrics(), 'edgeplay_sessions_created_total')).toBe(sampleValue(before, 'edgeplay_sessions_created_total') + 1);

    const player = await connectSignalling(session.signallingUrl);
    expect(await player.request('session:join', { ticket: session.ticket })).toMatchObject({ ok: true });
    await expect.poll(async () => sampleValue(await nodeMetrics(), 'edgeplay_node_sessions_active')).toBe(1);
    expect(sampleValue(await nodeMetrics(), 'edgeplay_node_sessions_started_total')).toBe(1);
    // The game is a process of its own: on a busy machine its first frames take seconds.
    await expect.poll(async () => sampleValue(await nodeMetrics(), 'edgeplay_node_encode_seconds_count'), { timeout: 20_000 }).toBeGreaterThan(10);
    const streaming = await nodeMetrics();
    expect(sampleValue(streaming, 'edgeplay_node_frames_encoded_total')).toBeGreaterThan(10);
    expect(sampleValue(streaming, 'edgeplay_node_encode_seconds_sum')).toBeGreaterThan(0);

    player.close();
    await expect.poll(async () => sampleValue(await nodeMetrics(), 'edgeplay_node_sessions_ended_total', { reason: 'player_left' }), { timeout: 10_000 }).toBe(1);
    const after = await nodeMetrics();
    expect(sampleValue(after, 'edgeplay_node_sessions_active')).toBe(0);
    // Ended sessions' frames stay in the totals.
    expect(sampleValue(after, 'edgeplay_node_frames_encoded_total')).toBeGreaterThanOrEqual(sampleValue(streaming, 'edgeplay_node_frames_encoded_total'));
    await expect.poll(async () => sampleValue(await controlPlaneMetrics(), 'edgeplay_sessions_ended_total', { reason: 'player_left' })).toBe(1);
  });
});
