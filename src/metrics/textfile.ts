// Writes the metrics file for node_exporter's textfile collector: atomically (a temporary file in the same
// directory, then rename, so a scrape never sees half a file; the temporary name does not end in .prom, so
// the collector never reads it), at most once per interval however often the state changes, the last change
// always written.
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { systemClock, type Clock } from '../clock.js';

export class TextfileWriter {
  private lastWrite = -Infinity;
  /** Ends the wait for the next allowed write (set while it runs). */
  private timer: AbortController | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  readonly tmp: string;

  constructor(
    readonly path: string,
    private readonly render: () => string,
    private readonly opts: { clock?: Clock; minIntervalMs?: number; onError?: (e: unknown) => void } = {},
  ) {
    this.tmp = join(dirname(path), `.${basename(path)}.tmp`);
  }

  private get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  /** Something changed: write now, or once the interval since the last write has passed. */
  changed(): void {
    if (this.closed || this.timer !== undefined) return;
    const wait = this.lastWrite + (this.opts.minIntervalMs ?? 1000) - this.clock.now();
    if (wait <= 0) return void this.write();
    const timer = (this.timer = new AbortController());
    this.clock.sleep(wait, timer.signal).then(() => {
      this.timer = undefined;
      void this.write();
    }, () => undefined);
  }

  /** Resolves when the writes started so far are done. */
  idle(): Promise<void> {
    return this.writing;
  }

  /** Writes whatever is pending at once and stops; later changes are ignored. */
  async close(): Promise<void> {
    this.timer?.abort();
    this.timer = undefined;
    if (!this.closed) await this.write();
    this.closed = true;
    await this.writing;
  }

  /** Serialized: one write at a time, each with the text as it is when it starts. */
  private write(): Promise<void> {
    this.lastWrite = this.clock.now();
    this.writing = this.writing.then(async () => {
      try {
        await writeFile(this.tmp, this.render(), { mode: 0o644 });
        // cryptvm.service runs with UMask=0077: without this, node_exporter (user prometheus) could not read it.
        await chmod(this.tmp, 0o644);
        await rename(this.tmp, this.path);
      } catch (e) {
        await rm(this.tmp, { force: true }).catch(() => undefined);
        this.opts.onError?.(e);
      }
    });
    return this.writing;
  }
}
