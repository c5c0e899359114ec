// Reads a passphrase from the terminal with echo off (raw mode), byte by byte into a Buffer: never a string,
// so it can be wiped. Ctrl-C / Ctrl-D on an empty line abort (null): the caller then leaves the daemon's
// request pending instead of answering or cancelling it.
import { CryptvmError } from '../errors.js';
import { copySecret, secretBuffer, wipe } from '../secret.js';
import type { Input, Output } from './context.js';

const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_U = 0x15;
const BACKSPACE = [0x7f, 0x08];
const ENTER = [0x0d, 0x0a];
const ESC = 0x1b;

export function readPassphrase(input: Input, output: Output, prompt: string): Promise<Buffer | null> {
  if (!input.isTTY || !input.setRawMode) {
    return Promise.reject(
      new CryptvmError('InvalidArgs', 'cryptvm unlock reads the passphrase from a terminal; without one, answer with systemd-tty-ask-password-agent --query'),
    );
  }
  output.write(`${prompt} `);
  input.setRawMode(true);
  input.resume();
  let buf = secretBuffer(128);
  let len = 0;

  return new Promise((resolve) => {
    const finish = (ok: boolean) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      const out = ok ? copySecret(buf, 0, len) : null;
      wipe(buf);
      resolve(out);
    };
    const onData = (chunk: Buffer) => {
      try {
        for (const b of chunk) {
          if (b === CTRL_C || (b === CTRL_D && len === 0)) return finish(false);
          if (ENTER.includes(b)) return finish(true);
          if (BACKSPACE.includes(b)) {
            while (len > 0 && (buf[len - 1]! & 0xc0) === 0x80) len--; // UTF-8 continuation bytes
            if (len > 0) len--;
          } else if (b === CTRL_U) {
            len = 0;
          } else if (b === ESC) {
            break; // arrow keys and other escape sequences arrive as one chunk: drop the rest
          } else if (b >= 0x20) {
            if (len === buf.length) {
              const bigger = secretBuffer(buf.length * 2);
              buf.copy(bigger);
              wipe(buf);
              buf = bigger;
            }
            buf[len++] = b;
          }
        }
      } finally {
        if (Buffer.isBuffer(chunk)) wipe(chunk);
      }
    };
    input.on('data', onData);
  });
}

/** systemd's password agents take at most this much (ask-password's LINE_MAX-sized reads); cryptsetup 512. */
export const MAX_STDIN_PASSPHRASE = 4096;

/**
 * `cryptvm unlock --stdin`: the whole of stdin into one Buffer, exactly one trailing "\n" dropped (what
 * `echo` and a here-string add), every chunk wiped. Empty, or longer than MAX_STDIN_PASSPHRASE: an error.
 */
export function readStdinPassphrase(input: Input): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const buf = secretBuffer(MAX_STDIN_PASSPHRASE + 1);
    let len = 0;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      if (!err && len > 0 && buf[len - 1] === 0x0a) len--;
      if (!err && len === 0) err = new CryptvmError('InvalidArgs', 'cryptvm unlock --stdin: standard input is empty — pipe the passphrase in, e.g. `cryptvm unlock --stdin VOLUME < FILE`');
      const out = err ? undefined : copySecret(buf, 0, len);
      wipe(buf);
      if (out) resolve(out);
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      try {
        if (len + chunk.length > buf.length) {
          return finish(new CryptvmError('InvalidArgs', `cryptvm unlock --stdin: the passphrase is longer than ${MAX_STDIN_PASSPHRASE} bytes — is this a key file? Configure it as keyfile: in cryptvm.toml instead`));
        }
        chunk.copy(buf, len);
        len += chunk.length;
      } finally {
        if (Buffer.isBuffer(chunk)) wipe(chunk);
      }
    };
    const onEnd = () => finish();
    const onError = (e: Error) => finish(new CryptvmError('InvalidArgs', `cryptvm unlock --stdin: cannot read standard input: ${e.message}`, { cause: e }));
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}
