/** The page: the catalogue, the launch with its placement progress, the player view, and a clear message for every failure. */
import { ApiClient, ApiError } from '../lib/api-client.js';
import { browserLocation, locationFromQuery } from '../lib/page-location.js';
import type { PlacementProgress } from '../lib/placement-flow.js';
import { failureMessage, progressDetail, progressLabel } from '../lib/placement-messages.js';
import { PlayerSession, type JoinOptions, type PlayerSnapshot } from '../lib/player-session.js';
import { preparingDetail, preparingLabel } from '../lib/preparing-messages.js';
import { insecureContextMessage } from '../lib/secure-context.js';
import { chooseView } from '../lib/view-choice.js';
import { StreamError } from '../lib/stream-client.js';
import { OperatorPage } from './operator-page.js';
import { renderOverlay } from './overlay.js';
import type { GeoPoint, Game, GuestToken, SessionCreated } from '../../../protocol/http.js';
import type { PlayerUsageKey, UsageAccepted } from '../../../protocol/metering.js';
import type { SessionPreparing } from '../../../protocol/signalling.js';

declare global {
  interface Window {
    /** The running session's numbers, for the stats overlay's readers: tests and benchmarks. */
    edgeplay?: {
      snapshot(): PlayerSnapshot | null;
      leave(): Promise<void>;
      /** The next session's usage key, for a session placed for this page elsewhere (join). */
      usageKey(): Promise<PlayerUsageKey>;
      /** Streams a session placed for this page, as the guest it was placed for. */
      join(session: SessionCreated, guest: GuestToken, options?: JoinOptions): Promise<void>;
      /** The outcome of the last ended session's signed usage record. */
      usageReported(): Promise<UsageAccepted | null>;
    };
  }
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export class App {
  private readonly api = new ApiClient();
  private session: PlayerSession | undefined;
  /** Set while the player is being placed: aborting it leaves the queue. */
  private launching: AbortController | undefined;
  /** A session made ahead of a join, holding the usage key handed out for it. */
  private pending: PlayerSession | undefined;
  private previous: PlayerSession | undefined;
  private readonly operator = new OperatorPage();

  async start(): Promise<void> {
    window.edgeplay = {
      snapshot: () => this.session?.snapshot() ?? null,
      leave: () => this.leave(),
      usageKey: () => (this.pending ??= this.newSession()).usageKey(),
      join: (session, guest, options) => this.join(session, guest, options),
      usageReported: () => (this.session ?? this.previous)?.usageReported() ?? Promise.resolve(null),
    };
    $('leave').addEventListener('click', () => void this.leave());
    $('mute').addEventListener('click', () => this.toggleSound());
    $('cancel-placement').addEventListener('click', () => this.launching?.abort());
    window.addEventListener('pagehide', () => void this.leave());
    this.operator.start();
    window.addEventListener('hashchange', () => this.route());
    this.route();
    const insecure = insecureContextMessage(window.isSecureContext, window.location.host);
    if (insecure) this.showMessage(insecure);
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
        if (game.coverUrl !== undefined) {
          const cover = document.createElement('img');
          cover.className = 'cover';
          cover.src = game.coverUrl;
          cover.alt = '';
          item.prepend(cover);
        }
        return item;
      }),
    );
  }

  private async play(game: Game, button: HTMLButtonElement): Promise<void> {
    const insecure = insecureContextMessage(window.isSecureContext, window.location.host);
    if (insecure) {
      this.showMessage(insecure);
      return;
    }
    this.hideMessage();
    // One placement at a time: the control plane would refuse a second with PLACEMENT_IN_PROGRESS.
    this.setPlayEnabled(false);
    const launching = new AbortController();
    this.launching = launching;
    const video = $<HTMLVideoElement>('video');
    const session = this.newSession();
    this.session = session;
    const launch = (location: GeoPoint | undefined): Promise<void> =>
      session.launch(game.id, {
        location,
        signal: launching.signal,
        view: chooseView(window.location.search),
        onProgress: (progress) => this.showProgress(button, progress),
        onPreparing: (progress) => this.showPreparing(button, progress),
      });
    try {
      const given = locationFromQuery(window.location.search);
      try {
        await launch(given);
      } catch (error) {
        // Only the browser can say where a player is whose address does not; it asks them first.
        if (given || !(error instanceof ApiError && error.code === 'LOCATION_UNKNOWN')) throw error;
        button.textContent = 'Asking for your location…';
        const location = await browserLocation();
        if (!location) throw error;
        await launch(location);
      }
      this.showView('player');
      this.renderSoundButton();
      video.focus();
    } catch (error) {
      this.session = undefined;
      this.showView('catalogue');
      this.showMessage(describe(error), error instanceof ApiError && error.code === 'CANCELLED' ? 'info' : 'error');
    } finally {
      this.launching = undefined;
      $('placement').hidden = true;
      this.setPlayEnabled(true);
      button.textContent = 'Play';
    }
  }

  /** #operator shows the operator page; anything else the games (or the game being played). */
  private route(): void {
    const operator = window.location.hash === '#operator';
    $('operator').hidden = !operator;
    if (operator) {
      $('catalogue').hidden = true;
      void this.operator.load();
    } else if (!this.session) {
      this.showView('catalogue');
    }
  }

  private newSession(): PlayerSession {
    return new PlayerSession(
      this.api,
      $<HTMLVideoElement>('video'),
      (snapshot) => renderOverlay($('overlay'), snapshot),
      (notice) => {
        this.showView('catalogue');
        this.showMessage(notice.message, notice.reason === 'player_left' ? 'info' : 'error');
      },
      (text) => {
        $('notice').textContent = text ?? '';
        $('notice').hidden = text === null;
      },
    );
  }

  private async join(created: SessionCreated, guest: GuestToken, options?: JoinOptions): Promise<void> {
    this.api.useGuest(guest);
    const session = this.pending ?? this.newSession();
    this.pending = undefined;
    this.session = session;
    await session.join(created, options);
    this.showView('player');
  }

  private showProgress(button: HTMLButtonElement, progress: PlacementProgress): void {
    button.textContent = progressLabel(progress);
    $('placement-status').textContent = progressDetail(progress);
    $('placement').hidden = false;
    // Once placed, the slot is the player's; leaving goes through the player view.
    $('cancel-placement').hidden = progress.stage === 'placed';
  }

  private showPreparing(button: HTMLButtonElement, progress: SessionPreparing): void {
    button.textContent = preparingLabel(progress);
    $('placement-status').textContent = preparingDetail(progress);
  }

  private setPlayEnabled(enabled: boolean): void {
    for (const play of $('games').querySelectorAll('button')) play.disabled = !enabled;
  }

  private toggleSound(): void {
    if (!this.session) return;
    this.session.muted = !this.session.muted;
    this.renderSoundButton();
  }

  private renderSoundButton(): void {
    const muted = this.session?.muted ?? false;
    const mute = $('mute');
    mute.textContent = muted ? 'Sound on' : 'Mute';
    mute.setAttribute('aria-pressed', String(muted));
  }

  private async leave(): Promise<void> {
    if (this.launching) {
      this.launching.abort();
      return;
    }
    await this.session?.leave();
    this.previous = this.session ?? this.previous;
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
  if (error instanceof ApiError) return `${failureMessage(error.code, error.message)} (${error.code})`;
  if (error instanceof StreamError) return `${error.message} (${error.code})`;
  return 'Something went wrong. Please try again.';
}
