import { describe, expect, it } from 'vitest';
import type { StreamStats } from '../../../web-client/src/lib/stats-monitor.js';
import { usageRecord } from '../../../web-client/src/lib/usage-report.js';
import { UsageSigner } from '../../../web-client/src/lib/usage-signer.js';
import { verifyPlayerUsage } from '../../../services/metering/player-signature.js';

const stats = { framesDecoded: 3540, framesReceived: 3550, width: 1280, height: 720, rttMs: 2.5 } as StreamStats;

describe("the page's usage record", () => {
  it('counts seconds from joining, frame rate from decoded frames, and carries the latency the page measured', () => {
    const record = usageRecord({ session: { sessionId: 's1', nodeId: 'n1' }, joinedAt: 1_000, endedAt: 61_000, stats, latencyP50Ms: 13.25, latencyP95Ms: 24 });
    expect(record).toEqual({ sessionId: 's1', nodeId: 'n1', secondsWatched: 60, framesReceived: 3550, framesDecoded: 3540, width: 1280, height: 720, fps: 59, latencyP50Ms: 13.25, latencyP95Ms: 24, rttMs: 2.5, sentAt: 61_000 });
    expect(usageRecord({ session: { sessionId: 's1', nodeId: 'n1' }, joinedAt: 5, endedAt: 5, stats: null, latencyP50Ms: null, latencyP95Ms: null })).toMatchObject({ fps: 0, framesDecoded: 0, rttMs: null });
  });

  it('is signed in WebCrypto so that the control plane verifies it with the bound key, and nothing else does', async () => {
    const signer = await UsageSigner.create();
    const record = await signer.sign(usageRecord({ session: { sessionId: 's1', nodeId: 'n1' }, joinedAt: 0, endedAt: 60_000, stats, latencyP50Ms: 13, latencyP95Ms: 20 }));
    expect(verifyPlayerUsage(record.payload, record.signature, signer.publicKey)).toBe(true);
    expect(verifyPlayerUsage({ ...record.payload, secondsWatched: 600 }, record.signature, signer.publicKey)).toBe(false);
    expect(verifyPlayerUsage(record.payload, record.signature, (await UsageSigner.create()).publicKey)).toBe(false);
  });
});
