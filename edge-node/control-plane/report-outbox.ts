/**
 * End reports are the basis of an operator's earnings and free the player's slot, so the node
 * keeps each one until the control plane has it: written to disk before the first try (a node
 * restart does not lose it), retried with capped exponential backoff for as long as the control
 * plane is unreachable or answers 5xx, or does not know the node (it re-registers meanwhile).
 * Only a refusal that no retry can change (a bad signature, a session not placed on this node)
 * drops a report.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import { SessionEndPayload } from '../../protocol/http.js';
import { ControlPlaneError } from './control-plane-client.js';

export interface ReportOutboxOptions {
  /** Where pending reports are kept; without one they live in memory only. */
  dir?: string;
  send(report: SessionEndPayload): Promise<void>;
  logger: Logger;
  firstRetryMs?: number;
  maxRetryMs?: number;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/** Session ids are the control plane's (protocol Id: letters, digits, _ and -), safe as file names. */
const REPORT_SUFFIX = '.end.json';

export class ReportOutbox {
  readonly #options: ReportOutboxOptions;
  readonly #log: Logger;
  /** sessionId -> the report waiting to be delivered */
  readonly #pending = new Map<string, SessionEndPayload>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  private constructor(options: ReportOutboxOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'report-outbox' });
  }

  /** Opens the outbox and starts delivering what an earlier run left in it. */
  static async open(options: ReportOutboxOptions): Promise<ReportOutbox> {
    const outbox = new ReportOutbox(options);
    if (options.dir !== undefined) {
      await mkdir(options.dir, { recursive: true });
      for (const name of await readdir(options.dir)) {
        if (name.endsWith(REPORT_SUFFIX)) await outbox.#load(join(options.dir, name));
      }
    }
    for (const report of outbox.#pending.values()) outbox.#deliver(report, 0);
    return outbox;
  }

  /** Session ids of the reports not yet delivered. */
  get pending(): string[] {
    return [...this.#pending.keys()];
  }

  /** Keeps the report (on disk first, when there is a dir) and delivers it. */
  async add(report: SessionEndPayload): Promise<void> {
    const { dir } = this.#options;
    if (dir !== undefined) {
      const path = this.#path(report.sessionId);
      // Written whole or not at all: a crash mid-write leaves a temporary file, never half a report.
      await writeFile(`${path}.tmp`, JSON.stringify(report));
      await rename(`${path}.tmp`, path);
    }
    this.#pending.set(report.sessionId, report);
    this.#deliver(report, 0);
  }

  /** Stops retrying; what is on disk is delivered by the next run. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #deliver(report: SessionEndPayload, attempt: number): void {
    if (this.#closed) return;
    const log = this.#log.child({ sessionId: report.sessionId });
    this.#options.send(report).then(
      () => this.#forget(report.sessionId),
      (error: unknown) => {
        if (error instanceof ControlPlaneError && error.status < 500 && error.code !== 'NODE_NOT_FOUND') {
          log.error({ err: error }, 'the control plane refused the end report; dropping it');
          return this.#forget(report.sessionId);
        }
        const { firstRetryMs = FIRST_RETRY_MS, maxRetryMs = MAX_RETRY_MS } = this.#options;
        const delayMs = Math.min(maxRetryMs, firstRetryMs * 2 ** attempt);
        log.warn({ err: error, attempt: attempt + 1, retryInMs: delayMs }, 'end report not delivered yet; will retry');
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#deliver(report, attempt + 1);
        }, delayMs);
        this.#timers.add(timer);
        return undefined;
      },
    ).catch((error: unknown) => log.error({ err: error }, 'could not remove a delivered end report'));
  }

  async #forget(sessionId: string): Promise<void> {
    if (this.#options.dir !== undefined) await rm(this.#path(sessionId), { force: true });
    this.#pending.delete(sessionId);
  }

  async #load(path: string): Promise<void> {
    try {
      const report: unknown = JSON.parse(await readFile(path, 'utf8'));
      if (!Value.Check(SessionEndPayload, report)) throw new Error('not a session end report');
      this.#pending.set(report.sessionId, report);
    } catch (error) {
      this.#log.error({ err: error, path }, 'skipping an unreadable end report');
    }
  }

  #path(sessionId: string): string {
    return join(this.#options.dir ?? '', `${sessionId}${REPORT_SUFFIX}`);
  }
}
