/**
 * What a control-plane process started with an IPC channel (node:cluster, child_process.fork)
 * tells its parent: a worker its primary (services/workers/worker-pool.ts), the command line
 * whoever started it (tests, benchmarks, supervisors).
 */
export interface ControlPlaneListening {
  kind: 'listening';
  /** Where it answers, e.g. http://127.0.0.1:8080 */
  url: string;
  /** The processes that serve requests: the workers, or the process itself. */
  pids: number[];
}

export function isControlPlaneListening(value: unknown): value is ControlPlaneListening {
  const message = value as Partial<ControlPlaneListening> | null;
  return (
    typeof message === 'object' &&
    message !== null &&
    message.kind === 'listening' &&
    typeof message.url === 'string' &&
    Array.isArray(message.pids) &&
    message.pids.every((pid) => Number.isInteger(pid))
  );
}
