/**
 * User ids for sandboxed games, one per running game: its files, its processes (RLIMIT_NPROC
 * counts per user) and its signals are its own, and no game shares an id with the node. Each
 * node process draws from a block of its own, so nodes sharing a machine do not collide.
 */
const FIRST_UID = 200_000;
const BLOCK = 256;
const BLOCKS = 4096;

const base = FIRST_UID + (process.pid % BLOCKS) * BLOCK;
const inUse = new Set<number>();

export const SessionUsers = {
  take(): number {
    for (let uid = base; uid < base + BLOCK; uid++) {
      if (!inUse.has(uid)) {
        inUse.add(uid);
        return uid;
      }
    }
    throw new Error('every sandbox user id of this node is in use');
  },
  give(uid: number): void {
    inUse.delete(uid);
  },
};
