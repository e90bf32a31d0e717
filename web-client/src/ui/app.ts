/** The page: the catalogue, the launch, the player view, and a clear message for every failure. */
import { ApiClient, ApiError } from '../lib/api-client.js';
import { PlayerSession, type PlayerSnapshot } from '../lib/player-session.js';
import { StreamError } from '../lib/stream-client.js';
import { renderOverlay } from './overlay.js';
import type { Game } from '../../../protocol/http.js';

declare global {
  interface Window {
    /** The running session's numbers, for the stats overlay's readers: tests and benchmarks. */
    edgeplay?: { snapshot(): PlayerSnapshot | null; leave(): Promise<void> };
  }
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export class App {
  private readonly api = new ApiClient();
  private session: PlayerSession | undefined;

  async start(): Promise<void> {
    window.edgeplay = { snapshot: () => this.session?.snapshot() ?? null, leave: () => this.leave() };
    $('leave').addEventListener('click', () => void this.leave());
    window.addEventListener('pagehide', () => void this.session?.leave());
    try {
      this.showCatalogue(await this.api.games());
    } catch (error) {
      $('catalogue-status').textContent = 'The catalogue could not be loaded.';
      this.showMessage(describe(error));
    }
  }

  private showCatalogue(games: Game[]): void {
    $('catalogue-status').textContent = games.length ? '' : 'No games are available yet.';
    const list = $('games');
    list.replaceChildren(
      ...games.map((game) => {
        const item = document.createElement('li');
        item.className = 'game';
        item.dataset['gameId'] = game.id;
        const title = document.createElement('h3');
        title.textContent = game.title;
        const text = document.createElement('p');
        text.textContent = game.description;
        const meta = document.createElement('div');
        meta.className = 'meta';
        meta.textContent = `${game.manifest.width}×${game.manifest.height} · ${game.manifest.fps} fps · ${game.manifest.inputs.join(', ')}`;
        const play = document.createElement('button');
        play.type = 'button';
        play.textContent = 'Play';
        play.addEventListener('click', () => void this.play(game, play));
        item.append(title, text, meta, play);
        return item;
      }),
    );
  }

  private async play(game: Game, button: HTMLButtonElement): Promise<void> {
    this.hideMessage();
    button.disabled = true;
    button.textContent = 'Finding a server…';
    const video = $<HTMLVideoElement>('video');
    this.session = new PlayerSession(
      this.api,
      video,
      (snapshot) => renderOverlay($('overlay'), snapshot),
      (notice) => {
        this.showView('catalogue');
        this.showMessage(notice.message, notice.reason === 'player_left' ? 'info' : 'error');
      },
    );
    try {
      await this.session.launch(game.id);
      this.showView('player');
      video.focus();
    } catch (error) {
      this.session = undefined;
      this.showView('catalogue');
      this.showMessage(describe(error));
    } finally {
      button.disabled = false;
      button.textContent = 'Play';
    }
  }

  private async leave(): Promise<void> {
    await this.session?.leave();
    this.session = undefined;
  }

  private showView(view: 'catalogue' | 'player'): void {
    $('catalogue').hidden = view !== 'catalogue';
    $('player').hidden = view !== 'player';
  }

  private showMessage(text: string, kind: 'error' | 'info' = 'error'): void {
    const message = $('message');
    message.textContent = text;
    message.className = `message ${kind}`;
    message.hidden = false;
  }

  private hideMessage(): void {
    $('message').hidden = true;
  }
}

function describe(error: unknown): string {
  if (error instanceof ApiError || error instanceof StreamError) return `${error.message} (${error.code})`;
  return 'Something went wrong. Please try again.';
}
