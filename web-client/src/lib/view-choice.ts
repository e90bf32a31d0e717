/**
 * How the page shows the stream: `video` hands the track to a <video> element; `canvas` paints
 * the frames it decodes itself (decoded-view/). `video` is the default: on the machines measured
 * (bench:latency, which reports both) it showed inputs sooner, since the canvas path pays a
 * second decode and a software colour conversion per frame where the <video> element's own
 * decoder feeds the compositor directly. `?view=canvas` in the page's address picks the canvas
 * where the browser supports it; without that support the page uses the video element.
 */
import { DecodedView } from './decoded-view/decoded-view.js';

export type StreamView = 'canvas' | 'video';

export function chooseView(search: string, canvasSupported = DecodedView.supported()): StreamView {
  return new URLSearchParams(search).get('view') === 'canvas' && canvasSupported ? 'canvas' : 'video';
}
