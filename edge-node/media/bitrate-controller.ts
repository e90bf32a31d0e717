/**
 * Decides the encoder's target bitrate and ladder rung from what the network says: the
 * transport-wide congestion controller's estimate (mediasoup's `bwe` trace, GoogCC over the
 * browser's transport-cc feedback) and the loss in the player's receiver reports.
 *
 * - Down at once: the target never exceeds the estimate less headroom for retransmissions, and a
 *   loss report above the threshold cuts it further, so a link that drops is followed within a
 *   report or two instead of queueing and freezing.
 * - Up slowly: the target climbs a few percent a second, and only once no loss has been seen for a
 *   while. An estimate that probes past the link's real capacity therefore never drags the
 *   encoder over it in one jump.
 * - A rate that lost packets is remembered as a ceiling for a while; the climb stays below it, so
 *   the stream does not keep knocking on the same limit (each knock is a burst of loss).
 * - Rungs: below the current rung's minimum for `stepDownAfterMs` while the link shows congestion
 *   (loss reported lately: the receiver counts what NACK repaired as received, so this is loss that
 *   reached the picture) it steps down; comfortably above the rung above for `stepUpAfterMs` it
 *   steps back up, and after a quiet spell it tries the rung above anyway (backing off when the
 *   try meets loss). Hysteresis keeps it from flapping. Congestion is required because a low estimate alone is not evidence
 *   that the link is short: while the encoder sends less than the link could carry, GoogCC's
 *   estimate stays within a small factor of what is sent, and on a busy machine scheduling noise
 *   reads as delay and pulls it lower still. The round trip is no better a sign there: the same
 *   noise moves it by more than a full queue would.
 *
 * Pure: time comes in with each call, so tests drive it with a clock of their own.
 */
import type { Rung } from './video-ladder.js';

export interface BitrateControllerOptions {
  ladder: Rung[];
  startKbps: number;
  minKbps: number;
  maxKbps: number;
  /** Share of the estimate the encoder may use; the rest is for retransmissions, audio and RTCP. Default 0.9. */
  headroom?: number;
  /** Largest rise of the target per second, as a fraction of it. Default 0.12. */
  climbPerSecond?: number;
  /** Receiver-reported loss (0..1) above which the target is cut. Default 0.03. */
  lossThreshold?: number;
  /** No climbing for this long after a loss report. Default 2000 ms. */
  quietAfterLossMs?: number;
  /** How long a rate that lost packets caps the climb. Default 15 s. */
  ceilingHoldMs?: number;
  /** After a cut for loss, further loss reports do not cut again for this long. Default 1000 ms. */
  cutHoldMs?: number;
  /** Time below a rung's minimum before stepping down. Default 500 ms. */
  stepDownAfterMs?: number;
  /** Time comfortably above the next rung up before stepping up. Default 3000 ms. */
  stepUpAfterMs?: number;
  /** "Comfortably": the target must exceed the upper rung's minimum by this factor. Default 1.15. */
  stepUpMargin?: number;
  /** Loss this recent counts as congestion for stepping down. Default 5000 ms. */
  congestionMemoryMs?: number;
  /**
   * Time without loss on a lower rung after which the rung above is tried even though the target
   * has not reached it; doubled after each try that meets loss (up to a minute). Default 8000 ms.
   */
  probeUpAfterMs?: number;
  /** Such a try needs the target at this share of the upper rung's minimum at least. Default 0.7. */
  probeUpShare?: number;
}

const MAX_PROBE_WAIT_MS = 64_000;
/** What a loss report above the threshold leaves of the target. */
const LOSS_CUT = 0.85;

export interface ReceiverReport {
  /** Share (0..1) of packets lost since the receiver's previous report. */
  fractionLost: number;
}

export interface BitrateDecision {
  kbps: number;
  rung: Rung;
}

export class BitrateController {
  private readonly options: Required<BitrateControllerOptions>;
  private target: number;
  private rungIndex = 0;
  private estimateKbps = Infinity;
  private lastUpdateAt: number | undefined;
  private lastLossAt = -Infinity;
  private lastCutAt = -Infinity;
  private rungChangedAt = -Infinity;
  private probeWaitMs: number;
  private ceilingKbps = Infinity;
  private ceilingUntil = -Infinity;
  private belowSince: number | undefined;
  private aboveSince: number | undefined;

  constructor(options: BitrateControllerOptions) {
    if (options.ladder.length === 0) throw new Error('the ladder needs at least one rung');
    this.options = {
      headroom: 0.9,
      climbPerSecond: 0.12,
      lossThreshold: 0.03,
      quietAfterLossMs: 2000,
      ceilingHoldMs: 15_000,
      cutHoldMs: 1000,
      stepDownAfterMs: 500,
      stepUpAfterMs: 3000,
      stepUpMargin: 1.15,
      congestionMemoryMs: 5000,
      probeUpAfterMs: 8000,
      probeUpShare: 0.7,
      ...options,
    };
    this.target = this.clamp(options.startKbps);
    this.probeWaitMs = this.options.probeUpAfterMs;
  }

