/**
 * Decides the encoder's target bitrate and ladder rung from what the network says: the
 * transport-wide congestion controller's estimate (GoogCC over the browser's transport-cc
 * feedback, read from mediasoup's transport stats) and the loss in the player's receiver reports.
 *
 * - Down at once: the target never exceeds the estimate less headroom for retransmissions, and a
 *   loss report above the threshold cuts it further (once per episode, unless the loss keeps
 *   growing past the cut), so a link that drops is followed within a report or two instead of
 *   queueing and freezing.
 * - Up slowly: the target starts at what the top rung needs, not at the configured start, and
 *   climbs a few percent a second, and only once no loss has been seen for a while. An estimate
 *   that probes past the link's real capacity (the first can read a policer's bucket as link)
 *   therefore never drags the encoder over it in one jump.
 * - A rate the link could not carry is remembered as a ceiling; the climb stays below it, so the
 *   stream does not keep knocking on the same limit (each knock is a burst of loss that freezes
 *   the picture). Two signs say the link could not carry it:
 *   - loss: then the ceiling is the video rate actually sent, not the target. The encoder often
 *     sends less than its target, and the estimate can sit well above a policed link (its probes
 *     pass through the policer's bucket), so a target can be far past what the link ever carried;
 *   - a queue growing, before any loss: the estimate dropping under the target (GoogCC saw the
 *     delay grow), or the round trip in the receiver's reports standing a queue's worth over its
 *     shortest. Only while the target climbs into rates not yet carried: with no ceiling yet,
 *     what got through becomes it; after a raise, the raise is undone. Until a first second of
 *     video has gone out, each fall of the estimate is the link measured again and lowers it.
 *   After a quiet hold spent pressing against it, the ceiling is raised a step, but only once the
 *   link has carried it: the encoder sent near what the ceiling allows. A simple scene sends well
 *   under its target, and a raise "proven" by it would be tested by the next busy scene, all at
 *   once, as loss. (Below a ceiling that keeps the picture under what its rung needs, or off the
 *   rung above, the target's say-so is enough.) The step is a small one, so a
 *   probe overshoots the link by a few percent at most, unless the estimate stayed well above the
 *   ceiling all through the hold (its delay-based part sees no queue at the rates its probes
 *   reach, as when the link grew); then each step doubles the last, so a link that grew is found
 *   again within half a minute. A step that meets either sign doubles the hold before the next
 *   (one that meets none halves it back), so a link that stays where it is gets knocked on ever
 *   more rarely.
 * - Random loss at or below the threshold (no congestion) caps the target so that few frames span
 *   a lost packet: each such frame waits a round trip for its retransmission.
 * - Rungs: clearly below the current rung's minimum for `stepDownAfterMs` while the link shows
 *   congestion (loss seen lately) it steps down; comfortably above the rung above for
 *   `stepUpAfterMs` it steps back up, and after a quiet spell it tries the rung above anyway
 *   (backing off when the try meets loss, and not trying a rung that needs more than the link has
 *   carried without loss). Hysteresis keeps it from flapping. Congestion is required because a low estimate alone is not evidence
 *   that the link is short: while the encoder sends less than the link could carry, GoogCC's
 *   estimate stays within a small factor of what is sent, and on a busy machine scheduling noise
 *   reads as delay and pulls it lower still. The round trip is no better a sign for a rung there:
 *   the same noise moves it by more than a full queue would.
 *
 * Pure: time comes in with each call, so tests drive it with a clock of their own.
 */
import { SentRate } from './sent-rate.js';
import type { Rung } from './video-ladder.js';

