import { Counter, Registry } from 'prom-client';

/**
 * The control plane's Prometheus metrics, on a registry of its own so that several control planes
 * in one process (tests, the one-machine launcher) do not collide.
 */
export class ControlPlaneMetrics {
  readonly registry = new Registry();

  readonly sessionsCreated = new Counter({
    name: 'edgeplay_sessions_created_total',
    help: 'Sessions placed on a node with a ticket issued.',
    registers: [this.registry],
  });

  readonly placementsFailed = new Counter({
    name: 'edgeplay_placements_failed_total',
    help: 'Placements refused because no node had a free slot (or the queue was full).',
    registers: [this.registry],
  });

  readonly placementsQueued = new Counter({
    name: 'edgeplay_placements_queued_total',
    help: 'Players queued because no node within their latency bound had a free slot.',
    registers: [this.registry],
  });

  readonly heartbeats = new Counter({
    name: 'edgeplay_heartbeats_total',
    help: 'Node heartbeats received, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly sessionsEnded = new Counter({
    name: 'edgeplay_sessions_ended_total',
    help: 'Sessions a node reported ended, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
}
