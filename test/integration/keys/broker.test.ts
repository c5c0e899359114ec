// The prompt broker with the real systemd-ask-password, answered through the real systemd-reply-password.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AskPassword } from '../../../src/adapters/askpass.js';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { PromptBroker } from '../../../src/keys/broker.js';
import { volume } from '../../helpers/config.js';
import type { KeyContext } from '../../../src/keys/types.js';
import { answerNext, ensureAskDir, recordAskFiles, uniqueAskId } from '../../helpers/agent.js';

const haveAsk = existsSync('/usr/bin/systemd-ask-password');
if (!haveAsk) console.warn('SKIPPED broker integration tests: systemd-ask-password not installed (apt-get install systemd)');

function member(name: string, group: string, guests: string[]): KeyContext {
  const { device } = uniqueAskId();
  return { volume: volume(name, { device, passphraseGroup: group }), device, guests, signal: new AbortController().signal, credentialsDir: undefined };
}

describe.skipIf(!haveAsk)('PromptBroker with real password agents', () => {
  ensureAskDir();

  it('a group of two volumes gets ONE ask file, and both members receive the answer', async () => {
    const broker = new PromptBroker(new AskPassword(new ProcessRunner()), { gatherMs: 50 });
    const a = member('cr_imap_encr', `g-${Date.now()}`, ['imap']);
    const b = member('cr_images', a.volume.passphraseGroup as string, ['office']);
    const ours = new Set([`cryptsetup:${a.device}`, `cryptsetup:${b.device}`]);
    const rec = recordAskFiles((r) => ours.has(r.id ?? ''));
    try {
      const ka = broker.request(a);
      const kb = broker.request(b);
      const req = await answerNext(`cryptsetup:${a.device}`, Buffer.from(' shared pass '));
      expect(req.message).toBe('Please enter passphrase for cr_imap_encr, cr_images (guests: imap, office):');
      expect((await ka).toString()).toBe(' shared pass ');
      expect((await kb).toString()).toBe(' shared pass ');
      broker.reportResult('cr_imap_encr', true);
      broker.reportResult('cr_images', true);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      rec.stop();
    }
    expect(rec.seen.size).toBe(1);
  });

  it('wrong then right: the volume is asked again with a retry message, and the second answer is used', async () => {
    const broker = new PromptBroker(new AskPassword(new ProcessRunner()), { gatherMs: 0 });
    const a = member('cr_solo', `solo-${Date.now()}`, []);
    const id = `cryptsetup:${a.device}`;
    const first = broker.request(a);
    await answerNext(id, Buffer.from('wrong'));
    expect((await first).toString()).toBe('wrong');
    broker.reportResult('cr_solo', false);
    const second = broker.request(a);
    const req = await answerNext(id, Buffer.from('right'));
    expect(req.message).toBe('Wrong passphrase, try again. Please enter passphrase for disk cr_solo:');
    expect((await second).toString()).toBe('right');
  });
});
