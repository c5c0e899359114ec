// Counts occurrences of byte strings in a live process's memory: every readable mapping of /proc/PID/maps,
// read through /proc/PID/mem (root). Each needle is searched as UTF-8/Latin-1 bytes and as UTF-16LE, the two
// ways V8 stores strings.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

export interface Hits {
  utf8: number;
  utf16: number;
  /** Where the first few were: the mapping (pathname or [heap]/anonymous) and 48 bytes of context before. */
  where: string[];
}

/** Matches that start before `limit` (the next chunk, which overlaps, counts the rest). */
function count(hay: Buffer, needle: Buffer, limit: number): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0 && i < limit; i = hay.indexOf(needle, i + 1)) n++;
  return n;
}

export function scanProcess(pid: number, needles: Record<string, string>): { hits: Record<string, Hits>; bytes: number } {
  const forms = Object.entries(needles).map(([k, s]) => [k, Buffer.from(s, 'utf8'), Buffer.from(s, 'utf16le')] as const);
  const hits: Record<string, Hits> = Object.fromEntries(forms.map(([k]) => [k, { utf8: 0, utf16: 0, where: [] }]));
  let bytes = 0;
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  try {
    for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) (r)\S* \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (!m || m[4] === '[vvar]' || m[4] === '[vsyscall]' || m[4] === '[vvar_vclock]') continue;
      const start = parseInt(m[1]!, 16);
      const len = parseInt(m[2]!, 16) - start;
      // Read in 16 MiB chunks overlapping by 1 KiB (longer than any needle).
      for (let off = 0; off < len; off += 16 * 1024 * 1024 - 1024) {
        const size = Math.min(16 * 1024 * 1024, len - off);
        const buf = Buffer.alloc(size);
        let got = 0;
        try {
          got = readSync(fd, buf, 0, size, start + off);
        } catch {
          break; // unreadable (guard pages, I/O mappings)
        }
        const view = buf.subarray(0, got);
        const last = size === len - off;
        const limit = last ? got : got - 1024;
        bytes += last ? got : got - 1024;
        for (const [k, u8, u16] of forms) {
          const n = count(view, u8, limit);
          hits[k]!.utf8 += n;
          hits[k]!.utf16 += count(view, u16, limit);
          if (n > 0 && hits[k]!.where.length < 6) {
            const i = view.indexOf(u8);
            const before = view.subarray(Math.max(0, i - 48), i).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
            hits[k]!.where.push(`${m[4] || 'anon'}+0x${(off + i).toString(16)} …${before}`);
          }
        }
        buf.fill(0);
        if (last) break;
      }
    }
  } finally {
    closeSync(fd);
  }
  return { hits, bytes };
}
