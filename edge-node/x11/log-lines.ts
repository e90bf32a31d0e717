/** A game's output as log lines, each cut to a bound so a game that never writes a newline cannot exhaust memory. */
import type { Readable } from 'node:stream';

const MAX_LOG_LINE = 4096;

export function forwardLogLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line.slice(0, MAX_LOG_LINE));
    if (pending.length > MAX_LOG_LINE) {
      onLine(pending.slice(0, MAX_LOG_LINE));
      pending = '';
    }
  });
}
