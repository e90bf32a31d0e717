/**
 * Uploads a build archive with tus (tus-js-client): in chunks, read from the file as they go, and
 * resumable from the upload's URL after Ctrl+C, a crash or a dropped connection. Transport
 * failures are retried with back-off; a refusal (a catalogued code in the last answer) is final.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Upload, type DetailedError } from 'tus-js-client';
import { BUILD_ID_HEADER, UPLOAD_PATH } from '../protocol/studio.js';

export interface UploadRequest {
  controlPlane: string;
  apiKey: string;
  path: string;
  /** The archive's SHA-256: the server checks the bytes it got against it. */
  sha256: string;
  /** Where an earlier attempt's upload lives: resumes from the server's offset. */
  resumeUrl?: string;
  chunkSize?: number;
  retryDelays?: number[];
  onProgress?: (bytesSent: number, bytesTotal: number) => void;
  /** Told the upload's URL as soon as the server made it, to be kept for resuming. */
  onUploadUrl?: (url: string) => void;
  signal?: AbortSignal;
}

export class UploadRefused extends Error {
  override name = 'UploadRefused';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

/** Resolves with the build id the server made of the upload. */
export function uploadArchive(request: UploadRequest): Promise<{ buildId: string }> {
  return new Promise((resolve, reject) => {
    const file = createReadStream(request.path);
    const upload = new Upload(file as unknown as Buffer, {
      endpoint: new URL(UPLOAD_PATH, request.controlPlane).toString(),
      ...(request.resumeUrl === undefined ? {} : { uploadUrl: request.resumeUrl }),
      headers: { authorization: `Bearer ${request.apiKey}` },
      metadata: { filename: basename(request.path), sha256: request.sha256 },
      chunkSize: request.chunkSize ?? DEFAULT_CHUNK_BYTES,
      retryDelays: request.retryDelays ?? [0, 1000, 3000, 5000, 10000],
      // Resuming is by the URL the caller keeps, not tus-js-client's own store.
      storeFingerprintForResuming: false,
      onProgress: request.onProgress ?? null,
      onUploadUrlAvailable: () => {
        if (upload.url !== null) request.onUploadUrl?.(upload.url);
      },
      onShouldRetry: (error) => {
        const status = error.originalResponse?.getStatus() ?? 0;
        // Only transport failures and server trouble are worth repeating; 423 is tus's "locked, try again".
        return status === 0 || status >= 500 || status === 423 || status === 409;
      },
      onSuccess: ({ lastResponse }) => {
        file.destroy();
        const buildId = lastResponse.getHeader(BUILD_ID_HEADER);
        if (buildId === undefined) reject(new UploadRefused(lastResponse.getStatus(), 'INTERNAL', 'The server finished the upload without naming its build.'));
        else resolve({ buildId });
      },
      onError: (error) => {
        file.destroy();
        reject(refusal(error));
      },
    });
    request.signal?.addEventListener('abort', () => {
      void upload.abort().then(() => {
        file.destroy();
        reject(request.signal?.reason ?? new Error('aborted'));
      });
    });
    upload.start();
  });
}

function refusal(error: Error | DetailedError): Error {
  const response = 'originalResponse' in error ? error.originalResponse : null;
  if (response === null || response === undefined) return error;
  try {
    const body = JSON.parse(response.getBody()) as { error?: { code?: string; message?: string } };
    if (body.error?.code !== undefined) return new UploadRefused(response.getStatus(), body.error.code, body.error.message ?? body.error.code);
  } catch {
    // Not one of our error bodies (a proxy's page, tus's own plain-text answers): report the status.
  }
  return new UploadRefused(response.getStatus(), response.getStatus() === 404 ? 'UPLOAD_NOT_FOUND' : 'UPLOAD_FAILED', response.getBody() || `HTTP ${response.getStatus()}`);
}
