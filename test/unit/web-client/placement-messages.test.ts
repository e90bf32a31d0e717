import { describe, expect, it } from 'vitest';
import { failureMessage, formatWait, progressDetail, progressLabel } from '../../../web-client/src/lib/placement-messages.js';
import { errorCatalogue } from '../../../protocol/errors.js';

describe('placement messages', () => {
  it('labels each stage on the Play button', () => {
    expect(progressLabel({ stage: 'finding' })).toBe('Finding the nearest server…');
    expect(progressLabel({ stage: 'measuring', candidates: 3 })).toBe('Measuring latency…');
    expect(progressLabel({ stage: 'queued', position: 3, estimatedWaitS: 20, latencyBoundMs: 60 })).toBe('In queue: position 3, about 20 s');
    expect(progressLabel({ stage: 'placed', nodeId: 'n1' })).toBe('Connecting…');
  });

  it('tells a queued player the latency bound in force', () => {
    const detail = progressDetail({ stage: 'queued', position: 2, estimatedWaitS: 12.4, latencyBoundMs: 80.2 });
    expect(detail).toContain('within 80 ms');
    expect(detail).toContain('number 2');
    expect(detail).toContain('about 12 s');
    expect(progressDetail({ stage: 'measuring', candidates: 1 })).toBe('Measuring your latency to 1 server…');
  });

  it('rounds waits to what a person reads', () => {
    expect(formatWait(0.3)).toBe('any moment now');
    expect(formatWait(20.4)).toBe('about 20 s');
    expect(formatWait(150)).toBe('about 3 min');
  });

  it('has a message for every placement failure, and keeps the service message for other codes', () => {
    const placementCodes = ['LOCATION_UNKNOWN', 'NO_CAPACITY', 'PLACEMENT_EXPIRED', 'PLACEMENT_NOT_FOUND', 'PLACEMENT_IN_PROGRESS', 'RTT_FOR_UNOFFERED_NODE', 'RTT_OUT_OF_RANGE'] as const;
    for (const code of placementCodes) {
      expect(Object.hasOwn(errorCatalogue, code)).toBe(true);
      expect(failureMessage(code, 'service text')).not.toBe('service text');
    }
    expect(failureMessage('CANCELLED', 'x')).toBe('You left the queue.');
    expect(failureMessage('INTERNAL', 'Something went wrong on our side.')).toBe('Something went wrong on our side.');
  });
});
