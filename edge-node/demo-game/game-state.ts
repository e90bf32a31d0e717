/**
 * Neon Arena's simulation, free of time sources, I/O and Math.random: the same seed, inputs
 * and step durations always give the same state, so tests and replays can reproduce a game.
 */
import type { InputEvent } from '../../protocol/input.js';
import { applyInputEvent, createControls, movementVector, type PlayerControls } from './input-mapper.js';
import { mulberry32 } from './rng.js';

export const START_LIVES = 3;
const ORB_COUNT = 6;
const BASE_HAZARDS = 4;
const MAX_HAZARDS = 8;
/** One more hazard joins per this many points, so a good run gets harder. */
const POINTS_PER_EXTRA_HAZARD = 10;
export const INVULNERABLE_MS = 1500;
const DASH_MS = 160;
const DASH_COOLDOWN_MS = 700;

/** Sizes and speeds are for 1280x720 and scale with the arena, so other resolutions play the same. */
const SHIP_RADIUS = 18;
const ORB_RADIUS = 11;
const HAZARD_MIN_RADIUS = 22;
const HAZARD_MAX_RADIUS = 36;
const HAZARD_MIN_SPEED = 110;
const HAZARD_MAX_SPEED = 210;
const SHIP_MAX_SPEED = 460;
const SHIP_DASH_SPEED = 1150;
/** How quickly the ship's velocity approaches the stick's target (1/s); high feels responsive. */
const SHIP_RESPONSE = 12;
const HUD_HEIGHT = 56;
const BORDER = 8;
/** New orbs and hazards keep this far from the ship, so nothing spawns on top of the player. */
const SPAWN_CLEARANCE = 170;
/** Longer steps are split so fast objects cannot tunnel through each other. */
const MAX_SUBSTEP_MS = 1000 / 120;
/** A stalled process should not resume with one giant leap. */
const MAX_STEP_MS = 250;

export interface Ship {
  x: number;
  y: number;
  vx: number;
  vy: number;
  angle: number;
  radius: number;
  dashMs: number;
  dashCooldownMs: number;
}

export interface Orb {
  x: number;
  y: number;
  radius: number;
  /** Offsets each orb's pulse so they do not glow in lockstep. */
  phase: number;
}

export interface Hazard {
  x: number;
  y: number;
  vx: number;
  vy: number;
  radius: number;
}

export interface Arena {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface GameStateOptions {
  width: number;
  height: number;
  seed: number;
}


export class GameState {
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly arena: Arena;
  readonly ship: Ship;
  readonly orbs: Orb[] = [];
  readonly hazards: Hazard[] = [];
  readonly controls: PlayerControls = createControls();
  score = 0;
  best = 0;
  lives = START_LIVES;
  invulnerableMs = 0;
  timeMs = 0;
  /** The last input applied, which frames carry so latency can be measured end to end. */
  lastInputSeq = 0;
  /** How often each sound-making event has happened so far: the sound follows them (sound.ts). */
  readonly happened = { orbs: 0, hits: 0, dashes: 0 };
  private readonly random: () => number;

  constructor(options: GameStateOptions) {
    this.width = options.width;
    this.height = options.height;
    this.scale = Math.min(options.width / 1280, options.height / 720);
    this.random = mulberry32(options.seed);
    this.arena = {
      left: BORDER * this.scale,
      top: HUD_HEIGHT * this.scale,
      right: options.width - BORDER * this.scale,
      bottom: options.height - BORDER * this.scale,
    };
    this.ship = {
      x: (this.arena.left + this.arena.right) / 2,
      y: (this.arena.top + this.arena.bottom) / 2,
      vx: 0,
      vy: 0,
      angle: -Math.PI / 2,
      radius: SHIP_RADIUS * this.scale,
      dashMs: 0,
      dashCooldownMs: 0,
    };
    for (let i = 0; i < ORB_COUNT; i++) this.orbs.push(this.spawnOrb());
    for (let i = 0; i < BASE_HAZARDS; i++) this.hazards.push(this.spawnHazard());
  }

  applyInput(event: InputEvent): void {
    applyInputEvent(this.controls, event);
    this.lastInputSeq = event.seq;
  }

  step(dtMs: number): void {
    let remaining = Math.min(Math.max(dtMs, 0), MAX_STEP_MS);
    while (remaining > 0) {
      const dt = Math.min(remaining, MAX_SUBSTEP_MS);
      this.substep(dt);
      remaining -= dt;
    }
  }

  private substep(dtMs: number): void {
    const dt = dtMs / 1000;
    this.timeMs += dtMs;
    this.invulnerableMs = Math.max(0, this.invulnerableMs - dtMs);
    this.moveShip(dtMs);
    for (const hazard of this.hazards) this.moveHazard(hazard, dt);
    this.collectOrbs();
    this.checkHazardHits();
  }

