/** A player's side of the placement API, over real HTTP. */
import { expect } from 'vitest';
import type { ErrorResponse, GeoPoint, GuestToken } from '../../../../protocol/http.js';
import type { PlacementOffer, PlacementResult, RttMeasurement } from '../../../../protocol/placement.js';
import { api, type ApiResponse } from './http.js';

export const BERLIN: GeoPoint = { lat: 52.52, lng: 13.405 };

export class TestPlayer {
  constructor(
    readonly baseUrl: string,
    readonly guest: GuestToken,
  ) {}

  static async join(baseUrl: string): Promise<TestPlayer> {
    const { status, body } = await api<GuestToken>(baseUrl, '/v1/auth/guest', { method: 'POST' });
    expect(status).toBe(201);
    return new TestPlayer(baseUrl, body);
  }

  get playerId(): string {
    return this.guest.playerId;
  }

  /** `location` null sends none: the control plane goes by the client address. */
  async requestOffer(location: GeoPoint | null = BERLIN, headers: Record<string, string> = {}): Promise<ApiResponse<PlacementOffer | ErrorResponse>> {
    return api(this.baseUrl, '/v1/placements', { body: { gameId: 'demo-arena', ...(location === null ? {} : { location }) }, token: this.guest.token, headers });
  }

  async offer(location: GeoPoint = BERLIN): Promise<PlacementOffer> {
    const response = await this.requestOffer(location);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as PlacementOffer;
  }

  async choose(placementId: string, measurements: RttMeasurement[]): Promise<ApiResponse<PlacementResult | ErrorResponse>> {
    return api(this.baseUrl, `/v1/placements/${placementId}/choice`, { body: { measurements }, token: this.guest.token });
  }

  async poll(placementId: string): Promise<ApiResponse<PlacementResult | ErrorResponse>> {
    return api(this.baseUrl, `/v1/placements/${placementId}`, { token: this.guest.token });
  }

  async cancel(placementId: string): Promise<ApiResponse> {
    return api(this.baseUrl, `/v1/placements/${placementId}`, { method: 'DELETE', token: this.guest.token });
  }

  /** Offer, then a choice reporting `rtts` by node id (the estimate, as if every probe failed, for the rest). */
  async place(rtts: Record<string, number> = {}, location: GeoPoint = BERLIN): Promise<{ offer: PlacementOffer; result: PlacementResult }> {
    const offer = await this.offer(location);
    const response = await this.choose(
      offer.placementId,
      offer.candidates.map(({ nodeId }) => ({ nodeId, rttMs: rtts[nodeId] ?? null })),
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return { offer, result: response.body as PlacementResult };
  }
}

export function errorCode(response: ApiResponse<unknown>): string | undefined {
  return (response.body as Partial<ErrorResponse>).error?.code;
}
