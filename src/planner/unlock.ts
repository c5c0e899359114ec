// How many volumes may run their PBKDF at once. argon2id is memory-hard and uses `parallel` threads: running
// more unlocks than cores only adds contention, and running more than memory allows gets the OOM killer.

export interface UnlockCost {
  memoryKiB: number;
  threads: number;
}

export interface Machine {
  cores: number;
  /** MemAvailable from /proc/meminfo. */
  availableKiB: number;
}

/** Keep half of the available memory for everything else that boots at the same time. */
const MEMORY_SHARE = 0.5;

export function unlockConcurrency(costs: readonly UnlockCost[], machine: Machine, configured: number): number {
  if (costs.length === 0) return 1;
  const worstMem = Math.max(...costs.map((c) => c.memoryKiB), 1);
  const worstThreads = Math.max(...costs.map((c) => c.threads), 1);
  const byMemory = Math.floor((machine.availableKiB * MEMORY_SHARE) / worstMem);
  const byCores = Math.floor(Math.max(machine.cores, 1) / worstThreads);
  let n = Math.min(byMemory, Math.max(byCores, 1), costs.length);
  if (configured > 0) n = Math.min(n, configured);
  return Math.max(n, 1);
}