export interface BitrateControllerOptions {
  ladder: Rung[];
  /** The rate the stream is configured to start at. */
  startKbps: number;
  /**
   * The most the target starts at, whatever `startKbps` says; it climbs from there. GoogCC's first
   * measure can read a policer's bucket as link, and a start over the link overflows its queue at
   * once, with retransmissions of what it lost piling on. Default: what the top rung needs, with
   * the step-up margin.
   */
  startCapKbps?: number;
  minKbps: number;
  maxKbps: number;
  /**
   * The estimate the congestion controller starts from before it has measured the link, where
   * known: its first measure under this (and under the target) is a drop like any other.
   */
  initialEstimateKbps?: number;
  /** Largest RTP packet the video is cut into, in bytes. Default 1200 (the packetizer's). */
  packetBytes?: number;
  /** Share of the estimate the encoder may use; the rest is for retransmissions, audio and RTCP. Default 0.9. */
  headroom?: number;
  /** Largest rise of the target per second, as a fraction of it. Default 0.12. */
  climbPerSecond?: number;
  /** Receiver-reported loss (0..1) above which the target is cut. Default 0.03. */
  lossThreshold?: number;
  /** No climbing for this long after a loss report. Default 2000 ms. */
  quietAfterLossMs?: number;
  /**
   * How long the target must press against a ceiling, without loss, before the ceiling is raised;
   * doubled by each raise that meets loss or a queue (up to 8 times), halved back by each that does not. Default 5000 ms.
   */
  ceilingHoldMs?: number;
  /** The step (fraction) a ceiling is raised by; doubled for the next while the estimate shows room well above it. Default 0.02. */
  ceilingStep?: number;
  /**
   * After a cut for loss, further loss reports do not cut again for this long: the receiver reports
   * about a second at a time, and the queue still drains behind the cut. A ceiling taken from a
   * growing queue holds off the next queue sign for as long. Default 2000 ms.
   */
  cutHoldMs?: number;
  /**
   * Time below a rung's minimum before stepping down. Default 2000 ms: the congestion controller's
   * estimate dips for a second or so after a loss episode the ceiling already answered, and a step
   * down for that dip would be two rung changes for nothing.
   */
  stepDownAfterMs?: number;
  /** "Below": the target must be under the rung's minimum by this factor. Default 0.9. */
  stepDownMargin?: number;
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
/** Share of a ceiling the target may use: the ceiling is a rate that lost packets. */
const CEILING_SHARE = 0.9;
/** The target counts as pressing against the ceiling within this share of what it allows. */
const PRESSING_SHARE = 0.97;
/**
 * A ceiling taken from what was sent is at least this share of the target: an encoder short of
 * CPU drops frames and sends far less than it was asked for, which says nothing about the link.
 */
const SENT_FLOOR_SHARE = 0.6;
/** The link has carried a ceiling once the video sent reached this share of what it allows. */
const CARRIED_SHARE = 0.9;
/** An estimate at least this many times the ceiling all through a hold lets the steps grow. */
const ROOM_FACTOR = 1.5;
/** The longest ceiling hold, as a multiple of `ceilingHoldMs`. */
const MAX_HOLD_FACTOR = 8;
/** An estimate that falls under this share of the one before, and under the target, reads as the link's queue growing. */
const OVERUSE_DROP = 0.9;
/**
 * A round trip this much above the shortest one lately means a queue is growing on the link. Above
 * what scheduling noise adds on a busy machine, and under a bottleneck's usual buffer, so that the
 * queue is seen before it overflows.
 */
const QUEUE_ROUND_TRIP_MS = 25;
/** The shortest round trip is taken over this window, so that a path that got longer is learned again. */
const ROUND_TRIP_WINDOW_MS = 30_000;
/** The most frames that random loss may hit (lose a packet of) at the target: one in twenty. */
const MAX_FRAME_HIT_SHARE = 0.05;
/** Loss over the last few seconds of reports under this is a clean link: no cap for it. */
const CLEAN_LOSS = 0.002;
/** The reports whose loss the cap follows: long enough that random loss reads as a level, not as single reports. */
const LOSS_WINDOW_MS = 3000;
/** What a loss report above the threshold leaves of the target. */
const LOSS_CUT = 0.85;
/** Loss this many times the loss that cut last, within the cut's hold, cuts again. */
const LOSS_GROWTH = 2;
/** The most of a report's loss that a second cut takes as the link's: past it, lost retransmissions are counted too. */
const MOST_LOSS_MEASURED = 0.5;

export interface ReceiverReport {
  /** Share (0..1) of packets lost since the receiver's previous report. */
  fractionLost: number;
  /** Round trip to the receiver in ms, where known. */
  roundTripMs?: number;
}

export interface BitrateDecision {
  kbps: number;
  rung: Rung;
}

export class BitrateController {
  private readonly options: Required<Omit<BitrateControllerOptions, 'startCapKbps'>>;
  private target: number;
  private rungIndex = 0;
  private estimateKbps: number;
  private lastUpdateAt: number | undefined;
  private lastLossAt = -Infinity;
  private lastCutAt = -Infinity;
  /** The loss in the report that cut last. */
  private lossAtCut = 0;
  private lastOveruseAt = -Infinity;
  /** The factor the ceiling was last raised by. */
  private lastRaise = 1;
  private readonly roundTrips: Array<{ atMs: number; ms: number }> = [];
  private readonly recentLoss: Array<{ atMs: number; fractionLost: number }> = [];
  private rungChangedAt = -Infinity;
  private probeWaitMs: number;
  private ceilingKbps = Infinity;
  private ceilingSetAt = -Infinity;
  private nextCeilingStep: number;
  private ceilingHoldMs: number;
  /** True once the ceiling was raised since the loss that set it: loss now answers a probe. */
  private ceilingProbed = false;
  /** The lowest estimate since the ceiling was last set or raised. */
  private lowestEstimateKbps = Infinity;
  /** When the video sent first reached what the ceiling allows, since it was last set or raised. */
  private carriedAt: number | undefined;
  private readonly sent = new SentRate();
  private belowSince: number | undefined;
  private aboveSince: number | undefined;

