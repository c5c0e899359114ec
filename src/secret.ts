// Secrets live in Buffers and are zeroed after use. Never convert one to a string.

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