  get decision(): BitrateDecision {
    return { kbps: this.target, rung: this.rung };
  }

  get rung(): Rung {
    return this.options.ladder[this.rungIndex]!;
  }

  /** The congestion controller's available bitrate, in bit/s. */
  onEstimate(bitsPerSecond: number, nowMs: number): BitrateDecision {
    if (Number.isFinite(bitsPerSecond) && bitsPerSecond > 0) this.estimateKbps = bitsPerSecond / 1000;
    return this.update(nowMs);
  }

  /** What the player's receiver reported: loss since its previous report. */
  onReceiverReport({ fractionLost }: ReceiverReport, nowMs: number): BitrateDecision {
    // One cut per congestion episode: the reports that follow a cut still describe packets sent before it.
    if (fractionLost > this.options.lossThreshold && nowMs - this.lastCutAt >= this.options.cutHoldMs) {
      // The rate that just lost packets is what the link could not carry.
      this.ceilingKbps = Math.min(this.ceilingKbps, this.target);
      this.ceilingUntil = nowMs + this.options.ceilingHoldMs;
      this.lastCutAt = nowMs;
      // A fixed step, not one sized by the loss: a burst of random loss is no measure of the link's
      // capacity (the estimate follows that), and a deep cut would step the ladder down for it.
      this.target = this.clamp(this.target * LOSS_CUT);
    }
    if (fractionLost > this.options.lossThreshold) this.lastLossAt = nowMs;
    return this.update(nowMs);
  }

  private update(nowMs: number): BitrateDecision {
    const elapsedS = this.lastUpdateAt === undefined ? 0 : Math.min(1, Math.max(0, nowMs - this.lastUpdateAt) / 1000);
    this.lastUpdateAt = nowMs;
    if (nowMs >= this.ceilingUntil) this.ceilingKbps = Infinity;
    let allowed = this.estimateKbps * this.options.headroom;
    if (this.ceilingKbps !== Infinity) allowed = Math.min(allowed, this.ceilingKbps * 0.9);
    if (allowed < this.target) {
      this.target = this.clamp(allowed);
    } else if (nowMs - this.lastLossAt >= this.options.quietAfterLossMs) {
      this.target = this.clamp(Math.min(allowed, this.target * (1 + this.options.climbPerSecond * elapsedS)));
    }
    this.updateRung(nowMs);
    return this.decision;
  }

  private congested(nowMs: number): boolean {
    return nowMs - this.lastLossAt < this.options.congestionMemoryMs;
  }

  private updateRung(nowMs: number): void {
    const { ladder, stepDownAfterMs, stepUpAfterMs, stepUpMargin, probeUpAfterMs, probeUpShare } = this.options;
    if (this.rungIndex < ladder.length - 1 && this.target < this.rung.minKbps && this.congested(nowMs)) {
      this.aboveSince = undefined;
      this.belowSince ??= nowMs;
      if (nowMs - this.belowSince >= stepDownAfterMs) {
        // Loss soon after a step up: that step was a probe the link refused; wait longer before the next.
        this.probeWaitMs = nowMs - this.rungChangedAt < 2 * this.options.congestionMemoryMs ? Math.min(this.probeWaitMs * 2, MAX_PROBE_WAIT_MS) : probeUpAfterMs;
        this.changeRung(this.rungIndex + 1, nowMs);
      }
      return;
    }
    this.belowSince = undefined;
    const upper = ladder[this.rungIndex - 1];
    if (upper === undefined) return;
    // A quiet spell on a lower rung is worth a probe upward even when the estimate alone never
    // gets there: it can only grow to a small factor over what the lower rung sends.
    const quietSince = Math.max(this.lastLossAt, this.rungChangedAt);
    if (nowMs - quietSince >= this.probeWaitMs && this.target >= upper.minKbps * probeUpShare) {
      this.changeRung(this.rungIndex - 1, nowMs);
      return;
    }
    if (this.target < upper.minKbps * stepUpMargin) {
      this.aboveSince = undefined;
      return;
    }
    this.aboveSince ??= nowMs;
    if (nowMs - this.aboveSince >= stepUpAfterMs) this.changeRung(this.rungIndex - 1, nowMs);
  }

  private changeRung(index: number, nowMs: number): void {
    this.rungIndex = index;
    this.rungChangedAt = nowMs;
    this.aboveSince = undefined;
    this.belowSince = undefined;
  }

  private clamp(kbps: number): number {
    return Math.round(Math.min(this.options.maxKbps, Math.max(this.options.minKbps, kbps)));
  }
}