  constructor(options: BitrateControllerOptions) {
    if (options.ladder.length === 0) throw new Error('the ladder needs at least one rung');
    this.options = {
      headroom: 0.9,
      climbPerSecond: 0.12,
      lossThreshold: 0.03,
      quietAfterLossMs: 2000,
      ceilingHoldMs: 5000,
      ceilingStep: 0.02,
      cutHoldMs: 2000,
      stepDownAfterMs: 2000,
      stepDownMargin: 0.9,
      stepUpAfterMs: 3000,
      stepUpMargin: 1.15,
      congestionMemoryMs: 5000,
      probeUpAfterMs: 8000,
      probeUpShare: 0.7,
      initialEstimateKbps: Infinity,
      packetBytes: 1200,
      ...options,
    };
    this.target = this.clamp(Math.min(options.startKbps, options.startCapKbps ?? options.ladder[0]!.minKbps * this.options.stepUpMargin));
    this.estimateKbps = options.initialEstimateKbps ?? Infinity;
    this.probeWaitMs = this.options.probeUpAfterMs;
    this.nextCeilingStep = this.options.ceilingStep;
    this.ceilingHoldMs = this.options.ceilingHoldMs;
  }

  get decision(): BitrateDecision {
    return { kbps: this.target, rung: this.rung };
  }

  get rung(): Rung {
    return this.options.ladder[this.rungIndex]!;
  }

