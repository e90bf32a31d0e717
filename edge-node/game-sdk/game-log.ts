/**
 * A game's log goes to stderr, which the node collects line by line; stdout carries only frames
 * and sound, so a stray log line there would end the session.
 */
import { writeSync } from 'node:fs';

export type GameLog = (message: string) => void;

/**
 * Synchronous writes: process.stderr is asynchronous on pipes, and a line logged just before
 * process.exit() would be lost.
 */
export function gameLog(name: string): GameLog {
  return (message) => {
    try {
      writeSync(2, `[${name}] ${message}\n`);
    } catch {
      // Logging is best effort; a closed or full stderr must not stop the game.
    }
  };
}
