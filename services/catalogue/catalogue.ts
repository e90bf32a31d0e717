/** The games players can launch: the built-in demo, and the studios' games on their stable channel. */
import { AppError } from '../../protocol/errors.js';
import type { Game } from '../../protocol/http.js';

export const DEMO_GAME: Game = {
  id: 'demo-arena',
  title: 'Neon Arena',
  description: 'A fast top-down arena: steer your ship with keyboard, mouse or gamepad and collect the glowing orbs.',
  // sha256('edgeplay-demo-arena-v1'): the demo ships with every edge node rather than as an uploaded archive.
  buildId: '49321ec45565d52583c97b742c34c08b249e09ecc6e38c7c99ef3908f2c2ddea',
  manifest: {
    runtime: 'node',
    entry: 'edge-node/demo-game/main.ts',
    width: 1280,
    height: 720,
    fps: 60,
    inputs: ['keyboard', 'mouse', 'gamepad'],
  },
};

export class Catalogue {
  readonly #builtIn: readonly Game[];
  #games: ReadonlyMap<string, Game>;

  constructor(games: readonly Game[] = [DEMO_GAME]) {
    this.#builtIn = games;
    this.#games = new Map(games.map((game) => [game.id, game]));
  }

  /** The built-in games' ids: no studio may publish under them. */
  get builtInIds(): string[] {
    return this.#builtIn.map((game) => game.id);
  }

  /** Replaces the studios' games (services/catalogue/published-games.ts); built-in ones stay. */
  setPublished(games: readonly Game[]): void {
    this.#games = new Map([...this.#builtIn, ...games.filter((game) => !this.builtInIds.includes(game.id))].map((game) => [game.id, game]));
  }

  list(): Game[] {
    return [...this.#games.values()];
  }

  /** Throws GAME_NOT_FOUND for an unknown id. */
  get(gameId: string): Game {
    const game = this.#games.get(gameId);
    if (game === undefined) throw new AppError('GAME_NOT_FOUND', `There is no game with id "${gameId}".`);
    return game;
  }
}
