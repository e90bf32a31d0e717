/** The bitrate controller's decisions, driven by a clock of the test's own. */
import { describe, expect, it } from 'vitest';
import { BitrateController } from '../../../edge-node/media/bitrate-controller.js';
import { videoLadder } from '../../../edge-node/media/video-ladder.js';

const ladder = videoLadder(1280, 720, 60);

/** A controller that starts at `startKbps` itself: most tests begin from a stream already under way. */
function controller(startKbps = 6000): BitrateController {
  return new BitrateController({ ladder, startKbps, minKbps: 300, maxKbps: 8000, startCapKbps: Infinity });
}

/** Feeds the same estimate every 100 ms for `ms`, from `from`, with the encoder sending its whole target; returns the time reached. */
function feed(c: BitrateController, bps: number, from: number, ms: number): number {
  let now = from;
  for (; now < from + ms; now += 100) {
    c.onSent((c.decision.kbps * 100) / 8, now);
    c.onEstimate(bps, now);
  }
  return now;
}

/** Feeds the same estimate every 100 ms from 0 for `ms`, with the encoder sending `sentKbps` whatever its target; returns the time reached. */
function feedSending(c: BitrateController, estimateBps: number, sentKbps: number, ms: number): number {
  return feedAt(c, estimateBps, sentKbps, 0, ms);
}

/** As feedSending, from `from`. */
function feedAt(c: BitrateController, estimateBps: number, sentKbps: number, from: number, ms: number): number {
  let now = from;
  for (; now < from + ms; now += 100) {
    c.onEstimate(estimateBps, now);
    c.onSent((sentKbps * 100) / 8, now);
  }
  return now;
}

