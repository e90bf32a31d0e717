/**
 * The edge node's Prometheus metrics, served at GET /metrics on its signalling port: slots and
 * sessions, encode time, frames encoded and dropped, heartbeats. On a registry of its own, so
 * several nodes in one process (tests, the one-machine launcher) do not collide.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const NODE_METRICS_PATH = '/metrics';

/** What the node knows at scrape time. */
export interface NodeMetricsSource {
  slots(): number;
  activeSessions(): number;
  /** Frames of every session so far, ended and running. */
  frames(): { encoded: number; dropped: number };
}

export class NodeMetrics {
  readonly registry = new Registry();

  readonly sessionsStarted = new Counter({
    name: 'edgeplay_node_sessions_started_total',
    help: 'Sessions this node started for a player with a valid ticket.',
    registers: [this.registry],
  });

  readonly sessionsEnded = new Counter({
    name: 'edgeplay_node_sessions_ended_total',
    help: 'Sessions this node ended, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly heartbeats = new Counter({
    name: 'edgeplay_node_heartbeats_total',
    help: 'Heartbeats sent to the control plane, by outcome (ok, or the error code).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly encodeSeconds = new Histogram({
    name: 'edgeplay_node_encode_seconds',
    help: 'Time to encode one video frame.',
    buckets: [0.001, 0.002, 0.003, 0.004, 0.006, 0.008, 0.012, 0.016, 0.033],
    registers: [this.registry],
  });

  constructor(source: NodeMetricsSource) {
    new Gauge({
      name: 'edgeplay_node_slots',
      help: 'Sessions this node offers at once.',
      registers: [this.registry],
      collect() {
        this.set(source.slots());
      },
    });
    new Gauge({
      name: 'edgeplay_node_sessions_active',
      help: 'Sessions running now.',
      registers: [this.registry],
      collect() {
        this.set(source.activeSessions());
      },
    });
    // Totals the sessions keep themselves: read at scrape time rather than counted frame by frame.
    new Counter({
      name: 'edgeplay_node_frames_encoded_total',
      help: 'Video frames encoded and sent, all sessions.',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(source.frames().encoded);
      },
    });
    new Counter({
      name: 'edgeplay_node_frames_dropped_total',
      help: 'Video frames dropped because a newer one arrived while the encoder was busy, all sessions.',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(source.frames().dropped);
      },
    });
  }

  /** Records one frame's encode time. */
  readonly observeEncodeMs = (ms: number): void => {
    this.encodeSeconds.observe(ms / 1000);
  };

  /** Answers GET /metrics; false leaves the request to the caller. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== NODE_METRICS_PATH) return false;
    this.registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': this.registry.contentType });
        response.end(text);
      },
      () => {
        response.writeHead(500);
        response.end();
      },
    );
    return true;
  }
}
