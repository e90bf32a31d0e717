/**
 * How the page shows the stream: `canvas` paints frames it decodes itself (decoded-view/), `video`
 * hands the track to a <video> element. `canvas` is the default where the browser supports it:
 * it shows inputs sooner (bench:latency reports both). `?view=video` or `?view=canvas` in the
 * page's address picks one (tests, benchmarks, a player whose browser misbehaves).
 */
import { DecodedView } from './decoded-view/decoded-view.js';

export type StreamView = 'canvas' | 'video';

export function chooseView(search: string, canvasSupported = DecodedView.supported()): StreamView {
  const asked = new URLSearchParams(search).get('view');
  if (asked === 'video') return 'video';
  return canvasSupported ? 'canvas' : 'video';
}