  private moveShip(dtMs: number): void {
    const ship = this.ship;
    const controls = this.controls;
    const move = movementVector(controls);
    ship.angle = controls.padAim ?? ship.angle + controls.aimDelta;
    controls.aimDelta = 0;

    ship.dashCooldownMs = Math.max(0, ship.dashCooldownMs - dtMs);
    ship.dashMs = Math.max(0, ship.dashMs - dtMs);
    if (controls.dashQueued && ship.dashCooldownMs === 0) {
      // Dash where the player is steering; standing still, dash where the ship aims.
      const moving = move.x !== 0 || move.y !== 0;
      const dir = moving ? Math.atan2(move.y, move.x) : ship.angle;
      const speed = SHIP_DASH_SPEED * this.scale;
      ship.vx = Math.cos(dir) * speed;
      ship.vy = Math.sin(dir) * speed;
      ship.dashMs = DASH_MS;
      ship.dashCooldownMs = DASH_COOLDOWN_MS;
      this.happened.dashes++;
    }
    controls.dashQueued = false;

    if (ship.dashMs === 0) {
      const maxSpeed = SHIP_MAX_SPEED * this.scale;
      const blend = 1 - Math.exp((-SHIP_RESPONSE * dtMs) / 1000);
      ship.vx += (move.x * maxSpeed - ship.vx) * blend;
      ship.vy += (move.y * maxSpeed - ship.vy) * blend;
    }
    ship.x += (ship.vx * dtMs) / 1000;
    ship.y += (ship.vy * dtMs) / 1000;

    const { left, top, right, bottom } = this.arena;
    if (ship.x < left + ship.radius) [ship.x, ship.vx] = [left + ship.radius, 0];
    if (ship.x > right - ship.radius) [ship.x, ship.vx] = [right - ship.radius, 0];
    if (ship.y < top + ship.radius) [ship.y, ship.vy] = [top + ship.radius, 0];
    if (ship.y > bottom - ship.radius) [ship.y, ship.vy] = [bottom - ship.radius, 0];
  }

  private moveHazard(hazard: Hazard, dt: number): void {
    hazard.x += hazard.vx * dt;
    hazard.y += hazard.vy * dt;
    const { left, top, right, bottom } = this.arena;
    if (hazard.x < left + hazard.radius) [hazard.x, hazard.vx] = [left + hazard.radius, Math.abs(hazard.vx)];
    if (hazard.x > right - hazard.radius) [hazard.x, hazard.vx] = [right - hazard.radius, -Math.abs(hazard.vx)];
    if (hazard.y < top + hazard.radius) [hazard.y, hazard.vy] = [top + hazard.radius, Math.abs(hazard.vy)];
    if (hazard.y > bottom - hazard.radius) [hazard.y, hazard.vy] = [bottom - hazard.radius, -Math.abs(hazard.vy)];
  }

  private collectOrbs(): void {
    const ship = this.ship;
    for (let i = 0; i < this.orbs.length; i++) {
      const orb = this.orbs[i]!;
      if (Math.hypot(orb.x - ship.x, orb.y - ship.y) < orb.radius + ship.radius) {
        this.score += 1;
        this.happened.orbs++;
        this.best = Math.max(this.best, this.score);
        this.orbs[i] = this.spawnOrb();
        const wanted = Math.min(MAX_HAZARDS, BASE_HAZARDS + Math.floor(this.score / POINTS_PER_EXTRA_HAZARD));
        while (this.hazards.length < wanted) this.hazards.push(this.spawnHazard());
      }
    }
  }

  private checkHazardHits(): void {
    if (this.invulnerableMs > 0) return;
    const ship = this.ship;
    for (const hazard of this.hazards) {
      // A slightly forgiving hit box: grazes that look like misses should be misses.
      if (Math.hypot(hazard.x - ship.x, hazard.y - ship.y) < (hazard.radius + ship.radius) * 0.85) {
        this.lives -= 1;
        this.happened.hits++;
        this.invulnerableMs = INVULNERABLE_MS;
        if (this.lives === 0) this.restartRound();
        return;
      }
    }
  }

  private restartRound(): void {
    this.score = 0;
    this.lives = START_LIVES;
    this.hazards.length = 0;
    for (let i = 0; i < BASE_HAZARDS; i++) this.hazards.push(this.spawnHazard());
  }

  private randomPointAwayFromShip(margin: number): { x: number; y: number } {
    const { left, top, right, bottom } = this.arena;
    const clearance = SPAWN_CLEARANCE * this.scale;
    let point = { x: 0, y: 0 };
    // A bounded number of tries: in a tiny arena there may be no far-enough point, and any point will do.
    for (let attempt = 0; attempt < 16; attempt++) {
      point = {
        x: left + margin + this.random() * Math.max(0, right - left - 2 * margin),
        y: top + margin + this.random() * Math.max(0, bottom - top - 2 * margin),
      };
      if (Math.hypot(point.x - this.ship.x, point.y - this.ship.y) >= clearance) break;
    }
    return point;
  }

  private spawnOrb(): Orb {
    const radius = ORB_RADIUS * this.scale;
    const { x, y } = this.randomPointAwayFromShip(radius * 2);
    return { x, y, radius, phase: this.random() * Math.PI * 2 };
  }

  private spawnHazard(): Hazard {
    const radius = (HAZARD_MIN_RADIUS + this.random() * (HAZARD_MAX_RADIUS - HAZARD_MIN_RADIUS)) * this.scale;
    const { x, y } = this.randomPointAwayFromShip(radius);
    const speed = (HAZARD_MIN_SPEED + this.random() * (HAZARD_MAX_SPEED - HAZARD_MIN_SPEED)) * this.scale;
    const heading = this.random() * Math.PI * 2;
    return { x, y, vx: Math.cos(heading) * speed, vy: Math.sin(heading) * speed, radius };
  }
}
