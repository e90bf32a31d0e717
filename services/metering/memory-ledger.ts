/**
 * The embedded ledger for one machine: in memory, and, given a data dir, every append is written
 * to a JSON-lines journal there before it is acknowledged and replayed at the next start.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '../../protocol/canonical-json.js';
import type { AppendOutcome, CheckEntry, Ledger, LedgerSession, NodeUsageEntry, PlayerUsageEntry, ResolutionEntry, SessionBinding } from './ledger.js';

type JournalEvent =
  | { type: 'bind'; binding: SessionBinding }
  | { type: 'node'; sessionId: string; entry: NodeUsageEntry }
  | { type: 'player'; sessionId: string; entry: PlayerUsageEntry }
  | { type: 'check'; entry: CheckEntry }
  | { type: 'flagged'; sessionId: string; endedAt: number }
  | { type: 'resolution'; sessionId: string; entry: ResolutionEntry };

export const LEDGER_JOURNAL = 'ledger.jsonl';

export class MemoryLedger implements Ledger {
  readonly #sessions = new Map<string, LedgerSession>();
  readonly #checks = new Map<string, CheckEntry>();
  readonly #nodeChecks = new Map<string, CheckEntry[]>();
  /** operator -> [endedAt, sessionId] in arrival order */
  readonly #operatorSessions = new Map<string, [number, string][]>();
  readonly #nodeSessions = new Map<string, string[]>();
  /** sessionId -> the node report's end time */
  readonly #flagged = new Map<string, number>();
  readonly #operatorNodes = new Map<string, Set<string>>();
  readonly #members = new Map<string, Map<string, number>>();
  readonly #journal: string | undefined;
  /** Appends are written one after another, in the order they were accepted. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(journal: string | undefined) {
    this.#journal = journal;
  }

  /** Without a data dir the ledger lives as long as the process. */
  static async open(dataDir?: string): Promise<MemoryLedger> {
    if (dataDir === undefined) return new MemoryLedger(undefined);
    await mkdir(dataDir, { recursive: true });
    const journal = join(dataDir, LEDGER_JOURNAL);
    const ledger = new MemoryLedger(journal);
    const text = await readFile(journal, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    for (const line of text.split('\n')) {
      // A line cut short by a crash mid-write was never acknowledged: skip it.
      if (line.trim() === '') continue;
      let event: JournalEvent;
      try {
        event = JSON.parse(line) as JournalEvent;
      } catch {
        continue;
      }
      ledger.#apply(event);
    }
    return ledger;
  }

  async bind(binding: SessionBinding): Promise<AppendOutcome> {
    return this.#append(same(this.#entry(binding.sessionId).binding, binding), { type: 'bind', binding });
  }

  async session(sessionId: string): Promise<LedgerSession> {
    const entry = this.#sessions.get(sessionId);
    return entry === undefined ? emptySession() : { ...entry };
  }

  async appendNodeUsage(sessionId: string, entry: NodeUsageEntry): Promise<AppendOutcome> {
    return this.#append(same(this.#entry(sessionId).node?.record, entry.record), { type: 'node', sessionId, entry });
  }

  async appendPlayerUsage(sessionId: string, entry: PlayerUsageEntry): Promise<AppendOutcome> {
    return this.#append(same(this.#entry(sessionId).player?.record, entry.record), { type: 'player', sessionId, entry });
  }

  async operatorSessions(operatorId: string, from: number, to: number): Promise<string[]> {
    return (this.#operatorSessions.get(operatorId) ?? [])
      .filter(([endedAt]) => endedAt >= from && endedAt <= to)
      .sort((a, b) => a[0] - b[0])
      .map(([, sessionId]) => sessionId);
  }

  async operatorNodes(operatorId: string): Promise<string[]> {
    return [...(this.#operatorNodes.get(operatorId) ?? [])];
  }

  async nodeSessions(nodeId: string, limit: number): Promise<string[]> {
    return (this.#nodeSessions.get(nodeId) ?? []).slice(-limit);
  }

  async indexFlagged(sessionId: string, endedAt: number): Promise<void> {
    await this.#append(this.#flagged.has(sessionId) ? 'duplicate' : null, { type: 'flagged', sessionId, endedAt });
  }

  async flaggedSessions(from: number, to: number): Promise<string[]> {
    return [...this.#flagged]
      .filter(([, endedAt]) => endedAt >= from && endedAt <= to)
      .sort((a, b) => a[1] - b[1])
      .map(([sessionId]) => sessionId);
  }

  async appendResolution(sessionId: string, entry: ResolutionEntry): Promise<AppendOutcome> {
    return this.#append(same(this.#entry(sessionId).resolution?.resolution, entry.resolution), { type: 'resolution', sessionId, entry });
  }

  async appendCheck(entry: CheckEntry): Promise<AppendOutcome> {
    return this.#append(same(this.#checks.get(entry.result.payload.checkId)?.result, entry.result), { type: 'check', entry });
  }

  async nodeChecks(nodeId: string, limit: number): Promise<CheckEntry[]> {
    return (this.#nodeChecks.get(nodeId) ?? []).slice(-limit);
  }

  async admitMember(key: string, member: string, max: number, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const members = this.#members.get(key) ?? new Map<string, number>();
    this.#members.set(key, members);
    for (const [m, expiresAt] of members) if (expiresAt <= now) members.delete(m);
    if (!members.has(member) && members.size >= max) return false;
    members.set(member, now + ttlMs);
    return true;
  }

  async close(): Promise<void> {
    await this.#writing;
  }

  #entry(sessionId: string): LedgerSession {
    return this.#sessions.get(sessionId) ?? emptySession();
  }

  async #append(existing: AppendOutcome | null, event: JournalEvent): Promise<AppendOutcome> {
    if (existing !== null) return existing;
    this.#apply(event);
    const journal = this.#journal;
    if (journal !== undefined) {
      const line = `${JSON.stringify(event)}\n`;
      this.#writing = this.#writing.then(() => appendFile(journal, line, { flush: true }));
      await this.#writing;
    }
    return 'appended';
  }

  #apply(event: JournalEvent): void {
    switch (event.type) {
      case 'bind':
        this.#sessions.set(event.binding.sessionId, { ...this.#entry(event.binding.sessionId), binding: event.binding });
        return;
      case 'node': {
        const { sessionId, entry } = event;
        this.#sessions.set(sessionId, { ...this.#entry(sessionId), node: entry });
        const { nodeId, endedAt } = entry.record.payload;
        pushTo(this.#operatorSessions, entry.operatorId, [endedAt, sessionId]);
        pushTo(this.#nodeSessions, nodeId, sessionId);
        const nodes = this.#operatorNodes.get(entry.operatorId) ?? new Set<string>();
        this.#operatorNodes.set(entry.operatorId, nodes.add(nodeId));
        return;
      }
      case 'player':
        this.#sessions.set(event.sessionId, { ...this.#entry(event.sessionId), player: event.entry });
        return;
      case 'check':
        this.#checks.set(event.entry.result.payload.checkId, event.entry);
        pushTo(this.#nodeChecks, event.entry.result.payload.nodeId, event.entry);
        return;
      case 'flagged':
        this.#flagged.set(event.sessionId, event.endedAt);
        return;
      case 'resolution':
        this.#sessions.set(event.sessionId, { ...this.#entry(event.sessionId), resolution: event.entry });
        return;
    }
  }
}

function emptySession(): LedgerSession {
  return { binding: null, node: null, player: null, resolution: null };
}

/** null when nothing is there yet, else whether the new record repeats it. */
function same(existing: unknown, incoming: unknown): AppendOutcome | null {
  if (existing === undefined || existing === null) return null;
  return canonicalJson(existing) === canonicalJson(incoming) ? 'duplicate' : 'conflict';
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}
