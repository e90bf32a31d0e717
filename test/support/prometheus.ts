/** Reads Prometheus text exposition, for tests that scrape /metrics. */

/** Scrapes `url` and returns the exposition text. */
export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`scraping ${url}: HTTP ${response.status}`);
  return response.text();
}

/**
 * The value of the sample `name` whose labels include `labels` (0 when there is none: a counter
 * not yet incremented for that label set is not exposed).
 */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return 0;
}
