/**
 * The studio page: its games with versions and channels, its builds and the nodes holding them,
 * and its recent sessions with the latency their players signed in their usage records. The key
 * stays in this tab's sessionStorage, never in the URL.
 */
import type { StudioOverview } from '../../../protocol/studio.js';
import { ApiError } from '../lib/api-client.js';
import { StudioClient } from '../lib/studio-client.js';

const KEY_STORAGE = 'edgeplay.studioKey';
const REFRESH_MS = 5_000;
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export class StudioPage {
  private readonly api = new StudioClient();
  private timer: number | undefined;

  start(): void {
    $('studio-login').addEventListener('submit', (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY_STORAGE, $<HTMLInputElement>('studio-key').value.trim());
      void this.refresh();
    });
    if (sessionStorage.getItem(KEY_STORAGE)) void this.refresh();
  }

  private async refresh(): Promise<void> {
    window.clearTimeout(this.timer);
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (!key) return;
    try {
      this.render(await this.api.overview(key));
      $('message').hidden = true;
      this.timer = window.setTimeout(() => void this.refresh(), REFRESH_MS);
    } catch (error) {
      $('studio-view').hidden = true;
      const message = $('message');
      message.textContent = error instanceof ApiError ? `${error.message} (${error.code})` : 'The studio could not be loaded.';
      message.hidden = false;
      if (error instanceof ApiError && error.code === 'API_KEY_INVALID') sessionStorage.removeItem(KEY_STORAGE);
    }
  }

  private render({ studio, games, builds, sessions }: StudioOverview): void {
    $('studio-status').textContent = '';
    $('studio-view').hidden = false;
    $('studio-name').textContent = studio.name;
    fillTable(
      $('studio-games'),
      ['Game', 'Channels', 'Versions'],
      games.map(({ gameId, channels, versions }) => [
        gameId,
        channels.map(({ channel, version }) => `${channel} → ${version}`).join(', ') || 'none yet',
        versions.map(({ version, publishedAt }) => (publishedAt === undefined ? `${version} (unpublished)` : version)).join(', '),
      ]),
      'No games yet: upload a build with edgeplay-studio upload.',
    );
    fillTable(
      $('studio-builds'),
      ['Build', 'Game', 'Size', 'On nodes'],
      builds.map(({ buildId, gameId, version, sizeBytes, nodes }) => [
        buildId.slice(0, 16),
        `${gameId} ${version}`,
        `${(sizeBytes / 1e6).toFixed(1)} MB`,
        nodes.map((node) => node.name).join(', ') || 'none yet',
      ]),
      'No builds yet.',
    );
    fillTable(
      $('studio-sessions'),
      ['Started', 'Game', 'Node', 'State', 'Latency p50 / p95'],
      sessions.map(({ createdAt, gameId, nodeId, state, latency }) => [
        new Date(createdAt).toLocaleString(),
        gameId,
        nodeId.slice(0, 12),
        state,
        latency === undefined ? 'not reported' : `${latency.p50Ms.toFixed(1)} / ${latency.p95Ms?.toFixed(1) ?? '—'} ms`,
      ]),
      'No sessions yet.',
    );
  }
}

function fillTable(table: HTMLElement, headings: string[], rows: string[][], empty: string): void {
  const head = document.createElement('tr');
  head.append(...headings.map((text) => Object.assign(document.createElement('th'), { textContent: text })));
  const body = rows.length
    ? rows.map((cells) => {
        const row = document.createElement('tr');
        row.append(...cells.map((text) => Object.assign(document.createElement('td'), { textContent: text })));
        return row;
      })
    : [Object.assign(document.createElement('tr'), { textContent: empty })];
  table.replaceChildren(head, ...body);
}
