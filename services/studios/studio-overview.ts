/** What a studio's page shows: its games' releases, its builds and the nodes holding each, its recent sessions and their latency. */
import { AppError } from '../../protocol/errors.js';
import type { StudioBuild, StudioOverview, StudioSessionView } from '../../protocol/studio.js';
import type { Releases } from '../builds/releases.js';
import type { Ledger } from '../metering/ledger.js';
import type { Store } from '../store/store.js';
import type { StudioAccounts } from './studio-accounts.js';
import { RECENT_SESSIONS_KEPT, type BuildRecord, type StudioStore } from './studio-store.js';

export class StudioOverviews {
  constructor(
    private readonly studios: StudioStore,
    private readonly store: Store,
    private readonly accounts: StudioAccounts,
    private readonly releases: Releases,
    private readonly ledger: Pick<Ledger, 'session'>,
  ) {}

  async overview(studioId: string): Promise<StudioOverview> {
    const [studio, gameIds, builds, sessions] = await Promise.all([
      this.accounts.studio(studioId),
      this.studios.studioGames(studioId),
      this.builds(studioId),
      this.sessions(studioId),
    ]);
    const games = await Promise.all(gameIds.map((gameId) => this.releases.view(studioId, gameId)));
    return { studio, games, builds, sessions };
  }

  async builds(studioId: string): Promise<StudioBuild[]> {
    return this.#withNodes(await this.studios.studioBuilds(studioId));
  }

  /** One of the studio's builds; another studio's build does not exist for it. */
  async build(studioId: string, buildId: string): Promise<StudioBuild> {
    const record = await this.studios.getBuild(buildId);
    if (record === null || record.studioId !== studioId) throw new AppError('BUILD_NOT_FOUND', `Your studio has no build ${buildId}.`);
    const [build] = await this.#withNodes([record]);
    return build as StudioBuild;
  }

  async sessions(studioId: string): Promise<StudioSessionView[]> {
    const ids = await this.studios.recentSessions(studioId, RECENT_SESSIONS_KEPT);
    const [records, ledgered] = await Promise.all([Promise.all(ids.map((id) => this.store.getSession(id))), Promise.all(ids.map((id) => this.ledger.session(id)))]);
    return records.flatMap((record, i) => {
      if (record === null) return [];
      const view: StudioSessionView = { sessionId: record.sessionId, gameId: record.gameId, nodeId: record.nodeId, state: record.state, createdAt: record.createdAt };
      if (record.endedAt !== undefined) view.endedAt = record.endedAt;
      // Only the player's signed record, accepted against the key bound at placement, is believed.
      const usage = ledgered[i]?.player?.record.payload;
      if (usage !== undefined && usage.latencyP50Ms !== null) view.latency = { p50Ms: usage.latencyP50Ms, p95Ms: usage.latencyP95Ms };
      return [view];
    });
  }

  async #withNodes(records: BuildRecord[]): Promise<StudioBuild[]> {
    const nodes = records.length === 0 ? [] : await this.store.listNodes();
    return records.map(({ buildId, gameId, version, sizeBytes, format, manifest, uploadedAt }) => ({
      buildId,
      gameId,
      version,
      sizeBytes,
      format,
      manifest,
      uploadedAt,
      nodes: nodes.filter((node) => node.builds.includes(buildId)).map(({ nodeId, name }) => ({ nodeId, name })),
    }));
  }
}
