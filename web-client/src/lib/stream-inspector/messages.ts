/** What the page and its stream-inspector worker (inspector-worker.ts) tell each other. */

/** The options each receiver's transform is made with: only the video's frames are read. */
export interface InspectorOptions {
  kind: 'video' | 'audio';
}

/**
 * The video frames read since the last message: the encoder that named itself (null when none
 * did in them) and, per frame the node stamped, how long after its encode started the frame was
 * whole at the page, both ends on the absolute clock (timeOrigin + now).
 */
export interface InspectedFrames {
  type: 'frames';
  encoder: string | null;
  sinceEncodeStartMs: number[];
}
