/** What the page and its stream-inspector worker (inspector-worker.ts) tell each other. */

/** The options each receiver's transform is made with: only the video's frames are read. */
export interface InspectorOptions {
  kind: 'video' | 'audio';
}

/**
 * One video frame's SEI as read on arrival: the encoder that named itself (null when none did in
 * this frame) and, when the node stamped it, how long after its encode started the frame was
 * whole at the page, both ends on the absolute clock (timeOrigin + now).
 */
export interface InspectedFrame {
  type: 'frame';
  encoder: string | null;
  sinceEncodeStartMs: number | null;
}