  /** The congestion controller's available bitrate, in bit/s. */
  onEstimate(bitsPerSecond: number, nowMs: number): BitrateDecision {
    if (Number.isFinite(bitsPerSecond) && bitsPerSecond > 0) {
      const previousKbps = this.estimateKbps;
      this.estimateKbps = bitsPerSecond / 1000;
      this.lowestEstimateKbps = Math.min(this.lowestEstimateKbps, this.estimateKbps);
      // GoogCC answers a growing queue by dropping its estimate under what the link delivered. A
      // drop that lands under the target says the target is more than the link carries: a ceiling
      // as surely as a rate that lost packets, and found before the queue overflows. Without it
      // the estimate recovers a second later and the target climbs straight back into the same
      // queue, this time until it drops packets. The link carried at least the video's share of what
      // the new estimate says (the drop lands under what got through; the first drop is the initial
      // probe's measure of the link, audio and retransmissions included) or what was sent, and less
      // than the target. Kept apart from the loss cut's episode: a loss report that follows must still cut.
      // Until a whole window of video has gone out, GoogCC's measures are its first probes', and
      // the first of them can read a policer's bucket as link: each further fall is the link
      // measured again, not noise from the encoder's sending, and lowers the ceiling it set. They
      // are weighed against the rate the stream is configured to start at, not the slow start's.
      const sentKbps = this.sent.kbps(nowMs);
      const measuring = sentKbps === undefined;
      const against = measuring ? Math.max(this.target, this.options.startKbps) : this.target;
      const overuse = Number.isFinite(previousKbps) && this.estimateKbps < previousKbps * OVERUSE_DROP && this.estimateKbps < against;
      const carriedKbps = Math.min(against, Math.max(this.estimateKbps * this.options.headroom, sentKbps ?? 0));
      if (overuse && measuring) this.measured(carriedKbps, nowMs);
      else if (overuse && this.probing(nowMs)) this.queueGrew(carriedKbps, nowMs);
    }
    return this.update(nowMs);
  }

  /**
   * Under steady random loss (at or below the threshold), the rate at which few frames lose a
   * packet. A frame that does waits a round trip for its retransmission, and the frames behind it
   * wait with it: on a link that drops a percent of packets at random, a frame of a dozen packets
   * is hit one time in nine, and the player feels every hit. Forward error correction would be the
   * usual answer, but mediasoup forwards none; smaller frames are the one left. Never under what
   * full size needs with the step-up margin, so random loss alone costs sharpness, never a rung.
   */
  private lossCapKbps(nowMs: number): number {
    while (this.recentLoss.length > 0 && this.recentLoss[0]!.atMs <= nowMs - LOSS_WINDOW_MS) this.recentLoss.shift();
    // Loss over the threshold is congestion, which the ceiling and the cut answer; this is for the rest.
    if (this.recentLoss.some((report) => report.fractionLost > this.options.lossThreshold)) return Infinity;
    const level = this.recentLoss.reduce((sum, report) => sum + report.fractionLost, 0) / Math.max(1, this.recentLoss.length);
    if (level < CLEAN_LOSS) return Infinity;
    const packets = Math.log(1 - MAX_FRAME_HIT_SHARE) / Math.log(1 - Math.min(level, 0.5));
    const kbps = (packets * this.options.packetBytes * 8 * this.rung.fps) / 1000;
    return Math.max(kbps, this.options.ladder[0]!.minKbps * this.options.stepUpMargin);
  }

  /**
   * Whether a growing queue now answers a climb of the target's own: there is no ceiling yet, or it
   * was raised since it was last set. Once per episode, as for loss.
   */
  private probing(nowMs: number): boolean {
    return (this.ceilingKbps === Infinity || this.ceilingProbed) && nowMs - this.lastOveruseAt >= this.options.cutHoldMs;
  }

  /**
   * A queue grew while the target climbed. With no ceiling yet, `carriedKbps` (what got through)
   * becomes it; after a raise, the raise is undone: the ceiling before it held for a whole hold. So
   * on a busy machine, where scheduling noise reads as queueing, these signs can refuse steps but
   * never ratchet the stream down; only loss lowers a ceiling below one that held.
   */
  private queueGrew(carriedKbps: number, nowMs: number): void {
    this.lowerCeiling(this.ceilingKbps === Infinity ? carriedKbps : this.ceilingKbps / this.lastRaise, nowMs);
    this.lastOveruseAt = nowMs;
  }

  /** GoogCC measured the link, before a first second of video went out, at `carriedKbps` for the video. */
  private measured(carriedKbps: number, nowMs: number): void {
    this.lowerCeiling(carriedKbps, nowMs);
    this.lastOveruseAt = nowMs;
  }

  /** Whether `roundTripMs` stands a queue's worth above the shortest round trip seen lately. */
  private queueingBy(roundTripMs: number, nowMs: number): boolean {
    this.roundTrips.push({ atMs: nowMs, ms: roundTripMs });
    while (this.roundTrips[0]!.atMs < nowMs - ROUND_TRIP_WINDOW_MS) this.roundTrips.shift();
    const shortest = Math.min(...this.roundTrips.map((sample) => sample.ms));
    return roundTripMs > shortest + QUEUE_ROUND_TRIP_MS;
  }

