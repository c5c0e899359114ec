// LUKS header metadata, reduced to what the daemon needs: keyslots with their PBKDF cost (to bound parallel
// unlocks) and tokens (to know which slots a TPM2/FIDO2/clevis token can open).
// LUKS2 comes from `luksDump --dump-json-metadata`. LUKS1 has no JSON dump: we parse the text dump instead
// (a degraded answer: pbkdf2 slots only, no tokens, which is all LUKS1 can hold anyway).

export type PbkdfType = 'argon2id' | 'argon2i' | 'pbkdf2';

export interface Keyslot {
  id: number;
  /** 'luks2' for an ordinary slot ('luks1' for LUKS1 headers). */
  type: string;
  /** LUKS2 priority: 'ignore' slots are skipped unless named, 'prefer' slots are tried first. */
  priority: 'ignore' | 'normal' | 'prefer';
  pbkdf: { type: PbkdfType; memoryKiB?: number; iterations?: number; parallel?: number };
}

export interface Token {
  id: number;
  type: string;
  keyslots: number[];
}

export interface LuksMetadata {
  version: 1 | 2;
  keyslots: Keyslot[];
  tokens: Token[];
}

const PRIORITY = { 0: 'ignore', 1: 'normal', 2: 'prefer' } as const;
type Json = Record<string, unknown>;

function asObject(v: unknown, what: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`LUKS2 metadata: ${what} is not an object`);
  return v as Json;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

export function parseLuks2Json(text: string): LuksMetadata {
  const root = asObject(JSON.parse(text), 'the document');
  const keyslots = Object.entries(asObject(root.keyslots ?? {}, 'keyslots')).map(([id, v]): Keyslot => {
    const slot = asObject(v, `keyslot ${id}`);
    const kdf = asObject(slot.kdf ?? {}, `keyslot ${id} kdf`);
    const type = String(kdf.type) as PbkdfType;
    if (!['argon2id', 'argon2i', 'pbkdf2'].includes(type)) throw new Error(`LUKS2 metadata: keyslot ${id} has unknown kdf ${type}`);
    const pbkdf: Keyslot['pbkdf'] =
      type === 'pbkdf2'
        ? { type, iterations: num(kdf.iterations) }
        : { type, memoryKiB: num(kdf.memory), iterations: num(kdf.time), parallel: num(kdf.cpus) };
    const prio = num(slot.priority);
    return { id: Number(id), type: String(slot.type), priority: PRIORITY[(prio ?? 1) as 0 | 1 | 2] ?? 'normal', pbkdf };
  });
  const tokens = Object.entries(asObject(root.tokens ?? {}, 'tokens')).map(([id, v]): Token => {
    const tok = asObject(v, `token ${id}`);
    const slots = Array.isArray(tok.keyslots) ? tok.keyslots.map((s) => Number(s)) : [];
    return { id: Number(id), type: String(tok.type), keyslots: slots };
  });
  keyslots.sort((a, b) => a.id - b.id);
  tokens.sort((a, b) => a.id - b.id);
  return { version: 2, keyslots, tokens };
}

/** Text `luksDump` of a LUKS1 header: "Key Slot N: ENABLED" followed by an "Iterations:" line. */
export function parseLuks1Dump(text: string): LuksMetadata {
  const keyslots: Keyslot[] = [];
  let current: Keyslot | undefined;
  for (const line of text.split('\n')) {
    const slot = /^Key Slot (\d+): (ENABLED|DISABLED)/.exec(line);
    if (slot) {
      current = slot[2] === 'ENABLED' ? { id: Number(slot[1]), type: 'luks1', priority: 'normal', pbkdf: { type: 'pbkdf2' } } : undefined;
      if (current) keyslots.push(current);
      continue;
    }
    const it = /^\s+Iterations:\s+(\d+)/.exec(line);
    if (it && current) current.pbkdf.iterations = Number(it[1]);
  }
  return { version: 1, keyslots, tokens: [] };
}

/** pbkdf2 needs next to no memory; count it as 1 MiB so a budget still sees it. */
const PBKDF2_MEMORY_KIB = 1024;

/**
 * What one unlock attempt of this volume may cost at worst: the most memory-hungry keyslot's argon2 memory
 * and the most parallel keyslot's threads. The daemon bounds concurrent unlocks with it.
 */
export function unlockCost(meta: Pick<LuksMetadata, 'keyslots'>): { memoryKiB: number; threads: number } {
  let memoryKiB = PBKDF2_MEMORY_KIB;
  let threads = 1;
  for (const { pbkdf } of meta.keyslots) {
    if (pbkdf.type === 'pbkdf2') continue;
    memoryKiB = Math.max(memoryKiB, pbkdf.memoryKiB ?? 0);
    threads = Math.max(threads, pbkdf.parallel ?? 1);
  }
  return { memoryKiB, threads };
}
