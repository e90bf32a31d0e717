/**
 * The operator page: the operator's nodes on a map of H3 hexagons coloured by state, and for each
 * node its sessions, the latency its players measured, its checks, reputation, usage and earnings.
 */
import type { CheckVerdict } from '../../../protocol/checks.js';
import type { SessionSettlement } from '../../../protocol/metering.js';
import type { OperatorNodeOverview, OperatorOverview } from '../../../protocol/operator-overview.js';
import { ApiError } from '../lib/api-client.js';
import { hexMap } from '../lib/hex-map.js';
import { fetchOperatorOverview } from '../lib/operator-api.js';
import { bars, cumulativeLine } from '../lib/svg-chart.js';

const SVG = 'http://www.w3.org/2000/svg';
const MAP = { width: 600, height: 320 };
const CHART = { width: 260, height: 60 };
/** Kept for the tab only: closing it forgets the token. */
const TOKEN_KEY = 'edgeplay.operatorToken';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export class OperatorPage {
  start(): void {
    const input = $<HTMLInputElement>('operator-token');
    input.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
    $('operator-login').addEventListener('submit', (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      void this.load();
    });
  }

  async load(): Promise<void> {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return;
    const status = $('operator-status');
    status.textContent = 'Loading your nodes…';
    try {
      this.render(await fetchOperatorOverview(token));
      status.textContent = '';
    } catch (error) {
      status.textContent = error instanceof ApiError ? `${error.message} (${error.code})` : 'Your nodes could not be loaded.';
    }
  }

  private render(overview: OperatorOverview): void {
    const hours = overview.creditedSeconds / 3600;
    $('operator-summary').textContent =
      `${overview.nodes.length} node${overview.nodes.length === 1 ? '' : 's'} · ${hours.toFixed(2)} h credited · earned ${overview.amount.toFixed(4)} in the last 30 days`;
    this.renderMap(overview.nodes);
    $('operator-nodes').replaceChildren(...overview.nodes.map((node) => nodeCard(node)));
  }

  private renderMap(nodes: readonly OperatorNodeOverview[]): void {
    const svg = $('operator-map') as unknown as SVGSVGElement;
    const placed = nodes.flatMap((n) => (n.location === null ? [] : [{ nodeId: n.nodeId, location: n.location, state: n.state }]));
    const names = new Map(nodes.map((n) => [n.nodeId, n.name ?? n.nodeId]));
    svg.replaceChildren(
      ...hexMap(placed, MAP.width, MAP.height).map((hex) => {
        const polygon = svgElement('polygon', { points: hex.points, class: `hex state-${hex.state}`, 'data-cell': hex.cell });
        polygon.append(svgElement('title', {}, `${hex.nodeIds.map((id) => names.get(id)).join(', ')}: ${hex.state}`));
        return polygon;
      }),
    );
  }
}

function nodeCard(node: OperatorNodeOverview): HTMLElement {
  const card = element('article', { class: 'node-card', 'data-node-id': node.nodeId });
  const v = node.verification;
  card.append(
    element('h3', {}, `${node.name ?? node.nodeId} `, element('span', { class: `badge state-${node.state}` }, node.state)),
    element(
      'dl',
      {},
      ...entry('GPU', node.gpuModel ?? '—'),
      ...entry('Slots', node.slots === null ? '—' : `${node.slots.busy + node.slots.reserved} of ${node.slots.capacity} in use`),
      ...entry('Reputation', v.reputation.toFixed(2) + (v.flags.length ? ` (${v.flags.join(', ')})` : '')),
      ...entry('Checks', `${v.checksPassed} passed · ${v.checksFailed} failed`),
      ...entry('Last check: encoder, encode time (p50)', lastCheckEncode(v.recentChecks.at(-1))),
      ...entry('Latency players measured (p50)', v.playerLatencyP50Ms === null ? '—' : `${v.playerLatencyP50Ms.toFixed(1)} ms (checks: ${v.checkLatencyP50Ms?.toFixed(1) ?? '—'} ms)`),
      ...entry('Sessions', `${node.sessions} · ${(node.creditedSeconds / 60).toFixed(1)} min credited${node.flagged ? ` · ${node.flagged} flagged` : ''}`),
      ...entry('Earned', node.amount.toFixed(4)),
    ),
    flaggedRecords(node),
    checkStrip(node),
    chart('Latency per session (ms)', latencyBars(node)),
    chart('Earnings over the period', earningsLine(node)),
  );
  return card;
}

