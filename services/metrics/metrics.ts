import { Counter, Histogram, Registry } from 'prom-client';

/** Input-to-frame latency buckets, seconds: a good stream sits at 10-30 ms. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25];

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

  readonly nodeRegistrations = new Counter({
    name: 'edgeplay_node_registrations_total',
    help: 'Node registrations, by outcome (accepted, or the error code).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly playerInputToFrame = new Histogram({
    name: 'edgeplay_player_input_to_frame_seconds',
    help: "Input-to-frame latency the players' pages measured, as their session reports give it.",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly checks = new Counter({
    name: 'edgeplay_node_checks_total',
    help: 'Synthetic checks of nodes, by outcome (passed, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly checkInputToFrame = new Histogram({
    name: 'edgeplay_check_input_to_frame_seconds',
    help: 'Input-to-frame latency the checker measured on nodes.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  /** Records what a player's session report says it measured (one sample or many). */
  observePlayerReport(report: { inputToFrameMs: readonly number[] }): void {
    for (const ms of report.inputToFrameMs) this.playerInputToFrame.observe(ms / 1000);
  }

  /** Records a check's result and the latency it measured, when it got that far. */
  observeCheck(result: { passed: boolean; inputToFrameMs?: number }): void {
    this.checks.inc({ outcome: result.passed ? 'passed' : 'failed' });
    if (result.inputToFrameMs !== undefined) this.checkInputToFrame.observe(result.inputToFrameMs / 1000);
  }
}