  /**
   * What the link could not carry, when it lost packets or queued them: the video rate actually
   * sent over the last second, within the target and at least a share of it.
   */
  private failedSentKbps(nowMs: number): number {
    return Math.min(this.target, Math.max(this.sent.kbps(nowMs) ?? Infinity, this.target * SENT_FLOOR_SHARE));
  }

  /** `failedKbps` was more than the link carries (it lost packets, or grew the queue): it becomes the ceiling. */
  private lowerCeiling(failedKbps: number, nowMs: number): void {
    this.ceilingKbps = Math.min(this.ceilingKbps, failedKbps);
    this.lowestEstimateKbps = this.estimateKbps;
    this.carriedAt = undefined;
    this.ceilingSetAt = nowMs;
    this.nextCeilingStep = this.options.ceilingStep;
    // A step up that met trouble was a probe the link refused: wait longer before the next.
    if (this.ceilingProbed) this.ceilingHoldMs = Math.min(this.ceilingHoldMs * 2, this.options.ceilingHoldMs * MAX_HOLD_FACTOR);
    this.ceilingProbed = false;
  }

  /** `bytes` of video (RTP packets as sent) went out now. */
  onSent(bytes: number, nowMs: number): void {
    this.sent.add(bytes, nowMs);
  }

  /** What the player's receiver reported: loss since its previous report. */
  onReceiverReport({ fractionLost, roundTripMs }: ReceiverReport, nowMs: number): BitrateDecision {
    this.recentLoss.push({ atMs: nowMs, fractionLost });
    // The link's queue is growing under what is being sent: that is a ceiling, found before the queue overflows.
    if (roundTripMs !== undefined && this.queueingBy(roundTripMs, nowMs) && this.probing(nowMs)) this.queueGrew(this.failedSentKbps(nowMs), nowMs);
    // One cut per congestion episode: the reports that follow a cut still describe packets sent
    // before it. Unless the loss keeps growing well past the loss that cut: then the cut left the
    // stream over the link, the queue stays full, retransmissions add to it, and within the hold
    // the loss would climb to every packet.
    const congestion = fractionLost > this.options.lossThreshold;
    const inHold = nowMs - this.lastCutAt < this.options.cutHoldMs;
    const growing = inHold && fractionLost >= this.lossAtCut * LOSS_GROWTH;
    if (congestion && (!inHold || growing)) {
      const failedKbps = this.failedSentKbps(nowMs);
      this.lowerCeiling(failedKbps, nowMs);
      this.lastCutAt = nowMs;
      this.lossAtCut = fractionLost;
      // The first cut of an episode is a fixed step under what failed, not one sized by the loss: a
      // burst of random loss is no measure of the link's capacity (the estimate follows that), and
      // a deep cut would step the ladder down for it. Under what was sent rather than under the
      // target, so the queue drains. A loss that grew past it measures what got through, down to
      // half: past that, the reports count the retransmissions piled onto the queue, not the link.
      this.target = this.clamp(failedKbps * (growing ? 1 - Math.min(fractionLost, MOST_LOSS_MEASURED) : 1) * LOSS_CUT);
    }
    if (fractionLost > this.options.lossThreshold) this.lastLossAt = nowMs;
    return this.update(nowMs);
  }

  private update(nowMs: number): BitrateDecision {
    const elapsedS = this.lastUpdateAt === undefined ? 0 : Math.min(1, Math.max(0, nowMs - this.lastUpdateAt) / 1000);
    this.lastUpdateAt = nowMs;
    this.noteCarried(nowMs);
    this.raiseCeiling(nowMs);
    const allowed = Math.min(this.estimateKbps * this.options.headroom, this.ceilingKbps * CEILING_SHARE, this.lossCapKbps(nowMs));
    if (allowed < this.target) {
      this.target = this.clamp(allowed);
    } else if (nowMs - this.lastLossAt >= this.options.quietAfterLossMs) {
      this.target = this.clamp(Math.min(allowed, this.target * (1 + this.options.climbPerSecond * elapsedS)));
    }
    this.updateRung(nowMs);
    return this.decision;
  }

