import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../web-client/src/lib/api-client.js';
import { place, type PlacementApi, type PlacementProgress } from '../../../web-client/src/lib/placement-flow.js';
import type { SessionCreated } from '../../../protocol/http.js';
import type { PlacementOffer, PlacementResult, RttMeasurement } from '../../../protocol/placement.js';

const offer: PlacementOffer = {
  placementId: 'p1',
  probeToken: 'tok',
  probesPerCandidate: 4,
  expiresAt: 0,
  candidates: [
    { nodeId: 'n1', probeUrl: 'https://n1.example/probe', distanceKm: 5, estimatedRttMs: 3 },
    { nodeId: 'n2', probeUrl: 'https://n2.example/probe', distanceKm: 50, estimatedRttMs: 9 },
  ],
};
const session = { sessionId: 's1', nodeId: 'n1', signallingUrl: 'https://n1.example', ticket: 't', expiresAt: 0 } as SessionCreated;
const placed: PlacementResult = { state: 'placed', session };
const queued = (position: number): PlacementResult => ({ state: 'queued', position, estimatedWaitS: position * 7, latencyBoundMs: 40 + position, retryAfterMs: 1000 });
const measurements: RttMeasurement[] = [
  { nodeId: 'n1', rttMs: 4.2 },
  { nodeId: 'n2', rttMs: null },
];

function fakeApi(results: (PlacementResult | Error)[]) {
  const api = {
    createPlacement: vi.fn(async () => offer),
    choosePlacement: vi.fn(async () => next()),
    placement: vi.fn(async () => next()),
    cancelPlacement: vi.fn(async () => undefined),
  } satisfies PlacementApi;
  const next = (): PlacementResult => {
    const result = results.shift();
    if (!result) throw new Error('no more results');
    if (result instanceof Error) throw result;
    return result;
  };
  return api;
}

const noSleep = vi.fn(async () => undefined);
const measure = async (): Promise<RttMeasurement[]> => measurements;

describe('place', () => {
  it('asks not to be offered the nodes it is failing over from', async () => {
    const api = fakeApi([placed]);
    await place(api, { gameId: 'g', excludeNodes: ['n9', 'n8'], measure });
    expect(api.createPlacement).toHaveBeenCalledWith({ gameId: 'g', excludeNodes: ['n9', 'n8'] });
  });

  it('asks for candidates, reports what was measured, and returns the session when placed at once', async () => {
    const api = fakeApi([placed]);
    const progress: PlacementProgress[] = [];
    await expect(place(api, { gameId: 'g', measure, onProgress: (p) => progress.push(p) })).resolves.toBe(session);
    expect(api.createPlacement).toHaveBeenCalledWith({ gameId: 'g' });
    expect(api.choosePlacement).toHaveBeenCalledWith('p1', { measurements });
    expect(progress).toEqual([{ stage: 'finding' }, { stage: 'measuring', candidates: 2 }, { stage: 'placed', nodeId: 'n1' }]);
    expect(api.cancelPlacement).not.toHaveBeenCalled();
  });

  it('sends the location only when the page has one', async () => {
    const api = fakeApi([placed]);
    await place(api, { gameId: 'g', location: { lat: 48.1, lng: 11.6 }, measure });
    expect(api.createPlacement).toHaveBeenCalledWith({ gameId: 'g', location: { lat: 48.1, lng: 11.6 } });
  });

  it('waits in the queue, polling after the delay the control plane asks for, showing each position', async () => {
    const api = fakeApi([queued(3), queued(2), queued(1), placed]);
    const sleep = vi.fn(async () => undefined);
    const progress: PlacementProgress[] = [];
    await expect(place(api, { gameId: 'g', measure, sleep, onProgress: (p) => progress.push(p) })).resolves.toBe(session);
    expect(api.placement).toHaveBeenCalledTimes(3);
    expect(sleep).toHaveBeenCalledTimes(3);
    expect(sleep).toHaveBeenCalledWith(1000, undefined);
    expect(progress.filter((p) => p.stage === 'queued')).toEqual([
      { stage: 'queued', position: 3, estimatedWaitS: 21, latencyBoundMs: 43 },
      { stage: 'queued', position: 2, estimatedWaitS: 14, latencyBoundMs: 42 },
      { stage: 'queued', position: 1, estimatedWaitS: 7, latencyBoundMs: 41 },
    ]);
  });

  it('keeps its place through a short network outage while queued, but not through a long one', async () => {
    const network = (): ApiError => new ApiError('NETWORK', 'offline', 0);
    await expect(place(fakeApi([queued(1), network(), network(), placed]), { gameId: 'g', measure, sleep: noSleep })).resolves.toBe(session);
    const outage = place(fakeApi([queued(1), network(), network(), network(), network()]), { gameId: 'g', measure, sleep: noSleep });
    await expect(outage).rejects.toMatchObject({ code: 'NETWORK' });
  });

  it('passes coded failures through, giving up whatever the control plane may still hold for the player', async () => {
    const api = fakeApi([queued(1), new ApiError('PLACEMENT_EXPIRED', 'gone', 410)]);
    await expect(place(api, { gameId: 'g', measure, sleep: noSleep })).rejects.toMatchObject({ code: 'PLACEMENT_EXPIRED' });
    expect(api.cancelPlacement).toHaveBeenCalledTimes(1);

    const refused = fakeApi([]);
    refused.createPlacement.mockRejectedValueOnce(new ApiError('LOCATION_UNKNOWN', 'where?', 400));
    await expect(place(refused, { gameId: 'g', measure })).rejects.toMatchObject({ code: 'LOCATION_UNKNOWN' });
    expect(refused.cancelPlacement).not.toHaveBeenCalled();
  });

  it('leaves the queue when the player cancels, at once and even while waiting', async () => {
    const api = fakeApi([queued(4), queued(4)]);
    const controller = new AbortController();
    const sleep = vi.fn(
      (_ms: number, signal?: AbortSignal) =>
        new Promise<void>((resolve) => {
          signal?.addEventListener('abort', () => resolve());
          controller.abort();
        }),
    );
    await expect(place(api, { gameId: 'g', measure, sleep, signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(api.cancelPlacement).toHaveBeenCalledTimes(1);
    expect(api.cancelPlacement).toHaveBeenCalledWith('p1');
    expect(api.placement).not.toHaveBeenCalled();
  });

  it('gives the offer up when cancelled before it arrived, or while measuring', async () => {
    const early = fakeApi([placed]);
    const aborted = new AbortController();
    aborted.abort();
    await expect(place(early, { gameId: 'g', measure, signal: aborted.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(early.cancelPlacement).toHaveBeenCalledWith('p1');
    expect(early.choosePlacement).not.toHaveBeenCalled();

    const measuring = fakeApi([placed]);
    const controller = new AbortController();
    const abortWhileMeasuring = async (): Promise<RttMeasurement[]> => {
      controller.abort();
      return measurements;
    };
    await expect(place(measuring, { gameId: 'g', measure: abortWhileMeasuring, signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(measuring.cancelPlacement).toHaveBeenCalledTimes(1);
    expect(measuring.choosePlacement).not.toHaveBeenCalled();
  });
});
