import { describe, expect, it } from 'vitest';
import { StatsMonitor } from '../../../web-client/src/lib/stats-monitor.js';

const report = (...stats: Record<string, unknown>[]): RTCStatsReport => new Map(stats.map((s) => [String(s['id']), s])) as unknown as RTCStatsReport;

const stream = (timestamp: number, framesDecoded: number) => ({
  id: 'IT01V2718281828',
  type: 'inbound-rtp',
  kind: 'video',
  timestamp,
  framesDecoded,
  bytesReceived: framesDecoded * 1_000,
  totalDecodeTime: framesDecoded * 0.001,
  frameWidth: 1280,
  frameHeight: 720,
});
// mediasoup's bandwidth probe arrives as a second video stream on the connection, and never decodes a frame.
const probe = { id: 'IT01V1234', type: 'inbound-rtp', kind: 'video', timestamp: 0, framesDecoded: 0, bytesReceived: 50_000 };
const pair = { id: 'CP1', type: 'candidate-pair', nominated: true, currentRoundTripTime: 0.002 };

describe('stats monitor', () => {
  it('reads the stream from the video receiver\'s report, whatever else the connection receives', () => {
    const monitor = new StatsMonitor();
    monitor.update({ video: report(stream(1_000, 60)), transport: report(stream(1_000, 60), probe, pair) });
    const stats = monitor.update({ video: report(stream(2_000, 120)), transport: report(stream(2_000, 120), probe, pair) });
    expect(stats).toMatchObject({ width: 1280, height: 720, fps: 60, framesDecoded: 120, bitrateKbps: 480, rttMs: 2 });
    expect(stats?.decodeMs).toBeCloseTo(1, 6);
  });

  it('reads the sound from the audio receiver\'s report', () => {
    const sound = (timestamp: number, packets: number) => ({
      id: 'IT01A1',
      type: 'inbound-rtp',
      kind: 'audio',
      timestamp,
      packetsReceived: packets,
      bytesReceived: packets * 120,
      totalAudioEnergy: packets / 1000,
    });
    const monitor = new StatsMonitor();
    monitor.update({ video: report(stream(1_000, 60)), audio: report(sound(1_000, 100)) });
    const stats = monitor.update({ video: report(stream(2_000, 120)), audio: report(sound(2_000, 200)) });
    expect(stats).toMatchObject({ audioPacketsReceived: 200, audioBitrateKbps: 96, audioEnergy: 0.2 });
  });

  it('has nothing to say before the receiver reports a stream', () => {
    expect(new StatsMonitor().update({ transport: report(probe, pair) })).toBeNull();
  });
});
