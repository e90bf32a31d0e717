/**
 * Polls a mediasoup entity's stats on a timer for the bitrate controller: never two requests in
 * flight (a busy worker answers late, and stale answers must not pile up), nothing once the entity
 * is closed, and a failed request is only a missed sample.
 */
export function pollStats(intervalMs: number, closed: () => boolean, poll: () => Promise<void>): () => void {
  let polling = false;
  const timer = setInterval(() => {
    if (polling || closed()) return;
    polling = true;
    poll()
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
