/**
 * A control plane started without explicit secrets and restarted keeps the ones it generated
 * (issue 15: it made new ones, so nodes kept a stale ticket key and every new player got
 * TICKET_INVALID). They live in its data directory, readable by its user only.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GuestToken } from '../../../protocol/http.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { api } from './helpers/http.js';
import { errorCode } from './helpers/players.js';

describe('generated secrets', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(dataDir?: string): Promise<ControlPlane> {
    const controlPlane = await createControlPlane({ store: 'memory', logger: { level: 'silent' }, ...(dataDir === undefined ? {} : { dataDir }) });
    cleanups.push(() => controlPlane.close());
    return controlPlane;
  }

  it('survive a restart: the same operator token, ticket key and player tokens', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'control-plane-data-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await start(dataDir);
    const player = (await api<GuestToken>(first.url, '/v1/auth/guest', { method: 'POST' })).body;
    await first.close();
    cleanups.pop();

    const second = await start(dataDir);
    expect(second.operatorToken).toBe(first.operatorToken);
    expect(second.ticketPublicJwk).toEqual(first.ticketPublicJwk);
    // The old player token is still good: the session is unknown, not the token.
    expect(errorCode(await api(second.url, '/v1/sessions/s-none', { token: player.token }))).toBe('SESSION_NOT_FOUND');
    expect((await stat(join(dataDir, 'secrets.json'))).mode & 0o077).toBe(0);
  });

  it('are made afresh per process without a data directory', async () => {
    const [one, two] = [await start(), await start()];
    expect(one.operatorToken).not.toBe(two.operatorToken);
    expect(one.ticketPublicJwk).not.toEqual(two.ticketPublicJwk);
  });

  it('refuses a secrets file that is not one, rather than make new secrets over it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'control-plane-data-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    await writeFile(join(dataDir, 'secrets.json'), JSON.stringify({ operatorToken: 'short' }));
    await expect(createControlPlane({ store: 'memory', logger: { level: 'silent' }, dataDir })).rejects.toThrow(/not a control-plane secrets file/);
  });
});
