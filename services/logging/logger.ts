import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger, LoggerOptions };

/**
 * The control plane's root logger; each module logs through a child carrying its `component` name.
 * Given a logger (the one-machine launcher shares one across processes' parts), logs through it.
 */
export function createLogger(options: Logger | LoggerOptions = {}): Logger {
  return isLogger(options) ? options.child({ service: 'control-plane' }) : pino({ name: 'control-plane', level: 'info', ...options });
}

function isLogger(value: Logger | LoggerOptions): value is Logger {
  return typeof (value as Partial<Logger>).child === 'function';
}
