/** The control plane's HTTP API as the page sees it; every failure becomes an ApiError with a catalogued code. */
import type { ErrorResponse, Game, GameList, GuestToken } from '../../../protocol/http.js';
import type { SignedPlayerUsage, UsageAccepted } from '../../../protocol/metering.js';
import type { PlacementChoice, PlacementOffer, PlacementRequest, PlacementResult } from '../../../protocol/placement.js';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class ApiClient {
  private guest: GuestToken | undefined;

  constructor(private readonly baseUrl: string = location.origin) {}

  async games(): Promise<Game[]> {
    return (await this.request<GameList>('GET', '/v1/games')).games;
  }

  async createPlacement(request: PlacementRequest): Promise<PlacementOffer> {
    return this.request<PlacementOffer>('POST', '/v1/placements', request, (await this.guestToken()).token);
  }

  async choosePlacement(placementId: string, choice: PlacementChoice): Promise<PlacementResult> {
    return this.request<PlacementResult>('POST', `/v1/placements/${encodeURIComponent(placementId)}/choice`, choice, (await this.guestToken()).token);
  }

  async placement(placementId: string): Promise<PlacementResult> {
    return this.request<PlacementResult>('GET', `/v1/placements/${encodeURIComponent(placementId)}`, undefined, (await this.guestToken()).token);
  }

  async cancelPlacement(placementId: string): Promise<void> {
    await this.request<unknown>('DELETE', `/v1/placements/${encodeURIComponent(placementId)}`, undefined, (await this.guestToken()).token);
  }

  /** Hands in the page's signed usage record; sent even while the page is closing. */
  async reportUsage(record: SignedPlayerUsage): Promise<UsageAccepted> {
    const path = `/v1/sessions/${encodeURIComponent(record.payload.sessionId)}/usage`;
    return this.request<UsageAccepted>('POST', path, record, (await this.guestToken()).token);
  }

  /** Plays as a guest identity issued elsewhere (a session placed for this page by another party). */
  useGuest(guest: GuestToken): void {
    this.guest = guest;
  }

  private async guestToken(): Promise<GuestToken> {
    this.guest ??= await this.request<GuestToken>('POST', '/v1/auth/guest', {});
    return this.guest;
  }

  protected async request<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // A player who closes the tab while queued still leaves the queue.
        keepalive: method === 'DELETE' || method === 'PUT' || path.endsWith('/usage'),
      });
    } catch {
      throw new ApiError('NETWORK', 'The service cannot be reached. Check your connection and try again.', 0);
    }
    const parsed: unknown = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = (parsed as Partial<ErrorResponse>).error;
      throw new ApiError(error?.code ?? 'INTERNAL', error?.message ?? `The service answered ${response.status}.`, response.status);
    }
    return parsed as T;
  }
}
