import { describe, expect, it } from 'vitest';
import type { CheckResultPayload, CheckSessionMeasurement } from '../../../protocol/checks.js';
import { judgeCheck } from '../../../services/checker/check-judge.js';

const BERLIN = { lat: 52.52, lng: 13.405 };
const GAME = { fps: 60, width: 1280, height: 720 };
const good: CheckSessionMeasurement = { sessionId: 's1', joined: true, fps: 59, latencyP50Ms: 14, latencyP95Ms: 24, rttMs: 2, decodeMs: 1, width: 1280, height: 720 };

function result(sessions: CheckSessionMeasurement[]): CheckResultPayload {
  return { checkId: 'c1', checkerId: 'k1', nodeId: 'n1', startedAt: 1, finishedAt: 2, sessions };
}

describe('judging a check against what the node declared', () => {
  it('passes a node that streams every declared slot at the game rate, near where it says it is', () => {
    expect(judgeCheck(result([good, { ...good, sessionId: 's2' }]), { location: BERLIN, slots: 2 }, GAME, BERLIN)).toMatchObject({ passed: true, failures: [], fps: 59, latencyP50Ms: 14, rttMs: 2, maxDistanceKm: 300 });
  });

  it('bounds the location by the round trip: 2 ms is at most a few hundred km, not Sydney', () => {
    const verdict = judgeCheck(result([good]), { location: { lat: -33.87, lng: 151.21 }, slots: 1 }, GAME, BERLIN);
    expect(verdict.failures).toEqual(['location_impossible']);
    // A slow answer is no proof of distance: 300 ms allows the far side of the earth.
    expect(judgeCheck(result([{ ...good, rttMs: 300 }]), { location: { lat: -33.87, lng: 151.21 }, slots: 1 }, GAME, BERLIN).failures).toEqual([]);
  });

  it('fails refused players, low frame rates, wrong resolutions and high latency, but not slots the control plane could not reserve', () => {
    const declared = { location: BERLIN, slots: 3 };
    expect(judgeCheck(result([good, { ...good, joined: false }]), declared, GAME, BERLIN).failures).toEqual(['slots_short']);
    expect(judgeCheck(result([{ ...good, joined: false }]), declared, GAME, BERLIN)).toMatchObject({ passed: false, failures: ['join_failed'] });
    expect(judgeCheck(result([good, { ...good, fps: 30 }]), declared, GAME, BERLIN).failures).toEqual(['fps_low']);
    expect(judgeCheck(result([{ ...good, height: 360, width: 640 }]), declared, GAME, BERLIN).failures).toEqual(['resolution_wrong']);
    expect(judgeCheck(result([{ ...good, latencyP50Ms: 120 }]), declared, GAME, BERLIN).failures).toEqual(['latency_high']);
    expect(judgeCheck(result([good, { ...good, sessionId: null, joined: false }]), declared, GAME, BERLIN)).toMatchObject({ passed: true, failures: [] });
    // Nothing attempted (the node was full of players): no pass to lift a suspension with.
    expect(judgeCheck(result([{ ...good, sessionId: null, joined: false }]), declared, GAME, BERLIN)).toMatchObject({ passed: false, failures: [] });
  });

  it('fails a node declaring a hardware encoder whose stream names x264, but not one declaring x264 or a stream that names none', () => {
    const x264 = { ...good, encoder: 'x264 - core 164 r3095 baee400', encodeMs: 4 };
    const nvenc = { location: BERLIN, slots: 1, encoders: ['h264', 'nvenc'] };
    expect(judgeCheck(result([x264]), nvenc, GAME, BERLIN)).toMatchObject({ passed: false, failures: ['encoder_mismatch'], encoder: x264.encoder, encodeMs: 4 });
    expect(judgeCheck(result([x264]), { ...nvenc, encoders: ['h264', 'vaapi'] }, GAME, BERLIN).failures).toEqual(['encoder_mismatch']);
    expect(judgeCheck(result([x264]), { ...nvenc, encoders: ['h264', 'x264'] }, GAME, BERLIN).failures).toEqual([]);
    expect(judgeCheck(result([{ ...x264, encoder: null }]), nvenc, GAME, BERLIN).failures).toEqual([]);
  });

  it('fails a node whose encode time, for every slot it declared, does not fit in a frame period', () => {
    const at = (encodeMs: number, slots: number, sessions = 1) => judgeCheck(result(Array.from({ length: sessions }, () => ({ ...good, encodeMs }))), { location: BERLIN, slots }, GAME, BERLIN).failures;
    expect(at(10, 1)).toEqual([]);
    expect(at(20, 1)).toEqual(['encode_slow']);
    // Four slots checked with one player: the three unplayed ones would need as long again each.
    expect(at(5, 4)).toEqual(['encode_slow']);
    expect(at(5, 4, 4)).toEqual([]);
    expect(at(4, 4)).toEqual([]);
  });
});