/** Sessions whose two usage records disagreed: open ones pay nothing yet, resolved ones what the admin decided. */
function flaggedRecords(node: OperatorNodeOverview): HTMLElement {
  const flagged = node.settlements.filter((s) => s.status === 'flagged' || s.status === 'resolved');
  const table = element('table', { class: 'flagged-records' });
  table.hidden = flagged.length === 0;
  table.append(
    element('caption', {}, 'Flagged usage records'),
    element('tr', {}, ...['Ended', 'Session', 'Why', 'State'].map((heading) => element('th', {}, heading))),
    ...flagged.map((s) =>
      element(
        'tr',
        { 'data-session-id': s.sessionId, class: `flag-${s.status}` },
        element('td', {}, new Date(s.endedAt).toLocaleString()),
        element('td', {}, s.sessionId.slice(0, 12)),
        element('td', {}, s.reasons.join(', ')),
        element('td', {}, flagState(s)),
      ),
    ),
  );
  return table;
}

function flagState(settlement: SessionSettlement): string {
  const { resolution } = settlement;
  if (resolution === undefined) return 'open: not paid until resolved';
  return `resolved (${resolution.decision.replace('_', ' ')}): paid ${resolution.amount.toFixed(4)}, ${resolution.reason}`;
}

function checkStrip(node: OperatorNodeOverview): HTMLElement {
  const strip = element('div', { class: 'check-strip', 'aria-label': 'Recent checks, oldest first' });
  for (const check of node.verification.recentChecks) {
    const outcome = check.passed ? 'passed' : check.failures.join(', ');
    strip.append(element('span', { class: `check ${check.passed ? 'passed' : 'failed'}`, title: `${outcome} · encode ${formatMs(check.encodeMs)}` }));
  }
  return strip;
}

/** What the stream of the node's latest check said about its encoder, and its encode time from the stream's own timing. */
function lastCheckEncode(check: CheckVerdict | undefined): string {
  if (check === undefined) return '—';
  return `${check.encoder ?? 'not named'} · ${formatMs(check.encodeMs)}`;
}

function formatMs(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : `${ms.toFixed(1)} ms`;
}

function latencyBars(node: OperatorNodeOverview): SVGElement[] {
  return bars(node.settlements.map((s) => s.playerLatencyP50Ms), CHART.width, CHART.height).map((bar) => {
    const rect = svgElement('rect', { x: bar.x, y: bar.y, width: bar.width, height: bar.height, class: 'bar' });
    rect.append(svgElement('title', {}, `${bar.value.toFixed(1)} ms`));
    return rect;
  });
}

function earningsLine(node: OperatorNodeOverview): SVGElement[] {
  return [svgElement('polyline', { points: cumulativeLine(node.settlements.map((s) => s.amount), CHART.width, CHART.height), class: 'line' })];
}

function chart(label: string, shapes: SVGElement[]): HTMLElement {
  const svg = svgElement('svg', { viewBox: `0 0 ${CHART.width} ${CHART.height}`, class: 'chart', role: 'img', 'aria-label': label });
  svg.append(...shapes);
  return element('figure', {}, svg, element('figcaption', {}, label));
}

function entry(term: string, value: string): HTMLElement[] {
  return [element('dt', {}, term), element('dd', {}, value)];
}

function element(tag: string, attributes: Record<string, string>, ...children: (Node | string)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

function svgElement(tag: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}
