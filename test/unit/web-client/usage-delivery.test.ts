import { describe, expect, it } from 'vitest';
import type { SignedPlayerUsage, UsageAccepted } from '../../../protocol/metering.js';
import { ApiError } from '../../../web-client/src/lib/api-client.js';
import { deliverUsage } from '../../../web-client/src/lib/usage-delivery.js';
import { usageRecord } from '../../../web-client/src/lib/usage-report.js';
import { UsageSigner } from '../../../web-client/src/lib/usage-signer.js';

const unreachable = new ApiError('NETWORK', 'The service cannot be reached.', 0);

async function record(): Promise<SignedPlayerUsage> {
  const signer = await UsageSigner.create();
  return signer.sign(usageRecord({ session: { sessionId: 's1', nodeId: 'n1' }, joinedAt: 0, endedAt: 30_000, stats: null, latencyP50Ms: null, latencyP95Ms: null }));
}

/** A control plane that fails the first `failures` tries with `error`, recording what each try sent. */
function controlPlane(failures: number, error: Error): { send: (sent: SignedPlayerUsage) => Promise<UsageAccepted>; sent: SignedPlayerUsage[] } {
  const sent: SignedPlayerUsage[] = [];
  return {
    sent,
    send: async (usage) => {
      sent.push(usage);
      if (sent.length <= failures) throw error;
      return { sessionId: usage.payload.sessionId, outcome: sent.length === 1 ? 'appended' : 'duplicate' };
    },
  };
}

describe('handing a usage record in', () => {
  it('tries again, with growing waits, while the control plane is out of reach, sending the very same signed record', async () => {
    const usage = await record();
    const { send, sent } = controlPlane(3, unreachable);
    const waits: number[] = [];
    const accepted = await deliverUsage(send, usage, { sleep: async (ms) => void waits.push(ms) });
    expect(accepted).toEqual({ sessionId: 's1', outcome: 'duplicate' });
    expect(waits).toEqual([500, 1000, 2000]);
    expect(sent).toHaveLength(4);
    for (const each of sent) expect(each).toBe(usage);
  });

  it('also tries again on an overloaded or failing control plane', async () => {
    for (const status of [429, 500, 503]) {
      const { send, sent } = controlPlane(1, new ApiError('INTERNAL', 'failing', status));
      expect(await deliverUsage(send, await record(), { sleep: async () => undefined })).not.toBeNull();
      expect(sent).toHaveLength(2);
    }
  });

  it('gives up after its tries, and never repeats a record the control plane refused', async () => {
    const down = controlPlane(100, unreachable);
    expect(await deliverUsage(down.send, await record(), { attempts: 3, sleep: async () => undefined })).toBeNull();
    expect(down.sent).toHaveLength(3);
    const refused = controlPlane(100, new ApiError('USAGE_SIGNATURE_INVALID', 'bad signature', 400));
    expect(await deliverUsage(refused.send, await record(), { sleep: async () => undefined })).toBeNull();
    expect(refused.sent).toHaveLength(1);
  });
});
