/**
 * Studio accounts and their API keys. A key is 256 random bits shown once; only its SHA-256 is
 * stored, and a key carries scopes (upload, publish, keys) and can be revoked. Every request names
 * its studio through its key alone, so a key of one studio can reach nothing of another's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../protocol/errors.js';
import { ALL_SCOPES, type ApiKeyCreated, type ApiKeyScope, type ApiKeyView, type StudioCreated, type StudioView } from '../../protocol/studio.js';
import type { Logger } from '../logging/logger.js';
import type { ApiKeyRecord, StudioStore } from './studio-store.js';

/** Who a request acts for, once its key checked out. */
export interface StudioCaller {
  studioId: string;
  keyId: string;
  scopes: readonly ApiKeyScope[];
}

export class StudioAccounts {
  readonly #store: StudioStore;
  readonly #log: Logger;

  constructor(store: StudioStore, log: Logger) {
    this.#store = store;
    this.#log = log.child({ component: 'studio-accounts' });
  }

  async signUp(name: string): Promise<StudioCreated> {
    const studio: StudioView = { studioId: `st${randomBytes(8).toString('hex')}`, name, createdAt: Date.now() };
    if (!(await this.#store.createStudio(studio))) throw new AppError('STUDIO_EXISTS', `A studio named "${name}" already exists.`);
    const { key, apiKey } = await this.createKey(studio.studioId, 'first key', [...ALL_SCOPES]);
    this.#log.info({ studioId: studio.studioId, name }, 'studio created');
    return { studio, key, apiKey };
  }

  async createKey(studioId: string, label: string, scopes: ApiKeyScope[]): Promise<ApiKeyCreated> {
    const key = `eps_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = { keyId: `k${randomBytes(6).toString('hex')}`, studioId, digest: digest(key), label, scopes, createdAt: Date.now() };
    await this.#store.putApiKey(record);
    this.#log.info({ studioId, keyId: record.keyId, scopes }, 'api key created');
    return { key, apiKey: toView(record) };
  }

  async listKeys(studioId: string): Promise<ApiKeyView[]> {
    return (await this.#store.listApiKeys(studioId)).map(toView);
  }

  async revokeKey(studioId: string, keyId: string): Promise<ApiKeyView> {
    const record = await this.#store.revokeApiKey(studioId, keyId, Date.now());
    if (record === null) throw new AppError('VALIDATION_FAILED', `Your studio has no API key ${keyId}.`);
    this.#log.info({ studioId, keyId }, 'api key revoked');
    return toView(record);
  }

  async studio(studioId: string): Promise<StudioView> {
    const studio = await this.#store.getStudio(studioId);
    if (studio === null) throw new AppError('API_KEY_INVALID');
    return studio;
  }

  /** The caller a key stands for; API_KEY_INVALID for an unknown or revoked key. */
  async authenticate(key: string | null): Promise<StudioCaller> {
    const record = key === null ? null : await this.#store.apiKeyByDigest(digest(key));
    if (record === null || record.revokedAt !== undefined) throw new AppError('API_KEY_INVALID');
    return { studioId: record.studioId, keyId: record.keyId, scopes: record.scopes };
  }
}

export function requireScope(caller: StudioCaller, scope: ApiKeyScope): void {
  if (!caller.scopes.includes(scope)) {
    throw new AppError('API_KEY_SCOPE_MISSING', `This API key has the scopes ${caller.scopes.join(', ')}; this request needs "${scope}".`);
  }
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function toView({ keyId, label, scopes, createdAt, revokedAt }: ApiKeyRecord): ApiKeyView {
  return revokedAt === undefined ? { keyId, label, scopes, createdAt } : { keyId, label, scopes, createdAt, revokedAt };
}
