// Waiting for the network at boot: a bounded, backed-off retry per source and volume (never global, so a
// volume that needs no network is never delayed by one that does).

/** On the clock read by now: delays 0.5 s, 1 s, 2 s, 4 s, 5 s, 5 s, … each cut to the time left before the deadline. */
export class Backoff {
  private next: number;

  constructor(
    private readonly deadline: number,
    initialMs = 500,
    private readonly maxMs = 5000,
    private readonly now: () => number,
  ) {
    this.next = initialMs;
  }

  remaining(): number {
    return Math.max(0, Math.round(this.deadline - this.now()));
  }

  /** The delay before the next try; 0 when the deadline has passed (stop). */
  delay(): number {
    const d = Math.min(this.next, this.remaining());
    this.next = Math.min(this.next * 2, this.maxMs);
    return d;
  }
}
