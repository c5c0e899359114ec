// `cryptvm unlock --stdin`: what reaches the daemon is stdin minus exactly one trailing newline, byte-exact;
// empty and oversized input are refused with one clear error; the reading buffers are wiped.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_STDIN_PASSPHRASE, readStdinPassphrase } from '../../../src/cli/passphrase.js';

function feed(...chunks: (string | Buffer)[]): { input: PassThrough; sent: Buffer[] } {
  const input = new PassThrough();
  const sent = chunks.map((c) => Buffer.from(c));
  for (const c of sent) input.write(c);
  input.end();
  return { input, sent };
}

describe('readStdinPassphrase', () => {
  it.each([
    ['one newline dropped', ['secret\n'], 'secret'],
    ['only one of two newlines dropped', ['secret\n\n'], 'secret\n'],
    ['no newline: taken as is', ['sec ret '], 'sec ret '],
    ['CR kept (only \\n is a line end)', ['secret\r\n'], 'secret\r'],
    ['split across chunks, multi-byte UTF-8 intact', ['pä', 'ss\n'], 'päss'],
  ])('%s', async (_name, chunks, want) => {
    const got = await readStdinPassphrase(feed(...chunks).input);
    expect(got.toString('utf8')).toBe(want);
  });

  it('wipes every chunk it read', async () => {
    const { input, sent } = feed('abc', 'def\n');
    expect((await readStdinPassphrase(input)).toString()).toBe('abcdef');
    // PassThrough hands the written Buffers through as they are: the reader zeroed them.
    expect(sent.every((b) => b.every((x) => x === 0))).toBe(true);
  });

  it('refuses empty input and a lone newline', async () => {
    await expect(readStdinPassphrase(feed().input)).rejects.toThrow('standard input is empty');
    await expect(readStdinPassphrase(feed('\n').input)).rejects.toThrow('standard input is empty');
  });

  it(`refuses more than ${MAX_STDIN_PASSPHRASE} bytes, pointing to keyfile:`, async () => {
    await expect(readStdinPassphrase(feed('x'.repeat(MAX_STDIN_PASSPHRASE + 2)).input)).rejects.toThrow(/longer than 4096 bytes .* keyfile:/);
    expect((await readStdinPassphrase(feed(`${'y'.repeat(MAX_STDIN_PASSPHRASE)}\n`).input)).length).toBe(MAX_STDIN_PASSPHRASE);
  });
});
