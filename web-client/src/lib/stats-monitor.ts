/** Turns WebRTC stats into the numbers a player cares about: fps, bitrate, round trip, decode time, sound. */
export interface StreamStats {
  fps: number;
  bitrateKbps: number;
  rttMs: number | null;
  decodeMs: number | null;
  framesDecoded: number;
  /** Frames whose packets all arrived (WebRTC's framesReceived), decoded or not. */
  framesReceived: number;
  framesDropped: number;
  packetsLost: number;
  width: number;
  height: number;
  audioBitrateKbps: number;
  audioPacketsReceived: number;
  /** Energy of the sound played out so far (WebRTC's totalAudioEnergy): above 0 once something was heard. */
  audioEnergy: number;
}

interface Snapshot {
  at: number;
  bytes: number;
  frames: number;
  decodeS: number;
  audioBytes: number;
}

export class StatsMonitor {
  private previous: Snapshot | undefined;

  /**
   * `video` and `audio` are the receivers' own reports, `transport` the whole connection's. The stream's
   * numbers come from the receiver's report only: the connection also receives mediasoup's
   * bandwidth probe as a second video stream, which never decodes a frame.
   */
  update({ video, audio, transport }: { video?: RTCStatsReport; audio?: RTCStatsReport; transport?: RTCStatsReport }): StreamStats | null {
    const inbound = inboundRtp(video, 'video');
    const sound = inboundRtp(audio, 'audio') ?? {};
    let rttMs: number | null = null;
    for (const report of [video, transport]) {
      report?.forEach((s: Record<string, unknown>) => {
        if (s['type'] === 'candidate-pair' && s['nominated'] && typeof s['currentRoundTripTime'] === 'number') rttMs = (s['currentRoundTripTime'] as number) * 1000;
      });
    }
    if (!inbound) return null;
    const now: Snapshot = {
      at: inbound['timestamp'] ?? performance.now(),
      bytes: inbound['bytesReceived'] ?? 0,
      frames: inbound['framesDecoded'] ?? 0,
      decodeS: inbound['totalDecodeTime'] ?? 0,
      audioBytes: sound['bytesReceived'] ?? 0,
    };
    const before = this.previous;
    this.previous = now;
    const seconds = before ? (now.at - before.at) / 1000 : 0;
    const frames = before ? now.frames - before.frames : 0;
    return {
      fps: seconds > 0 ? frames / seconds : 0,
      bitrateKbps: seconds > 0 && before ? ((now.bytes - before.bytes) * 8) / 1000 / seconds : 0,
      rttMs,
      decodeMs: frames > 0 && before ? ((now.decodeS - before.decodeS) * 1000) / frames : null,
      framesDecoded: now.frames,
      framesReceived: inbound['framesReceived'] ?? now.frames,
      framesDropped: inbound['framesDropped'] ?? 0,
      packetsLost: inbound['packetsLost'] ?? 0,
      width: inbound['frameWidth'] ?? 0,
      height: inbound['frameHeight'] ?? 0,
      audioBitrateKbps: seconds > 0 && before ? ((now.audioBytes - before.audioBytes) * 8) / 1000 / seconds : 0,
      audioPacketsReceived: sound['packetsReceived'] ?? 0,
      audioEnergy: sound['totalAudioEnergy'] ?? 0,
    };
  }
}

/** The receiving stream of `kind` in a receiver's report. */
function inboundRtp(report: RTCStatsReport | undefined, kind: 'audio' | 'video'): Record<string, number> | undefined {
  let found: Record<string, number> | undefined;
  report?.forEach((s: Record<string, unknown>) => {
    if (s['type'] === 'inbound-rtp' && s['kind'] === kind) found = s as Record<string, number>;
  });
  return found;
}
