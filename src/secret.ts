// Secrets live in Buffers and are zeroed after use. Never convert one to a string.
//
// Every Buffer that will hold secret bytes is made here, never with Buffer.alloc/allocUnsafe/from/concat.
// Buffer.alloc(n) with n ≤ 64 (every typical passphrase) is a typed array whose bytes live INSIDE V8's heap:
// the garbage collector moves it (the old bytes stay where they were), and the first time anything needs its
// ArrayBuffer — a partial Buffer.copy, a write to a child's stdin, any native call — V8 moves the bytes out of
// the heap, again leaving the old copy behind. wipe() only reaches the current place, so such a Buffer leaves
// one copy per move. A Buffer over its own `new ArrayBuffer(n)` has memory outside the heap from the start:
// never moved, never shared with other Buffers (Buffer's 8 KiB pool), and wipe() zeroes the only copy.

/** A zeroed Buffer of `size` bytes for a secret: its own memory outside V8's heap (see above). */
export function secretBuffer(size: number): Buffer {
  return Buffer.from(new ArrayBuffer(size));
}

/**
 * `src[start, end)` into a new secretBuffer. Byte by byte on purpose: Buffer.copy and subarray of a range
 * ask for the source's ArrayBuffer, which moves an in-heap source and leaves its bytes behind.
 */
export function copySecret(src: Uint8Array, start = 0, end = src.length): Buffer {
  const out = secretBuffer(Math.max(0, end - start));
  for (let i = 0; i < out.length; i++) out[i] = src[start + i]!;
  return out;
}

/** Zero a secret buffer in place. */
export function wipe(buf: Buffer | undefined): void {
  buf?.fill(0);
}

/** Run fn with the secret and zero it afterwards, whatever happens. */
export async function withSecret<T>(secret: Buffer, fn: (s: Buffer) => Promise<T>): Promise<T> {
  try {
    return await fn(secret);
  } finally {
    wipe(secret);
  }
}
