// A tiny password agent for tests, built on the production agent module: wait for the ask request with a
// given Id, answer it with bytes (or cancel it). Other tests may have their own ask files open at the same
// time, so always match on a unique Id (uniqueAskId()).
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { ProcessRunner } from '../../src/adapters/exec.js';
import { ASK_DIR, listRequests, reply, waitForRequest, type AskRequest } from '../../src/adapters/password-agent.js';

const runner = new ProcessRunner();

/** A fresh `cryptsetup:/dev/test-…` Id (and the device it names) no other test uses. */
export function uniqueAskId(): { id: string; device: string } {
  const device = `/dev/cryptvm-test-${randomUUID().slice(0, 8)}`;
  return { id: `cryptsetup:${device}`, device };
}

/** The ask directory exists even on machines where systemd never created it (not PID 1). */
export function ensureAskDir(): void {
  mkdirSync(ASK_DIR, { recursive: true, mode: 0o755 });
}

/** The running recordAskFiles recorders: answerNext shows them what it answers before the file goes away. */
const recorders = new Set<(r: AskRequest) => void>();

/** Wait for the request whose Id is `id`, answer it with `secret` (null = cancel), return what it asked. */
export async function answerNext(id: string, secret: Buffer | null, timeoutMs = 10_000): Promise<AskRequest> {
  const req = await waitForRequest((r) => r.id === id, { timeoutMs, pollMs: 50 });
  for (const note of recorders) note(req); // on a busy machine a recorder's poll may come after the answer
  await reply(req, secret, runner);
  return req;
}

/** Records every distinct ask file matching `predicate` until stop(): to count how many prompts appeared. */
export function recordAskFiles(predicate: (r: AskRequest) => boolean): { seen: Map<string, AskRequest>; stop(): void } {
  const seen = new Map<string, AskRequest>();
  let stopped = false;
  const note = (r: AskRequest): void => {
    if (predicate(r)) seen.set(r.path, r);
  };
  recorders.add(note);
  const tick = async (): Promise<void> => {
    while (!stopped) {
      for (const r of await listRequests()) note(r);
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  void tick();
  return {
    seen,
    stop: () => {
      stopped = true;
      recorders.delete(note);
    },
  };
}
