/** The studio API over fetch, with the caller's key; refusals come back as StudioApiError with their code. */
import type { ErrorResponse } from '../protocol/http.js';

export class StudioApiError extends Error {
  override name = 'StudioApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class StudioApi {
  constructor(
    readonly controlPlane: string,
    private readonly apiKey: string | undefined,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  /** The answer, or null for a 404 with the given code (a lookup that found nothing). */
  async find<T>(path: string, notFoundCode: string): Promise<T | null> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof StudioApiError && error.code === notFoundCode) return null;
      throw error;
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(path, this.controlPlane), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    const parsed: unknown = text === '' ? null : JSON.parse(text);
    if (!response.ok) {
      const error = (parsed as Partial<ErrorResponse> | null)?.error;
      throw new StudioApiError(response.status, error?.code ?? 'INTERNAL', error?.message ?? `HTTP ${response.status}`);
    }
    return parsed as T;
  }
}
