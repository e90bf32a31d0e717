import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls until `probe` returns a value that `done` accepts. The timeout only stops a test that would
 * otherwise hang; no test asserts how long anything took.
 */
export async function pollUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(25);
  }
}
