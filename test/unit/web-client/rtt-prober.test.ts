import { describe, expect, it } from 'vitest';
import { measureCandidates, probeSeries, probeUrl } from '../../../web-client/src/lib/rtt-prober.js';

/** A fake network: each host answers after a fixed delay, with a status, or never. */
function fakeNetwork(routes: Record<string, { delayMs: number; status?: number } | 'hang' | 'refuse'>) {
  const requests: { url: string; init: RequestInit | undefined }[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    requests.push({ url, init });
    const route = routes[new URL(url).host];
    if (!route || route === 'refuse') throw new TypeError('Failed to fetch');
    if (route === 'hang') {
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
    await new Promise((resolve) => setTimeout(resolve, route.delayMs));
    return new Response(null, { status: route.status ?? 204 });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

const candidate = (host: string) => ({ nodeId: host.split('.')[0]!, probeUrl: `https://${host}/probe`, distanceKm: 1, estimatedRttMs: 1 });

describe('probeUrl', () => {
  it('adds the token to the candidate URL, encoded, keeping any query it had', () => {
    expect(probeUrl('https://n1.example:8443/probe', 'a.b+c')).toBe('https://n1.example:8443/probe?token=a.b%2Bc');
    expect(probeUrl('https://n1.example/probe?region=eu', 't')).toBe('https://n1.example/probe?region=eu&token=t');
  });
});

describe('probeSeries', () => {
  it('sends the asked number of probes, one after another, uncached and in CORS mode', async () => {
    const net = fakeNetwork({ 'n1.example': { delayMs: 7 } });
    const series = await probeSeries('https://n1.example/probe?token=t', 4, net);
    expect(series).toHaveLength(4);
    for (const rtt of series) expect(rtt).toBeGreaterThanOrEqual(6);
    expect(net.requests).toHaveLength(4);
    expect(net.requests[0]!.init).toMatchObject({ cache: 'no-store', mode: 'cors' });
  });

  it('stops at the first failure: a refusal, an error status, or a timeout', async () => {
    expect(await probeSeries('https://gone.example/probe', 4, fakeNetwork({ 'gone.example': 'refuse' }))).toEqual([null]);
    expect(await probeSeries('https://busy.example/probe', 4, fakeNetwork({ 'busy.example': { delayMs: 3, status: 429 } }))).toEqual([null]);
    const started = performance.now();
    expect(await probeSeries('https://slow.example/probe', 4, { ...fakeNetwork({ 'slow.example': 'hang' }), timeoutMs: 50 })).toEqual([null]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('sends nothing more once the player cancels', async () => {
    const controller = new AbortController();
    const net = fakeNetwork({ 'n1.example': { delayMs: 5 } });
    controller.abort();
    expect(await probeSeries('https://n1.example/probe', 4, { ...net, signal: controller.signal })).toEqual([]);
    expect(net.requests).toHaveLength(0);
  });
});

describe('measureCandidates', () => {
  it('probes every candidate with the offer token and reports medians after warm-up, null where every probe failed', async () => {
    const net = fakeNetwork({ 'near.example': { delayMs: 4 }, 'far.example': { delayMs: 40 }, 'dead.example': 'refuse', 'hung.example': 'hang' });
    const measurements = await measureCandidates(
      {
        probeToken: 'tok',
        probesPerCandidate: 3,
        candidates: ['near.example', 'far.example', 'dead.example', 'hung.example'].map(candidate),
      },
      { ...net, timeoutMs: 50 },
    );
    expect(measurements.map((m) => m.nodeId)).toEqual(['near', 'far', 'dead', 'hung']);
    const [near, far, dead, hung] = measurements.map((m) => m.rttMs);
    expect(far).toBeGreaterThanOrEqual(39);
    expect(near).toBeLessThan(far!);
    expect([dead, hung]).toEqual([null, null]);
    expect(net.requests.every(({ url }) => new URL(url).searchParams.get('token') === 'tok')).toBe(true);
    expect(net.requests.filter(({ url }) => url.includes('near.example'))).toHaveLength(3);
  });
});
