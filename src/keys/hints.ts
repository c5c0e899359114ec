// Keyslot hints: which LUKS keyslot each (volume, key source) opened last time. A key in slot k otherwise
// costs k PBKDF runs (cryptsetup tries the slots in order); with the hint, `--key-slot k` costs one.
// The file holds volume names, source labels and slot numbers — never a key, never a hash of one.
// It lives in the state directory (0700, ours), is 0600 and is replaced atomically (tmp + fsync + rename),
// so a crash leaves the old or the new file, never half of one. A missing or damaged file only costs speed.
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';

export const HINTS_FILE = 'keyslot-hints.json';
/** LUKS2 has at most 32 keyslots (LUKS1: 8). */
const MAX_SLOT = 31;

type Table = Record<string, Record<string, number>>;

export class KeyslotHints {
  private table: Table = {};
  private writing: Promise<void> = Promise.resolve();
  readonly path: string;

  constructor(private readonly stateDir: string, private readonly log?: Logger) {
    this.path = join(stateDir, HINTS_FILE);
  }

  /** Reads the file once at start; anything unreadable or malformed is ignored (and logged at debug). */
  async load(): Promise<void> {
    let raw: string;
    try {
      raw = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log?.debug({ path: this.path, err: e }, 'keyslot hints not readable, starting without');
      return;
    }
    try {
      this.table = sanitize((JSON.parse(raw) as { hints?: unknown }).hints);
    } catch {
      this.log?.debug({ path: this.path }, 'keyslot hints file is damaged, starting without');
    }
  }

  get(volume: string, source: string): number | undefined {
    return this.table[volume]?.[source];
  }

  /** Remembers the slot; writes only when it changed. Serialized: concurrent unlocks never interleave writes. */
  async set(volume: string, source: string, slot: number | undefined): Promise<void> {
    if (slot !== undefined && !validSlot(slot)) return;
    if (this.get(volume, source) === slot) return;
    const forVolume = { ...this.table[volume] };
    if (slot === undefined) delete forVolume[source];
    else forVolume[source] = slot;
    this.table = { ...this.table, [volume]: forVolume };
    const snapshot = JSON.stringify({ version: 1, hints: this.table }, null, 2) + '\n';
    const next = this.writing.then(() => this.write(snapshot));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(text: string): Promise<void> {
    await ensurePrivateDir(this.stateDir);
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.chmod(0o600); // the umask must not widen it, and a leftover tmp file must not keep its mode
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}

/**
 * Creates the state directory 0700; refuses one owned by another user or open to group/other (never silently
 * tightened: whoever loosened it should know, and the configuration check says the same at load).
 */
async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await stat(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`state directory ${dir} is owned by uid ${st.uid}, not ${uid}: run 'chown root:root ${dir}'`);
  if ((st.mode & 0o077) !== 0) throw new Error(`state directory ${dir} has mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}: group/other can access it: run 'chmod 0700 ${dir}'`);
}

const validSlot = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_SLOT;

function sanitize(hints: unknown): Table {
  const out: Table = {};
  if (typeof hints !== 'object' || hints === null) return out;
  for (const [volume, bySource] of Object.entries(hints)) {
    if (typeof bySource !== 'object' || bySource === null) continue;
    for (const [source, slot] of Object.entries(bySource)) if (validSlot(slot)) (out[volume] ??= {})[source] = slot;
  }
  return out;
}

export interface SlotResult {
  result: 'opened' | 'ok' | 'bad-passphrase';
  /** The slot that matched, when cryptsetup said so (-v: "Key slot N unlocked."). */
  keySlot?: number;
}

export interface HintedResult {
  result: 'ok' | 'bad-passphrase';
  keySlot: number | undefined;
  /** The hinted slot was tried first. */
  hinted: boolean;
  /** The hint was wrong (or unusable) and all slots were tried. */
  fellBack: boolean;
}

/**
 * Tries the key on the slot the source says it is bound to (`bound`, e.g. a clevis binding's slot), else on
 * the remembered slot, first (`--key-slot N`); if that slot does not take it — wrong
 * passphrase for it, or the slot is gone (cryptsetup exits 1) — tries all slots, and records the slot that
 * matched. A key that fits no slot leaves the hint alone (it may well be right for the right key).
 * Failing to write the hint is logged, never fatal: it only costs speed next time.
 */
export async function tryWithHint(
  hints: KeyslotHints,
  volume: string,
  source: string,
  attempt: (keySlot?: number) => Promise<SlotResult>,
  log?: Logger,
  bound?: number,
): Promise<HintedResult> {
  const hint = bound !== undefined && validSlot(bound) ? bound : hints.get(volume, source);
  let fellBack = false;
  if (hint !== undefined) {
    try {
      const r = await attempt(hint);
      if (r.result !== 'bad-passphrase') {
        await remember(hints, volume, source, r.keySlot ?? hint, log);
        return { result: 'ok', keySlot: r.keySlot ?? hint, hinted: true, fellBack };
      }
    } catch (e) {
      log?.debug({ volume, source, keySlot: hint, err: e }, 'remembered keyslot not usable, trying all slots');
    }
    fellBack = true;
  }
  const r = await attempt(undefined);
  if (r.result === 'bad-passphrase') return { result: 'bad-passphrase', keySlot: undefined, hinted: hint !== undefined, fellBack };
  await remember(hints, volume, source, r.keySlot, log);
  return { result: 'ok', keySlot: r.keySlot, hinted: hint !== undefined, fellBack };
}

async function remember(hints: KeyslotHints, volume: string, source: string, slot: number | undefined, log?: Logger): Promise<void> {
  try {
    await hints.set(volume, source, slot);
  } catch (e) {
    log?.warn({ volume, source, path: hints.path, err: e }, 'cannot save the keyslot hint (next unlock may be slower)');
  }
}
