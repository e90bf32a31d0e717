import { describe, expect, it } from 'vitest';
import { ControlPlaneMetrics } from '../../../services/metrics/metrics.js';
import { sampleValue } from '../../support/prometheus.js';

describe('control-plane metrics: what the checker and the players report', () => {
  it('puts player-reported latencies and check results into their series', async () => {
    const metrics = new ControlPlaneMetrics();
    metrics.observePlayerReport({ inputToFrameMs: [12, 18, 140] });
    metrics.observeCheck({ passed: true, inputToFrameMs: 21 });
    metrics.observeCheck({ passed: false });
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'edgeplay_player_input_to_frame_seconds_count')).toBe(3);
    expect(sampleValue(text, 'edgeplay_player_input_to_frame_seconds_bucket', { le: '0.02' })).toBe(2);
    expect(sampleValue(text, 'edgeplay_player_input_to_frame_seconds_sum')).toBeCloseTo(0.17, 6);
    expect(sampleValue(text, 'edgeplay_node_checks_total', { outcome: 'passed' })).toBe(1);
    expect(sampleValue(text, 'edgeplay_node_checks_total', { outcome: 'failed' })).toBe(1);
    expect(sampleValue(text, 'edgeplay_check_input_to_frame_seconds_count')).toBe(1);
  });
});
