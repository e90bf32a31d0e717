import { describe, expect, it } from 'vitest';
import type { LedgerSession, SessionBinding } from '../../../services/metering/ledger.js';
import { flagTerms, settle } from '../../../services/metering/settlement.js';

const binding: SessionBinding = {
  sessionId: 's1',
  nodeId: 'n1',
  playerId: 'p1',
  usageKey: { kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43) },
  pricePerHour: 1.2,
  targetFps: 60,
  width: 1280,
  height: 720,
  createdAt: 0,
  check: false,
};

function ledger(node: { seconds: number; frames: number } | null, player: { seconds: number; frames: number; fps: number; height?: number } | null): LedgerSession {
  return {
    binding,
    resolution: null,
    node: node === null ? null : { operatorId: 'op', receivedAt: 0, record: { signature: 's', payload: { nodeId: 'n1', sessionId: 's1', reason: 'player_left', startedAt: 0, endedAt: node.seconds * 1000, framesSent: node.frames, bytesSent: 1, width: 1280, height: 720 } } },
    player:
      player === null
        ? null
        : {
            receivedAt: 0,
            record: {
              signature: 's',
              payload: { sessionId: 's1', nodeId: 'n1', secondsWatched: player.seconds, framesReceived: player.frames, framesDecoded: player.frames, width: 1280, height: player.height ?? 720, fps: player.fps, latencyP50Ms: 12, latencyP95Ms: 20, rttMs: 1, sentAt: 0 },
            },
          },
  };
}

describe('settling a session from its two usage records', () => {
  it('credits the shorter of the two at the bound price, scaled by frame rate and resolution', () => {
    expect(settle('s1', ledger({ seconds: 3600, frames: 216_000 }, { seconds: 3590, frames: 215_000, fps: 60 }))).toMatchObject({ status: 'credited', creditedSeconds: 3590, quality: 1, amount: 1.196667 });
    expect(settle('s1', ledger({ seconds: 3600, frames: 108_000 }, { seconds: 3600, frames: 108_000, fps: 30, height: 360 }))).toMatchObject({ status: 'credited', quality: 0.25, amount: 0.3 });
  });

  it('pays nothing without the player record, and flags records that disagree', () => {
    expect(settle('s1', ledger({ seconds: 60, frames: 3600 }, null))).toMatchObject({ status: 'unconfirmed', amount: 0, reasons: ['player_record_missing'] });
    expect(settle('s1', ledger(null, { seconds: 60, frames: 3600, fps: 60 }))).toBeNull();
    expect(settle('s1', ledger({ seconds: 120, frames: 3600 }, { seconds: 60, frames: 3600, fps: 60 }))).toMatchObject({ status: 'flagged', reasons: ['seconds_disagree'], amount: 0 });
    expect(settle('s1', ledger({ seconds: 60, frames: 7200 }, { seconds: 60, frames: 3600, fps: 60 }))).toMatchObject({ status: 'flagged', reasons: ['frames_disagree'], amount: 0 });
    // Within the slack of joining and loss: credited.
    expect(settle('s1', ledger({ seconds: 70, frames: 4000 }, { seconds: 60, frames: 3600, fps: 60 }))).toMatchObject({ status: 'credited', creditedSeconds: 60 });
  });

  it("pays a resolved flag what the resolution says, never more than the player's record is worth", () => {
    // The node claims 120 s, the player watched 60 s at 30 fps of 60: worth 60 s at half quality.
    const flagged = ledger({ seconds: 120, frames: 1800 }, { seconds: 60, frames: 1800, fps: 30 });
    expect(flagTerms(flagged)).toMatchObject({ reasons: ['seconds_disagree'], agreedSeconds: 60, agreedAmount: 0.01, ceilingAmount: 0.01, quality: 0.5 });
    const resolved = (resolution: NonNullable<LedgerSession['resolution']>['resolution']) => settle('s1', { ...flagged, resolution: { resolution, resolvedAt: 5 } });
    expect(resolved({ decision: 'pay_agreed', reason: 'r' })).toMatchObject({ status: 'resolved', reasons: ['seconds_disagree'], creditedSeconds: 60, amount: 0.01, resolution: { decision: 'pay_agreed', amount: 0.01, resolvedAt: 5 } });
    expect(resolved({ decision: 'pay_nothing', reason: 'r' })).toMatchObject({ status: 'resolved', creditedSeconds: 0, amount: 0 });
    expect(resolved({ decision: 'pay_amount', amount: 0.005, reason: 'r' })).toMatchObject({ status: 'resolved', creditedSeconds: 30, amount: 0.005 });
    // Records that agree are not a flag, whatever resolution the ledger holds.
    expect(flagTerms(ledger({ seconds: 60, frames: 3600 }, { seconds: 60, frames: 3600, fps: 60 }))?.reasons).toEqual([]);
    expect(flagTerms(ledger({ seconds: 60, frames: 3600 }, null))).toBeNull();
  });
});
