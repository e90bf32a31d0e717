/** What one game may use. A game that breaks a limit (not the CPU share, which only throttles) is stopped. */
export interface SandboxLimits {
  memoryBytes: number;
  /** Processes and threads together (a fork bomb meets this). */
  maxProcesses: number;
  /** CPU time per wall-clock second, in cores (a throttle). */
  cpuCores: number;
  /** The game's private writable scratch directory. */
  scratchBytes: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  memoryBytes: 2 * 1024 ** 3,
  maxProcesses: 256,
  cpuCores: 2,
  scratchBytes: 256 * 1024 ** 2,
};

/** The limit a game broke, as the catalogued code the player sees. */
export type LimitBreach = 'GAME_MEMORY_LIMIT' | 'GAME_PROCESS_LIMIT' | 'GAME_DISK_LIMIT';
