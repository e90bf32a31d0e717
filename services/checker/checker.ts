/**
 * The checker service: visits every live node when it joins and then at unpredictable times, plays
 * the verification game on it through the normal player page with as many synthetic players at
 * once as the node declared slots (up to a cap), and reports what they measured, signed with the
 * checker's key. The control plane does the judging, against what the node declared. One player
 * of a check reads what the stream says about its encoder (playerRoles), the others time latency.
 */
import { randomInt, randomUUID, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { CheckResultPayload, CheckSessionGranted, CheckSessionRequestPayload, CheckVerdict, SignedCheckResult } from '../../protocol/checks.js';
import type { ErrorResponse, NodeList } from '../../protocol/http.js';
import type { PlayerUsageKey } from '../../protocol/metering.js';
import { signPayload } from '../../protocol/signing.js';
import { CheckSchedule, type CheckScheduleOptions } from './check-schedule.js';
import { launchBrowser, type Browser } from './chromium.js';
import { playSynthetic, type SyntheticPlay } from './synthetic-player.js';

/** How long a synthetic player plays by default: long enough that its median latency is steady from one check to the next. */
export const DEFAULT_PLAY_MS = 8_000;

export interface CheckerOptions {
  controlPlaneUrl: string;
  checkerId: string;
  /** The Ed25519 key whose public half the control plane knows this checker by. */
  privateKey: KeyObject;
  /** Synthetic players at once: a node declaring more slots is checked with this many. */
  maxSessions?: number;
  /** How long each synthetic player plays (DEFAULT_PLAY_MS). */
  playMs?: number;
  /**
   * How often a check with one synthetic player has it read the stream (encoder, encode time)
   * instead of timing latency; a check with more players always has one read it. Default 0.5.
   */
  streamReadShare?: number;
  schedule?: Partial<CheckScheduleOptions>;
  /** How often the checker looks for new and departed nodes. */
  pollMs?: number;
  log: Logger;
}

export class CheckerError extends Error {
  override name = 'CheckerError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Checker {
  readonly schedule: CheckSchedule;
  readonly #options: CheckerOptions;
  readonly #browser: Browser;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  private constructor(options: CheckerOptions, browser: Browser) {
    this.#options = options;
    this.#browser = browser;
    this.#log = options.log.child({ component: 'checker', checkerId: options.checkerId });
    this.schedule = new CheckSchedule({ joinDelayMs: 10_000, meanIntervalMs: 30 * 60_000, ...options.schedule });
  }

  static async start(options: CheckerOptions): Promise<Checker> {
    return new Checker(options, await launchBrowser());
  }

  /** Checks due nodes, one at a time, until stopped. */
  run(): void {
    const tick = async (): Promise<void> => {
      try {
        await this.checkDue();
      } catch (error) {
        this.#log.warn({ err: error }, 'check round failed');
      }
      this.#timer = setTimeout(() => void (this.#running = tick()), this.#options.pollMs ?? 2_000);
    };
    this.#running = tick();
  }

  /** One round: refreshes the node list and checks every node that is due. */
  async checkDue(): Promise<CheckVerdict[]> {
    const { nodes } = await this.#request<NodeList>('GET', '/v1/nodes');
    this.schedule.observe(nodes.map((node) => node.nodeId), Date.now());
    const verdicts: CheckVerdict[] = [];
    for (const nodeId of this.schedule.due(Date.now())) {
      const node = nodes.find((n) => n.nodeId === nodeId);
      if (node === undefined) continue;
      try {
        verdicts.push(await this.check(node.nodeId, node.slots));
      } catch (error) {
        this.#log.warn({ err: error, nodeId }, 'check could not run');
      } finally {
        this.schedule.checked(nodeId, Date.now());
      }
    }
    return verdicts;
  }

  /** Plays `min(slots, maxSessions)` synthetic players on the node at once and reports them. */
  async check(nodeId: string, slots: number): Promise<CheckVerdict> {
    const { checkerId, controlPlaneUrl, privateKey, maxSessions = 4, playMs = DEFAULT_PLAY_MS } = this.#options;
    const startedAt = Date.now();
    const players = Math.max(1, Math.min(slots, maxSessions));
    const grant = (usageKey: PlayerUsageKey): Promise<CheckSessionGranted | null> => this.#grant(nodeId, usageKey);
    const roles = playerRoles(players, this.#options.streamReadShare ?? 0.5);
    const sessions = await Promise.all(roles.map((role) => playSynthetic(this.#browser.context, { pageUrl: new URL('/', controlPlaneUrl).href, playMs, grant, role })));
    const payload: CheckResultPayload = { checkId: `c${randomUUID().replaceAll('-', '')}`, checkerId, nodeId, startedAt, finishedAt: Date.now(), sessions };
    const result: SignedCheckResult = { payload, signature: signPayload(payload, privateKey) };
    const verdict = await this.#request<CheckVerdict>('POST', '/v1/checks/results', result);
    this.#log.info({ nodeId, passed: verdict.passed, failures: verdict.failures, fps: verdict.fps, latencyP50Ms: verdict.latencyP50Ms, encodeMs: verdict.encodeMs, encoder: verdict.encoder }, 'node checked');
    return verdict;
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#running;
    clearTimeout(this.#timer);
    await this.#browser.close();
  }

  async #grant(nodeId: string, usageKey: PlayerUsageKey): Promise<CheckSessionGranted | null> {
    const payload: CheckSessionRequestPayload = { checkerId: this.#options.checkerId, nodeId, usageKey, sentAt: Date.now() };
    try {
      return await this.#request<CheckSessionGranted>('POST', '/v1/checks/sessions', { payload, signature: signPayload(payload, this.#options.privateKey) });
    } catch (error) {
      // Busy with players: that slot is not held against the node.
      if (error instanceof CheckerError && error.code === 'NO_CAPACITY') return null;
      throw error;
    }
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(new URL(path, this.#options.controlPlaneUrl), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const parsed: unknown = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = (parsed as Partial<ErrorResponse>).error;
      throw new CheckerError(response.status, error?.code ?? 'INTERNAL', error?.message ?? `HTTP ${response.status}`);
    }
    return parsed as T;
  }
}

/**
 * What each of a check's synthetic players measures: one reads the stream and the others time
 * latency; a lone player reads the stream on a `streamReadShare` of checks, drawn from a
 * cryptographic source like the check times, so that a node cannot tell which checks read it.
 */
export function playerRoles(players: number, streamReadShare: number): SyntheticPlay['role'][] {
  const reads = players > 1 || randomInt(1_000_000) < streamReadShare * 1_000_000;
  return Array.from({ length: players }, (_, i) => (i === 0 && reads ? 'stream' : 'latency'));
}
