/** The stats overlay drawn over the video. */
import type { PlayerSnapshot } from '../lib/player-session.js';

const fmt = (value: number | null | undefined, digits = 0, unit = ''): string => (value === null || value === undefined ? '–' : `${value.toFixed(digits)}${unit}`);

export function renderOverlay(element: HTMLElement, snapshot: PlayerSnapshot): void {
  const s = snapshot.stats;
  element.textContent = [
    `node ${snapshot.nodeId ?? '–'} · rtt probe ${fmt(snapshot.probeRttMs, 1, ' ms')}`,
    `fps        ${fmt(s?.fps, 0)}`,
    `bitrate    ${fmt(s ? s.bitrateKbps / 1000 : null, 2, ' Mb/s')} · audio ${fmt(s?.audioBitrateKbps, 0, ' kb/s')}`,
    `rtt        ${fmt(s?.rttMs, 1, ' ms')}`,
    `decode     ${fmt(s?.decodeMs, 1, ' ms')}`,
    `input→display p50 ${fmt(snapshot.latencyP50, 1, ' ms')}  p95 ${fmt(snapshot.latencyP95, 1, ' ms')}`,
    `resolution ${s ? `${s.width}x${s.height}` : '–'}`,
  ].join('\n');
}
