/** A studio as the API sees one: signs up, writes crafted archives to disk, uploads them with the real tus client. */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StudioCreated } from '../../../../protocol/studio.js';
import { uploadArchive, type UploadRequest } from '../../../../studio-cli/uploader.js';
import { api } from './http.js';

export interface TestStudio {
  studioId: string;
  key: string;
}

export async function signUp(baseUrl: string, name: string): Promise<TestStudio> {
  const response = await api<StudioCreated>(baseUrl, '/v1/studios', { body: { name } });
  if (response.status !== 201) throw new Error(`sign-up failed: ${JSON.stringify(response.body)}`);
  return { studioId: response.body.studio.studioId, key: response.body.key };
}

export async function writeArchive(dir: string, name: string, bytes: Buffer): Promise<{ path: string; sha256: string }> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Uploads with no retries, so a refusal surfaces at once; resolves with the build id or rejects with UploadRefused. */
export async function upload(
  baseUrl: string,
  key: string,
  archive: { path: string; sha256: string },
  extra: Partial<UploadRequest> = {},
): Promise<string> {
  const { buildId } = await uploadArchive({ controlPlane: baseUrl, apiKey: key, ...archive, retryDelays: [], ...extra });
  return buildId;
}
