// A counting semaphore: bounds concurrent PBKDF runs and concurrent guest shutdowns.
export class Semaphore {
  private waiters: Array<() => void> = [];
  private aloneWaiters: Array<() => void> = [];
  private alone = false;
  private active = 0;

  constructor(private limit: number) {}

  setLimit(limit: number): void {
    this.limit = Math.max(1, limit);
    this.drain();
  }

  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit || this.alone || this.aloneWaiters.length > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.drain();
    }
  }

  /** Runs fn with nothing else holding the semaphore (after the running holders finish; new ones wait). */
  async useAlone<T>(fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      this.aloneWaiters.push(resolve);
      this.drain();
    });
    try {
      return await fn();
    } finally {
      this.alone = false;
      this.active--;
      this.drain();
    }
  }

  private drain(): void {
    if (this.alone) return;
    if (this.aloneWaiters.length > 0) {
      if (this.active > 0) return; // let the running holders finish; admit nobody new meanwhile
      this.alone = true;
      this.active++;
      this.aloneWaiters.shift()?.();
      return;
    }
    while (this.active < this.limit && this.waiters.length > 0) {
      this.active++;
      this.waiters.shift()?.();
    }
  }
}
