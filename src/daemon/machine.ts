// Cores and available memory, for bounding concurrent PBKDF runs.
import { availableParallelism, freemem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Machine } from '../planner/unlock.js';

export function readMachine(meminfo = '/proc/meminfo'): Machine {
  let availableKiB = Math.floor(freemem() / 1024);
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync(meminfo, 'utf8'));
    if (m?.[1]) availableKiB = Number(m[1]);
  } catch {
    // freemem() is close enough when /proc is not there
  }
  return { cores: availableParallelism(), availableKiB };
}
