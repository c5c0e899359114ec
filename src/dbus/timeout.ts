// dbus-next has no per-call timeouts: a call to a hung peer waits forever. Every bus call goes through this.
import { CryptvmError } from '../errors.js';

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CryptvmError('Timeout', `${what} did not answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