describe('bitrate controller', () => {
  it('steps down full size, then half size, then half rate as the ladder says', () => {
    expect(ladder.map((r) => `${r.width}x${r.height}@${r.fps}`)).toEqual(['1280x720@60', '640x360@60', '640x360@30']);
    expect(ladder[0]!.minKbps).toBeGreaterThan(ladder[1]!.minKbps);
    expect(ladder.at(-1)!.minKbps).toBe(0);
  });

  it('drops the target under a link that fell to 2 Mbit/s at once, and keeps full size while the link carries what it needs', () => {
    const c = controller();
    const now = feed(c, 8_000_000, 0, 2000);
    expect(c.decision.rung.width).toBe(1280);
    const first = c.onEstimate(2_000_000, now);
    expect(first.kbps).toBeLessThan(2000);
    expect(first.rung.width).toBe(1280);
    // The queue that fills behind the new limit shows in the receiver's report.
    c.onReceiverReport({ fractionLost: 0.05 }, now + 50);
    feed(c, 2_000_000, now + 100, 3000);
    expect(c.decision.kbps).toBeLessThanOrEqual(1800);
    expect(c.decision.rung.width).toBe(1280);
  });

  it('steps down to half size under a link clearly short of what full size needs, after a while, not at once', () => {
    const c = controller();
    const now = feed(c, 8_000_000, 0, 2000);
    c.onEstimate(1_400_000, now);
    c.onReceiverReport({ fractionLost: 0.05 }, now + 50);
    feed(c, 1_400_000, now + 100, 1000);
    expect(c.decision.rung.width).toBe(1280);
    feed(c, 1_400_000, now + 1100, 1500);
    expect(c.decision.kbps).toBeLessThan(1400);
    expect(c.decision.rung).toMatchObject({ width: 640, height: 360, fps: 60 });
  });

  it('halves the frame rate only when even half size cannot be carried', () => {
    const c = controller();
    c.onReceiverReport({ fractionLost: 0.05 }, 0);
    feed(c, 300_000, 0, 4500);
    expect(c.decision.rung).toMatchObject({ width: 640, height: 360, fps: 30 });
    expect(c.decision.kbps).toBeLessThanOrEqual(450);
  });

  it('steps down from a rung whose minimum sits just above the floor, once the target is pinned there', () => {
    const small = videoLadder(640, 360, 60);
    const c = new BitrateController({ ladder: small, startKbps: 300, minKbps: 100, maxKbps: 8000 });
    c.onReceiverReport({ fractionLost: 0.1 }, 0);
    feed(c, 80_000, 0, 5000);
    expect(small[1]!.minKbps * 0.9).toBeLessThan(100);
    expect(c.decision.kbps).toBe(100);
    expect(c.decision.rung).toMatchObject({ width: 320, height: 180, fps: 30 });
  });

  it('climbs back a few percent a second when the link recovers, and steps back up the ladder', () => {
    const c = controller();
    c.onReceiverReport({ fractionLost: 0.05 }, 0);
    let now = feed(c, 400_000, 0, 4500);
    expect(c.decision.rung.fps).toBe(30);
    const low = c.decision.kbps;
    c.onEstimate(10_000_000, now);
    // One second later: no jump to the estimate.
    now = feed(c, 10_000_000, now + 100, 1000);
    expect(c.decision.kbps).toBeLessThan(low * 1.2);
    feed(c, 10_000_000, now, 40_000);
    expect(c.decision.kbps).toBeGreaterThan(5000);
    expect(c.decision.rung).toMatchObject({ width: 1280, height: 720, fps: 60 });
  });

  it('does not follow an estimate that probes upward in one jump', () => {
    const c = controller(2500);
    const now = feed(c, 3_000_000, 0, 5000);
    const steady = c.decision.kbps;
    expect(steady).toBeLessThanOrEqual(2700);
    feed(c, 6_000_000, now, 1000);
    expect(c.decision.kbps).toBeLessThanOrEqual(steady * 1.13);
  });

  it('cuts the target on reported loss, waits before climbing, and keeps under the rate that lost', () => {
    const c = controller(3000);
    let now = feed(c, 10_000_000, 0, 1000);
    const before = c.decision.kbps;
    const cut = c.onReceiverReport({ fractionLost: 0.1 }, now);
    expect(cut.kbps).toBeLessThanOrEqual(Math.round(before * 0.85));
    now = feed(c, 10_000_000, now + 100, 1500);
    expect(c.decision.kbps).toBe(cut.kbps);
    now = feed(c, 10_000_000, now, 12_000);
    expect(c.decision.kbps).toBeLessThanOrEqual(Math.round(before * 0.9));
    // Without further loss the ceiling is raised, a step at a time, and the climb goes on past it.
    feed(c, 10_000_000, now, 45_000);
    expect(c.decision.kbps).toBeGreaterThan(before);
  });

  it('takes a ceiling from an estimate that drops under the target (a growing queue) before any loss, and does not climb straight back', () => {
    const c = controller(3000);
    // The encoder sends 2.6 Mbit/s of its 3.5 target while GoogCC reads 3.9 (its probes pass a policer's bucket).
    let now = feedSending(c, 3_900_000, 2600, 8000);
    expect(c.decision.kbps).toBeGreaterThan(3400);
    // The queue grows: GoogCC drops to 2.8, under the target, then recovers a second later.
    c.onEstimate(2_800_000, now);
    expect(c.decision.kbps).toBeLessThanOrEqual(Math.round(2800 * 0.9));
    // The link got 2.8 through, of which the video's share is 2.52, not the 3.5 asked: the climb
    // stays under that until a quiet hold, with the link carrying it, lets it probe a step.
    const allowed = 2800 * 0.9 * 0.9;
    now = feedAt(c, 3_900_000, 2600, now + 100, 4500);
    expect(c.decision.kbps).toBe(Math.round(allowed));
    feedAt(c, 3_900_000, 2600, now, 2000);
    expect(c.decision.kbps).toBeGreaterThan(Math.round(allowed));
    expect(c.decision.kbps).toBeLessThanOrEqual(Math.round(allowed * 1.05));
  });

  it('takes a ceiling from what was sent when the round trip grows a queue\'s worth, and not for less', () => {
    const c = controller(3000);
    let now = feedSending(c, 4_400_000, 2600, 6000);
    const report = (roundTripMs: number): void => {
      c.onReceiverReport({ fractionLost: 0, roundTripMs }, now);
      now = feedAt(c, 4_400_000, 2600, now, 250);
    };
    for (let i = 0; i < 8; i++) report(20);
    const climbing = c.decision.kbps;
    expect(climbing).toBeGreaterThan(3500);
    // Scheduling noise on a busy machine: 20 ms more, under a queue's worth.
    report(40);
    expect(c.decision.kbps).toBeGreaterThanOrEqual(climbing);
    // The queue grows: the round trip is 30 ms over the shortest.
    report(50);
    expect(c.decision.kbps).toBeLessThanOrEqual(Math.round(2600 * 0.9));
  });

  it('on a busy machine, where the round trip jumps now and then, refuses steps up but never ratchets the stream down', () => {
    const c = controller(3000);
    let now = 0;
    let lowest = Infinity;
    for (let poll = 0; now < 90_000; poll++, now += 250) {
      c.onEstimate(4_400_000, now);
      // The encoder sends 90% of its target; scheduling noise adds 40 ms to one report in ten.
      c.onSent((c.decision.kbps * 0.9 * 250) / 8, now);
      c.onReceiverReport({ fractionLost: 0, roundTripMs: poll % 10 === 9 ? 60 : 20 }, now);
      if (now >= 10_000) lowest = Math.min(lowest, c.decision.kbps);
    }
    // The first jump, in the climb, sets the ceiling at what was sent; later ones only undo raises.
    expect(lowest).toBeGreaterThan(2000);
    expect(c.decision.rung.width).toBe(1280);
  });

  it('takes the first measure under the estimate it started from as a drop: the link measured', () => {
    const c = new BitrateController({ ladder, startKbps: 4000, minKbps: 300, maxKbps: 8000, initialEstimateKbps: 6000 });
    // GoogCC's first probe finds 2.9 Mbit/s, then its estimate keeps rising past what a policed link carries.
    c.onEstimate(2_900_000, 0);
    feedAt(c, 4_200_000, 2400, 100, 4500);
    // The video's share of the link it measured, as a ceiling.
    expect(c.decision.kbps).toBe(Math.round(2900 * 0.9 * 0.9));
  });

  it('starts at what full size needs, not at a configured start over it, and climbs from there', () => {
    const c = new BitrateController({ ladder, startKbps: 4000, minKbps: 300, maxKbps: 8000, initialEstimateKbps: 6000 });
    // GoogCC's first measure reads the link high (its probe passed a policer's bucket) and never falls.
    c.onEstimate(4_375_000, 0);
    const needs = Math.round(ladder[0]!.minKbps * 1.15);
    expect(c.decision.kbps).toBe(needs);
    feed(c, 4_375_000, 100, 3000);
    expect(c.decision.kbps).toBeGreaterThan(needs * 1.3);
    expect(c.decision.kbps).toBeLessThan(needs * 1.5);
  });

  it('takes each further fall of GoogCC\'s first measures, before a first second of video went out, as the link measured again', () => {
    const c = new BitrateController({ ladder, startKbps: 4000, minKbps: 300, maxKbps: 8000, initialEstimateKbps: 6000 });
    // The first probe reads a policer's bucket as link; the next, a quarter second later, the link.
    c.onEstimate(3_958_000, 0);
    c.onEstimate(2_571_000, 250);
    // Then the estimate climbs back past what the link carries, and the encoder sends its whole target.
    feed(c, 3_550_000, 500, 4000);
    expect(c.decision.kbps).toBeLessThanOrEqual(Math.round(2571 * 0.9 * 0.9));
  });

  it('cuts again within a loss episode when the loss keeps growing, by what got through', () => {
    const c = controller(4000);
    let now = feed(c, 10_000_000, 0, 1500);
    const before = c.decision.kbps;
    const first = c.onReceiverReport({ fractionLost: 0.032 }, now).kbps;
    expect(first).toBeLessThanOrEqual(Math.round(before * 0.85));
    // The encoder follows its target with a lag, and the queue it filled keeps overflowing.
    now = feedAt(c, 10_000_000, 3900, now, 500);
    expect(c.onReceiverReport({ fractionLost: 0.05 }, now).kbps).toBe(first);
    now = feedAt(c, 10_000_000, 3900, now, 250);
    const second = c.onReceiverReport({ fractionLost: 0.103 }, now).kbps;
    expect(second).toBe(Math.round(first * (1 - 0.103) * 0.85));
    now = feedAt(c, 10_000_000, 3000, now, 250);
    expect(c.onReceiverReport({ fractionLost: 0.15 }, now).kbps).toBe(second);
    // Most of a report lost is retransmissions piled onto the queue: at most half goes.
    now = feedAt(c, 10_000_000, 3000, now, 250);
    expect(c.onReceiverReport({ fractionLost: 0.9 }, now).kbps).toBe(Math.round(second * 0.5 * 0.85));
  });

  it('without a known starting estimate, takes the first as no drop, and still cuts for loss that follows a drop', () => {
    const c = controller(6000);
    c.onEstimate(2_000_000, 0);
    let now = feed(c, 8_000_000, 100, 20_000);
    expect(c.decision.kbps).toBe(Math.round(8000 * 0.9));
    c.onEstimate(4_000_000, now);
    const afterDrop = c.decision.kbps;
    expect(afterDrop).toBeLessThanOrEqual(3600);
    now += 250;
    expect(c.onReceiverReport({ fractionLost: 0.2 }, now).kbps).toBeLessThan(afterDrop);
  });

  it('takes the ceiling from the rate actually sent when loss came, not from a target the encoder never reached', () => {
    const c = controller(3000);
    // The encoder sends 2.9 Mbit/s whatever its target.
    const now = feedSending(c, 4_400_000, 2900, 8000);
    expect(c.decision.kbps).toBeGreaterThan(3500);
    c.onSent((2900 * 100) / 8, now);
    // The cut goes under what was sent, so the queue behind the link drains.
    expect(c.onReceiverReport({ fractionLost: 0.1 }, now).kbps).toBeLessThanOrEqual(Math.round(2900 * 0.85));
    feed(c, 4_400_000, now + 100, 4000);
    expect(c.decision.kbps).toBeLessThanOrEqual(Math.round(2900 * 0.9));
    expect(c.decision.kbps).toBeGreaterThan(2500);
  });

  it('does not take the ceiling from an encoder that sent far less than asked (starved of CPU, it dropped frames)', () => {
    const c = controller(3000);
    const now = feedSending(c, 3_400_000, 900, 3000);
    const target = c.decision.kbps;
    c.onReceiverReport({ fractionLost: 0.1 }, now);
    feed(c, 3_400_000, now + 100, 4000);
    expect(c.decision.kbps).toBeGreaterThanOrEqual(Math.floor(target * 0.6 * 0.9));
  });

  it('raises a ceiling in small steps while the estimate sees little room above it, and waits longer after a step that meets loss', () => {
    const c = controller(2000);
    c.onReceiverReport({ fractionLost: 0.1 }, 0);
    const allowed = 2000 * 0.9;
    let now = 0;
    const kbpsAt = (until: number): number => {
      now = feed(c, 2_600_000, now, until - now);
      return c.decision.kbps;
    };
    expect(kbpsAt(4900)).toBeLessThanOrEqual(allowed);
    const first = kbpsAt(5500);
    expect(first).toBeGreaterThan(allowed);
    expect(first).toBeLessThanOrEqual(Math.round(allowed * 1.05));
    expect(kbpsAt(10_500)).toBeLessThanOrEqual(Math.round(allowed * 1.05 * 1.05));
    // That step meets loss: the next hold is twice as long.
    c.onReceiverReport({ fractionLost: 0.1 }, now);
    const held = kbpsAt(15_000);
    expect(held).toBeLessThan(allowed * 1.05 * 1.05);
    expect(kbpsAt(20_400)).toBe(held);
    expect(kbpsAt(21_500)).toBeGreaterThan(held);
  });

  it('raises a ceiling only once the link carried it, not while a simple scene sends well under the target', () => {
    const c = controller(3000);
    let now = feedSending(c, 3_400_000, 2800, 3000);
    c.onSent((2800 * 100) / 8, now);
    c.onReceiverReport({ fractionLost: 0.1 }, now);
    const allowed = Math.round(2800 * 0.9);
    // A simple scene: the encoder sends 80% of its target for half a minute, with no loss.
    for (const end = now + 30_000; now < end; now += 100) {
      c.onSent((c.decision.kbps * 0.8 * 100) / 8, now);
      c.onEstimate(3_400_000, now);
    }
    expect(c.decision.kbps).toBe(allowed);
    // A busy scene sends the whole target: the link carried it, and after a hold the ceiling goes up a step.
    feed(c, 3_400_000, now, 6000);
    expect(c.decision.kbps).toBeGreaterThan(allowed);
    expect(c.decision.kbps).toBeLessThanOrEqual(Math.round(allowed * 1.02));
  });

  it('raises a ceiling under what full size needs on the target alone, however little the encoder sends', () => {
    const c = new BitrateController({ ladder, startKbps: 4000, minKbps: 300, maxKbps: 8000, initialEstimateKbps: 6000 });
    // GoogCC's first measure reads the link low; it then settles at 3 Mbit/s.
    c.onEstimate(1_500_000, 0);
    expect(c.decision.kbps).toBeLessThan(ladder[0]!.minKbps);
    // A simple scene sends 80% of the target: the ceiling is never carried, but it starves the picture.
    let now = 100;
    for (; now < 60_000; now += 100) {
      c.onSent((c.decision.kbps * 0.8 * 100) / 8, now);
      c.onEstimate(3_000_000, now);
    }
    const needs = ladder[0]!.minKbps * 1.15;
    expect(c.decision.kbps).toBeGreaterThanOrEqual(needs * 0.97);
    // Once the picture has what it needs, further raises wait for the link to carry them.
    const settled = c.decision.kbps;
    for (; now < 120_000; now += 100) {
      c.onSent((c.decision.kbps * 0.8 * 100) / 8, now);
      c.onEstimate(3_000_000, now);
    }
    expect(c.decision.kbps).toBe(settled);
  });

  it('raises a ceiling that keeps the stream off the rung above on the target alone, however little the encoder sends', () => {
    const c = controller(1000);
    c.onReceiverReport({ fractionLost: 0.1 }, 0);
    let now = 0;
    // Two seconds short of full size with congestion: half size.
    for (; now < 3000; now += 100) c.onEstimate(2_000_000, now);
    expect(c.decision.rung.width).toBe(640);
    // The small picture sends a third of its target; the link is there again.
    for (; now < 90_000; now += 100) {
      c.onSent((c.decision.kbps * 0.33 * 100) / 8, now);
      c.onEstimate(2_600_000, now);
    }
    expect(c.decision.rung.width).toBe(1280);
  });

  it('doubles its steps while the estimate stays well above the ceiling (the link grew)', () => {
    const c = controller(1000);
    c.onReceiverReport({ fractionLost: 0.1 }, 0);
    // Steps of 5% would take minutes to get there; doubling steps take under a minute.
    feed(c, 10_000_000, 0, 60_000);
    expect(c.decision.kbps).toBeGreaterThan(4000);
  });

  it('under a policed link whose estimate overshoots, settles near the link and knocks on it rarely and only by a few percent', () => {
    // A 3 Mbit/s policer carries about 2.8 Mbit/s of video; GoogCC reads about 3 there, and 4.4 for
    // a second now and then when its probes pass the policer's bucket.
    const capacity = 2800;
    const c = controller(4000);
    const episodes: Array<{ at: number; overshoot: number }> = [];
    let sentSince = 0;
    let lastLossAt = -Infinity;
    const targets: number[] = [];
    for (let now = 0; now < 120_000; now += 50) {
      c.onEstimate(now % 6000 < 1000 ? 4_400_000 : 3_000_000, now);
      // The encoder sends 85% of its target in simple scenes and all of it in busy ones (ten seconds
      // each), in 50 ms slices; the receiver reports once a second.
      const kbps = c.decision.kbps * (now % 20_000 < 10_000 ? 0.85 : 1);
      c.onSent((kbps * 50) / 8, now);
      sentSince += kbps;
      if (now % 1000 === 950) {
        const sent = sentSince / 20;
        sentSince = 0;
        const over = sent > capacity;
        if (over && now - lastLossAt > 2000) episodes.push({ at: now, overshoot: sent / capacity - 1 });
        if (over) lastLossAt = now;
        c.onReceiverReport({ fractionLost: over ? Math.max(0.05, 1 - capacity / sent) : 0 }, now);
      }
      if (now >= 60_000) targets.push(kbps);
    }
    // The first knock is the estimate's doing; every later one is a probe of the controller's own.
    const probes = episodes.slice(1);
    expect(episodes.length).toBeGreaterThan(0);
    expect(Math.max(...probes.map((e) => e.overshoot))).toBeLessThanOrEqual(0.05);
    expect(probes.filter((e) => e.at >= 60_000).length).toBeLessThanOrEqual(2);
    const mean = targets.reduce((a, b) => a + b, 0) / targets.length;
    expect(mean).toBeGreaterThan(capacity * 0.8);
    expect(c.decision.rung.width).toBe(1280);
  });

  it('cuts once for the reports of one loss episode, not once per report', () => {
    const c = controller(3000);
    const now = feed(c, 10_000_000, 0, 1000);
    const first = c.onReceiverReport({ fractionLost: 0.2 }, now).kbps;
    expect(c.onReceiverReport({ fractionLost: 0.2 }, now + 250).kbps).toBe(first);
    expect(c.onReceiverReport({ fractionLost: 0.2 }, now + 1500).kbps).toBe(first);
    expect(c.onReceiverReport({ fractionLost: 0.2 }, now + 2100).kbps).toBeLessThan(first);
  });

  it('answers random loss at or below the threshold with smaller frames, not with a cut for congestion', () => {
    const c = controller(3000);
    let now = feed(c, 10_000_000, 0, 1000);
    const before = c.decision.kbps;
    // 1% random loss, reported four times a second: frames of about five packets, so that one in twenty is hit.
    for (let i = 0; i < 12; i++) {
      c.onReceiverReport({ fractionLost: 0.01 }, now);
      now = feed(c, 10_000_000, now, 250);
    }
    const fivePackets = Math.round(((Math.log(0.95) / Math.log(0.99)) * 1200 * 8 * 60) / 1000);
    expect(c.decision.kbps).toBe(fivePackets);
    expect(c.decision.kbps).toBeGreaterThan(ladder[0]!.minKbps * 1.15);
    expect(c.decision.rung.width).toBe(1280);
    // Heavier random loss never takes the stream under what full size needs.
    for (let i = 0; i < 12; i++) {
      c.onReceiverReport({ fractionLost: 0.03 }, now);
      now = feed(c, 10_000_000, now, 250);
    }
    expect(c.decision.kbps).toBe(Math.round(ladder[0]!.minKbps * 1.15));
    expect(c.decision.rung.width).toBe(1280);
    // Clean again: no ceiling was left behind, and the climb resumes at once.
    feed(c, 10_000_000, now, 8000);
    expect(c.decision.kbps).toBeGreaterThan(before);
  });

  it('keeps the rung when a low estimate comes without congestion (an encoder sending less than the link carries)', () => {
    const c = controller();
    let now = 0;
    for (; now < 10_000; now += 100) {
      c.onEstimate(1_500_000, now);
      c.onReceiverReport({ fractionLost: now % 1000 === 0 ? 0.01 : 0 }, now);
    }
    expect(c.decision.kbps).toBeLessThan(ladder[0]!.minKbps);
    expect(c.decision.rung.width).toBe(1280);
  });

  it('tries the rung above after a quiet spell although the estimate stays near what the lower rung sends, and backs off when the try meets loss', () => {
    const c = controller();
    c.onReceiverReport({ fractionLost: 0.1 }, 0);
    let now = feed(c, 1_400_000, 0, 2500);
    expect(c.decision.rung.width).toBe(640);
    // Quiet: the estimate holds at 1.4 Mbit/s, under the margin a plain step up needs.
    const rungAt = (ms: number): number => {
      now = feed(c, 1_400_000, now, ms);
      return c.decision.rung.width;
    };
    expect(rungAt(6000)).toBe(640);
    expect(rungAt(3000)).toBe(1280);
    // The try meets loss: back down, and the next try waits twice as long.
    c.onReceiverReport({ fractionLost: 0.1 }, now);
    now = feed(c, 1_000_000, now, 2500);
    expect(c.decision.rung.width).toBe(640);
    // The link lost packets below what the rung above needs: no second try while it carries no more.
    expect(rungAt(60_000)).toBe(640);
    // It grows: the ceiling is probed up in steps, and the rung above comes back.
    now = feed(c, 10_000_000, now, 90_000);
    expect(c.decision.rung.width).toBe(1280);
  });

  it('stays within its bounds and ignores nonsense estimates', () => {
    const c = controller();
    expect(c.onEstimate(10, 0).kbps).toBe(300);
    expect(c.onEstimate(Number.NaN, 100).kbps).toBe(300);
    expect(c.onEstimate(-5, 200).kbps).toBe(300);
    feed(c, 1e12, 300, 120_000);
    expect(c.decision.kbps).toBe(8000);
  });

  it('does not flap between rungs when the estimate hovers at a rung boundary', () => {
    const c = controller(3000);
    const boundary = ladder[0]!.minKbps;
    let now = 0;
    let changes = 0;
    let rung = c.decision.rung;
    for (let i = 0; i < 300; i++, now += 100) {
      // +-5% around the point where the target meets the full-size rung's minimum.
      const decision = c.onEstimate(((boundary / 0.9) * (i % 2 ? 1.05 : 0.95)) * 1000, now);
      if (decision.rung !== rung) changes++;
      rung = decision.rung;
    }
    expect(changes).toBeLessThanOrEqual(1);
  });
});
