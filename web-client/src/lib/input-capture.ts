/**
 * Captures keyboard, mouse (pointer lock, relative motion), wheel, gamepads and touch (as a
 * virtual gamepad: virtual-pad.ts) on an element and turns them into numbered InputEvents. Each
 * input's own time (the DOM event's timeStamp: when the browser got it, before any handler ran)
 * is kept by sequence number so the latency meter can match it with the frame that shows it.
 */
import type { InputEvent } from '../../../protocol/input.js';
import { REMEMBERED_INPUTS } from './input-latency.js';
import { VIRTUAL_PAD_INDEX, VirtualPad } from './virtual-pad.js';

type Sender = (event: InputEvent) => boolean;
type Payload = InputEvent extends infer E ? (E extends InputEvent ? Omit<E, 'seq'> : never) : never;

export class InputCapture {
  private seq = 0;
  /** Sequence number to the input's time (performance.now() clock). */
  readonly inputAt = new Map<number, number>();
  private readonly pressed = new Set<string>();
  private readonly padState = new Map<number, string>();
  private readonly touchPad = new VirtualPad();
  /** What the game last heard from the touch pad: at rest until a thumb moves. */
  private touchPadState = JSON.stringify(this.touchPad.state());
  private padTimer: number | undefined;
  private readonly teardown: (() => void)[] = [];

  constructor(
    private readonly surface: HTMLElement,
    private readonly sendEvent: Sender,
  ) {}

  start(): void {
    const on = <K extends keyof DocumentEventMap>(target: Document | HTMLElement, type: K, handler: (e: DocumentEventMap[K]) => void): void => {
      target.addEventListener(type, handler as EventListener);
      this.teardown.push(() => target.removeEventListener(type, handler as EventListener));
    };
    on(this.surface, 'click', (e) => {
      // Pointer lock is for mice; a tap only focuses.
      if ((e as PointerEvent).pointerType !== 'touch' && document.pointerLockElement !== this.surface) void this.surface.requestPointerLock?.();
      this.surface.focus();
    });
    on(this.surface, 'pointerdown', (e) => {
      if (e.pointerType !== 'touch') return;
      e.preventDefault();
      this.surface.setPointerCapture?.(e.pointerId);
      // Only where a thumb lands needs the layout; it steers by how far it moves from there.
      const box = this.surface.getBoundingClientRect();
      this.touchPad.down(e.pointerId, e.clientX, e.clientY, box.left + box.width / 2);
      this.sendTouchPad(e.timeStamp);
    });
    on(this.surface, 'pointermove', (e) => {
      if (e.pointerType !== 'touch') return;
      this.touchPad.move(e.pointerId, e.clientX, e.clientY);
      this.sendTouchPad(e.timeStamp);
    });
    for (const type of ['pointerup', 'pointercancel'] as const) {
      on(this.surface, type, (e) => {
        if (e.pointerType !== 'touch') return;
        this.touchPad.up(e.pointerId);
        this.sendTouchPad(e.timeStamp);
      });
    }
    on(document, 'keydown', (e) => {
      if (!this.captures() || e.code === 'Escape') return;
      e.preventDefault();
      if (e.repeat || this.pressed.has(e.code)) return;
      this.pressed.add(e.code);
      this.send({ t: 'key', code: e.code, down: true }, e.timeStamp);
    });
    on(document, 'keyup', (e) => {
      if (!this.pressed.delete(e.code)) return;
      e.preventDefault();
      this.send({ t: 'key', code: e.code, down: false }, e.timeStamp);
    });
    on(document, 'mousemove', (e) => {
      if (document.pointerLockElement !== this.surface || (e.movementX === 0 && e.movementY === 0)) return;
      this.send({ t: 'mmove', dx: clamp(e.movementX, 4096), dy: clamp(e.movementY, 4096) }, e.timeStamp);
    });
    on(document, 'mousedown', (e) => {
      if (document.pointerLockElement === this.surface && e.button <= 4) this.send({ t: 'mbtn', button: e.button, down: true }, e.timeStamp);
    });
    on(document, 'mouseup', (e) => {
      if (document.pointerLockElement === this.surface && e.button <= 4) this.send({ t: 'mbtn', button: e.button, down: false }, e.timeStamp);
    });
    on(document, 'wheel', (e) => {
      if (document.pointerLockElement === this.surface) this.send({ t: 'wheel', dy: clamp(e.deltaY, 10000) }, e.timeStamp);
    });
    // Releasing keys when focus leaves avoids a ship that keeps flying after alt-tab.
    const blur = (): void => this.releaseAll();
    window.addEventListener('blur', blur);
    this.teardown.push(() => window.removeEventListener('blur', blur));
    this.padTimer = window.setInterval(() => this.pollGamepads(), 8);
  }

  stop(): void {
    this.releaseAll();
    for (const undo of this.teardown.splice(0)) undo();
    window.clearInterval(this.padTimer);
    if (document.pointerLockElement === this.surface) document.exitPointerLock();
  }

  get lastSeq(): number {
    return this.seq;
  }

  private captures(): boolean {
    return document.pointerLockElement === this.surface || document.activeElement === this.surface;
  }

  private releaseAll(): void {
    const now = performance.now();
    for (const code of this.pressed) this.send({ t: 'key', code, down: false }, now);
    this.pressed.clear();
    if (this.touchPad.active) {
      this.touchPad.releaseAll();
      this.sendTouchPad(now);
    }
  }

  /** Sends the virtual pad's state when it changed, as pollGamepads does for physical ones. */
  private sendTouchPad(at: number): void {
    const state = this.touchPad.state();
    const key = JSON.stringify(state);
    if (this.touchPadState === key) return;
    this.touchPadState = key;
    this.send({ t: 'pad', index: VIRTUAL_PAD_INDEX, ...state }, at);
  }

  private pollGamepads(): void {
    for (const pad of navigator.getGamepads?.() ?? []) {
      if (!pad || pad.index > 3) continue;
      const axes = pad.axes.slice(0, 8).map((a) => Math.round(Math.max(-1, Math.min(1, a)) * 100) / 100);
      const buttons = pad.buttons.slice(0, 20).map((b) => Math.round(b.value * 100) / 100);
      const key = JSON.stringify([axes, buttons]);
      if (this.padState.get(pad.index) === key) continue;
      this.padState.set(pad.index, key);
      // Gamepads have no events: the pad's own timestamp says when its state last changed.
      this.send({ t: 'pad', index: pad.index, axes, buttons }, pad.timestamp);
    }
  }

  /** `at`: when the browser got the input (an event's timeStamp), on the performance.now() clock. */
  private send(payload: Payload, at: number): void {
    const seq = (this.seq + 1) & 0xffffff;
    const event = { ...payload, seq } as InputEvent;
    if (!this.sendEvent(event)) return;
    this.seq = seq;
    this.inputAt.set(seq, at);
    if (this.inputAt.size > REMEMBERED_INPUTS) this.inputAt.delete(this.inputAt.keys().next().value as number);
  }
}

function clamp(value: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, value));
}
