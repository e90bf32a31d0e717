import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { NodeMetrics } from '../../../edge-node/metrics/node-metrics.js';
import { ControlPlaneMetrics } from '../../../services/metrics/metrics.js';

describe('the Grafana dashboard', () => {
  it('charts only series that the control plane or the nodes expose', async () => {
    const dashboard = await readFile(new URL('../../../infra/grafana/edgeplay-dashboard.json', import.meta.url), 'utf8');
    const charted = new Set([...dashboard.matchAll(/edgeplay_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, '')));
    const exposed = new Set(
      [new ControlPlaneMetrics().registry, new NodeMetrics({ slots: () => 1, activeSessions: () => 0, frames: () => ({ encoded: 0, dropped: 0 }) }).registry]
        .flatMap((registry) => registry.getMetricsAsArray())
        .map((metric) => metric.name),
    );
    expect(charted.size).toBeGreaterThan(10);
    expect([...charted].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
