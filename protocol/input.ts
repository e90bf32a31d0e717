/**
 * Input events the player's page sends over the mediasoup data channel, and the edge node
 * forwards (after validation) to the game process. One JSON object per message.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** Sequence numbers let the game stamp frames with the last input it applied (latency strip). */
const Seq = Type.Integer({ minimum: 0, maximum: 0xffffff });

export const KeyEvent = Type.Object(
  {
    t: Type.Literal('key'),
    seq: Seq,
    /** KeyboardEvent.code, e.g. "KeyW", "ArrowLeft". */
    code: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9]+$' }),
    down: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const MouseMoveEvent = Type.Object(
  {
    t: Type.Literal('mmove'),
    seq: Seq,
    /** Relative motion in CSS pixels (pointer lock). */
    dx: Type.Number({ minimum: -4096, maximum: 4096 }),
    dy: Type.Number({ minimum: -4096, maximum: 4096 }),
  },
  { additionalProperties: false },
);

export const MouseButtonEvent = Type.Object(
  {
    t: Type.Literal('mbtn'),
    seq: Seq,
    button: Type.Integer({ minimum: 0, maximum: 4 }),
    down: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const WheelEvent = Type.Object(
  { t: Type.Literal('wheel'), seq: Seq, dy: Type.Number({ minimum: -10000, maximum: 10000 }) },
  { additionalProperties: false },
);

export const GamepadEvent = Type.Object(
  {
    t: Type.Literal('pad'),
    seq: Seq,
    index: Type.Integer({ minimum: 0, maximum: 3 }),
    axes: Type.Array(Type.Number({ minimum: -1, maximum: 1 }), { maxItems: 8 }),
    buttons: Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { maxItems: 20 }),
  },
  { additionalProperties: false },
);

export const InputEvent = Type.Union([KeyEvent, MouseMoveEvent, MouseButtonEvent, WheelEvent, GamepadEvent]);
export type InputEvent = Static<typeof InputEvent>;
export type KeyEvent = Static<typeof KeyEvent>;
export type MouseMoveEvent = Static<typeof MouseMoveEvent>;
export type MouseButtonEvent = Static<typeof MouseButtonEvent>;
export type WheelEvent = Static<typeof WheelEvent>;
export type GamepadEvent = Static<typeof GamepadEvent>;

export const inputEventChecker = TypeCompiler.Compile(InputEvent);

/** The data channel's label and the largest message the node accepts (bytes). */
export const INPUT_CHANNEL_LABEL = 'input';
export const MAX_INPUT_MESSAGE_BYTES = 512;