  /** Notes when the link first carried what the ceiling allows: a window of sending, wholly after the ceiling was set, near it. */
  private noteCarried(nowMs: number): void {
    if (this.carriedAt !== undefined || this.ceilingKbps === Infinity || nowMs - this.ceilingSetAt < this.sent.windowMs) return;
    if ((this.sent.kbps(nowMs) ?? 0) >= this.ceilingKbps * CEILING_SHARE * CARRIED_SHARE) this.carriedAt = nowMs;
  }

  /**
   * A probe upward: after a quiet hold with the target pressing against the ceiling and the link
   * carrying it, the ceiling goes up a step. A hold spent below it (the estimate kept the target
   * lower, or the encoder sent less) tested nothing, so it waits until the stream gets there.
   */
  private raiseCeiling(nowMs: number): void {
    if (this.ceilingKbps === Infinity) return;
    const allowance = this.ceilingKbps * CEILING_SHARE;
    const pressing = this.target >= allowance * PRESSING_SHARE;
    if (!pressing || nowMs - Math.max(this.ceilingSetAt, this.lastLossAt) < this.ceilingHoldMs) return;
    // Carried for long enough that a queue or loss it caused would have been reported.
    const carried = this.carriedAt !== undefined && nowMs - this.carriedAt >= this.options.cutHoldMs;
    // Under a ceiling that keeps the stream under what its rung needs, or off the rung above, the
    // target's say-so is enough: the encoder may send well under its target for minutes (a busy
    // machine drops frames, a simple or small picture needs less), and the ceiling must not keep
    // the picture poor for that. So is an estimate that measured room well above the ceiling.
    const upper = this.options.ladder[this.rungIndex - 1];
    const starves = allowance < this.rung.minKbps * this.options.stepUpMargin || (upper !== undefined && upper.minKbps > allowance);
    const room = this.lowestEstimateKbps >= this.ceilingKbps * ROOM_FACTOR;
    if (!carried && !starves && !room) return;
    // The step before this one met no loss.
    if (this.ceilingProbed) this.ceilingHoldMs = Math.max(this.ceilingHoldMs / 2, this.options.ceilingHoldMs);
    const step = room ? this.nextCeilingStep : this.options.ceilingStep;
    this.ceilingKbps *= 1 + step;
    this.lastRaise = 1 + step;
    this.nextCeilingStep = step * 2;
    this.lowestEstimateKbps = this.estimateKbps;
    this.carriedAt = undefined;
    this.ceilingSetAt = nowMs;
    this.ceilingProbed = true;
    if (this.ceilingKbps * CEILING_SHARE >= this.options.maxKbps) this.ceilingKbps = Infinity;
  }

  private congested(nowMs: number): boolean {
    return nowMs - this.lastLossAt < this.options.congestionMemoryMs;
  }

  private updateRung(nowMs: number): void {
    const { ladder, stepDownAfterMs, stepDownMargin, stepUpAfterMs, stepUpMargin, probeUpAfterMs, probeUpShare } = this.options;
    // Pinned at the floor, a target just under the rung's minimum is as low as it gets.
    const below = this.target < this.rung.minKbps * (this.target <= this.options.minKbps ? 1 : stepDownMargin);
    if (this.rungIndex < ladder.length - 1 && below && this.congested(nowMs)) {
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
    // A rung that needs more than the link has carried without loss is not worth a try: its
    // ceiling is probed in small steps first.
    const quietSince = Math.max(this.lastLossAt, this.rungChangedAt);
    const fits = upper.minKbps <= this.ceilingKbps * CEILING_SHARE;
    if (fits && nowMs - quietSince >= this.probeWaitMs && this.target >= upper.minKbps * probeUpShare) {
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
