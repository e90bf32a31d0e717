/**
 * Commands from the node (protocol/game-protocol.ts): one JSON line each on stdin, decoded with
 * the protocol's own parser. The commands of one read arrive together, so a game can bring its
 * simulation up to the moment they arrived once, then apply them in order.
 */
import type { Readable } from 'node:stream';
import { parseGameCommand, type GameCommand } from '../../protocol/game-protocol.js';

/** The node validates inputs already; this only bounds memory if it sends a line without newline. */
const MAX_COMMAND_BYTES = 64 * 1024;

export interface CommandHandlers {
  commands(batch: GameCommand[]): void;
  /** A line that is not a command; it is skipped. */
  malformed(line: string): void;
  /** stdin closed: the node is gone or wants the game to exit. */
  end(): void;
}

export class CommandReader {
  private partialLine = '';

  constructor(
    input: Readable,
    private readonly handlers: CommandHandlers,
  ) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.push(chunk));
    input.on('end', () => handlers.end());
  }

  private push(chunk: string): void {
    this.partialLine += chunk;
    const batch: GameCommand[] = [];
    let newline = this.partialLine.indexOf('\n');
    while (newline >= 0) {
      const line = this.partialLine.slice(0, newline);
      this.partialLine = this.partialLine.slice(newline + 1);
      newline = this.partialLine.indexOf('\n');
      if (line.trim() === '') continue;
      const command = parseGameCommand(line);
      if (command) batch.push(command);
      else this.handlers.malformed(line);
    }
    if (this.partialLine.length > MAX_COMMAND_BYTES) {
      this.handlers.malformed(this.partialLine.slice(0, 200));
      this.partialLine = '';
    }
    if (batch.length > 0) this.handlers.commands(batch);
  }
}
