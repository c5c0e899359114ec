// Where a child prints a secret (RunOptions.binaryStdout of the ProcessRunner in exec.ts): a channel whose
// bytes never pass through Node's own pipe buffers.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copySecret, secretBuffer } from '../secret.js';
import { SpawnError } from './spawn-error.js';

/** What libuv reads into at a time from a secretOutput. */
const SECRET_READ_BYTES = 64 * 1024;

/**
 * Where a child prints a secret (binaryStdout): one end of a connected pair of local stream sockets instead of
 * Node's stdout pipe. Node reads a pipe into a 64 KiB buffer of its own, copies what came into the chunk it
 * hands out and frees that buffer without zeroing it, so every secret read that way stays in freed memory
 * until something happens to overwrite it. Our end is made with `onread`: libuv reads straight into a
 * secretBuffer of ours, each read is copied into a secretBuffer chunk for `onChunk` (which owns it) and the
 * read buffer is zeroed at once and again at close(). The pair comes from a listening socket in a fresh
 * mkdtemp directory (mode 0700, so nobody else can connect; inside the service's runtime directory, or a
 * sticky /tmp, where nobody else can rename it), which is gone once the two ends are connected.
 */
export async function secretOutput(command: string, onChunk: (chunk: Buffer) => void): Promise<{ childEnd: Socket; reader: Socket; close(): void }> {
  // The service's own runtime directory (root's alone), else the temporary directory (the unit's is private).
  const base = process.env.RUNTIME_DIRECTORY?.split(':')[0] || tmpdir();
  let dir: string;
  try {
    dir = await mkdtemp(join(base, 'cryptvm-out-'));
  } catch (cause) {
    throw new SpawnError(`cannot run ${command}: no private directory for its output in ${base}`, command, 'failed', { cause });
  }
  const path = join(dir, 'stdout');
  const server = createServer({ pauseOnConnect: true }); // its end is the child's: never read here
  const buffer = secretBuffer(SECRET_READ_BYTES);
  let reader: Socket | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    reader = connect({
      path,
      onread: {
        buffer,
        callback: (n: number, buf: Uint8Array): boolean => {
          onChunk(copySecret(buf, 0, n));
          buf.fill(0, 0, n);
          return true;
        },
      },
    });
    const [[childEnd]] = await Promise.all([accepted, once(reader, 'connect')]);
    reader.on('error', () => undefined); // the end of the output is all that matters: 'close' follows
    const r = reader;
    return {
      childEnd,
      reader: r,
      close: () => {
        r.destroy();
        buffer.fill(0);
      },
    };
  } catch (cause) {
    reader?.destroy();
    buffer.fill(0);
    throw new SpawnError(`cannot run ${command}: no private channel for its output: ${(cause as Error).message}`, command, 'failed', { cause });
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined); // an empty directory at worst
  }
}
