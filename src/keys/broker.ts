// Interactive prompts, one passphrase group at a time. A human types a passphrase once per group: the broker
// runs at most one systemd-ask-password per group, names every volume (and guest) waiting in the message, and
// offers the answer to every member that was waiting — and to members that join while it is being tried —
// before anyone is asked again. Volumes without a passphrase_group form a group of one.
//
// Round life cycle: waiting members → (gather briefly) → one prompt → answer → each waiting member gets its
// own COPY → the answer is kept while any member that got it has not reported (reportResult/cancel) → wiped →
// members that were wrong and asked again get the next prompt, whose message says the last one was wrong.
import type { Logger } from '../log/logger.js';
import type { Asker } from '../adapters/askpass.js';
import { askIdForDevice } from '../adapters/askpass.js';
import { systemClock, type Clock } from '../clock.js';
import { CryptvmError } from '../errors.js';
import { copySecret, wipe } from '../secret.js';
import type { KeyContext } from './types.js';

interface Member {
  ctx: KeyContext;
  resolve(key: Buffer): void;
  reject(err: Error): void;
  detach(): void;
}

interface Group {
  name: string | undefined;
  waiting: Map<string, Member>;
  prompt?: { id: string; volumes: string[]; abort: AbortController };
  round?: { answer: Buffer; offered: Set<string>; unsettled: Set<string> };
  /** Ends the gather wait before the prompt (set while it runs). */
  timer?: AbortController;
  /** The last answer was empty and refused: the next message says so. */
  emptyAnswer?: boolean;
}

export interface PendingPrompt {
  /** passphrase_group, or undefined for a volume on its own. */
  group: string | undefined;
  volumes: string[];
  /** Id= of the open prompt; undefined while the last answer is still being tried. */
  askId: string | undefined;
}

export interface BrokerOptions {
  log?: Logger;
  /** Wait this long after the first request before asking, so volumes reaching the prompt together share one message. */
  gatherMs?: number;
  /** The clock the gather wait runs on (default: the system's). */
  clock?: Clock;
  icon?: string;
  /** A typed passphrase did not open the volume (metrics). */
  onWrong?: (volume: string) => void;
}

/** `Please enter passphrase for disk cr_imap_encr (guests: imap):` — the wording systemd-cryptsetup users know. */
export function promptMessage(members: KeyContext[], retry: boolean | 'empty'): string {
  const names = members.map((m) => m.volume.name);
  const guests = [...new Set(members.flatMap((m) => m.guests))];
  const what = names.length === 1 ? `disk ${names[0]}` : names.join(', ');
  const tail = guests.length ? ` (guests: ${guests.join(', ')})` : '';
  const again = retry === 'empty' ? 'Empty passphrase, try again. ' : retry ? 'Wrong passphrase, try again. ' : '';
  return `${again}Please enter passphrase for ${what}${tail}:`;
}

export class PromptBroker {
  private readonly groups = new Map<string, Group>();
  private readonly groupOf = new Map<string, Group>();
  private readonly failures = new Map<string, number>();
  private readonly gatherMs: number;

  constructor(
    private readonly asker: Asker,
    private readonly opts: BrokerOptions = {},
  ) {
    this.gatherMs = opts.gatherMs ?? 100;
  }

  /** A copy of the group's passphrase for this volume; the caller wipes it and calls reportResult or cancel. */
  request(ctx: KeyContext): Promise<Buffer> {
    const name = ctx.volume.name;
    const tries = Math.max(1, ctx.volume.tries);
    if ((this.failures.get(name) ?? 0) >= tries) {
      return Promise.reject(new CryptvmError('BadPassphrase', `volume ${name}: gave up after ${tries} wrong passphrase(s); run 'cryptvm unlock ${name}' to try again`, { volume: name }));
    }
    if (ctx.signal.aborted) return Promise.reject(new CryptvmError('Cancelled', `passphrase request for ${name} was withdrawn`, { volume: name }));
    const g = this.group(ctx);
    if (g.waiting.has(name)) return Promise.reject(new CryptvmError('InvalidArgs', `volume ${name} is already waiting for a passphrase`, { volume: name }));
    if (g.round && !g.round.offered.has(name) && (g.round.answer.length > 0 || ctx.volume.allowEmpty)) {
      // A late member gets the answer being tried before anyone is asked again.
      g.round.offered.add(name);
      g.round.unsettled.add(name);
      return Promise.resolve(copySecret(g.round.answer));
    }
    return new Promise<Buffer>((resolve, reject) => {
      const onAbort = (): void => this.leave(g, name, new CryptvmError('Cancelled', `passphrase request for ${name} was withdrawn`, { volume: name }));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      g.waiting.set(name, { ctx, resolve, reject, detach: () => ctx.signal.removeEventListener('abort', onAbort) });
      this.schedule(g);
    });
  }

  /** The key from the last request was right (ok) or wrong; a wrong one counts towards volume.tries. */
  reportResult(volume: string, ok: boolean): void {
    if (!ok) this.opts.onWrong?.(volume);
    this.failures.set(volume, ok ? 0 : (this.failures.get(volume) ?? 0) + 1);
    this.settle(volume);
  }

  /** Withdraw the volume: its waiting request fails with Cancelled, and it no longer holds the current answer. */
  cancel(volume: string): void {
    const g = this.groupOf.get(volume);
    if (!g) return;
    this.leave(g, volume, new CryptvmError('Cancelled', `passphrase request for ${volume} was cancelled`, { volume }));
    this.settle(volume);
  }

  /** Forget wrong answers so the volume may be asked again (`cryptvm unlock`). */
  rearm(volume: string): void {
    this.failures.delete(volume);
  }

  pending(): PendingPrompt[] {
    return [...this.groups.values()]
      .filter((g) => g.waiting.size > 0)
      .map((g) => ({ group: g.name, volumes: [...g.waiting.keys()], askId: g.prompt?.id }));
  }

  private group(ctx: KeyContext): Group {
    const key = ctx.volume.passphraseGroup ? `group:${ctx.volume.passphraseGroup}` : `volume:${ctx.volume.name}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { name: ctx.volume.passphraseGroup, waiting: new Map() };
      this.groups.set(key, g);
    }
    this.groupOf.set(ctx.volume.name, g);
    return g;
  }

  private settle(volume: string): void {
    const g = this.groupOf.get(volume);
    if (!g?.round || !g.round.unsettled.delete(volume)) return;
    if (g.round.unsettled.size > 0) return;
    wipe(g.round.answer);
    g.round = undefined;
    this.schedule(g);
  }

  private leave(g: Group, volume: string, err: Error): void {
    const m = g.waiting.get(volume);
    if (!m) return;
    g.waiting.delete(volume);
    m.detach();
    m.reject(err);
    if (g.waiting.size > 0) return;
    g.timer?.abort();
    g.timer = undefined;
    g.prompt?.abort.abort(); // nobody left to answer for: remove the question from the agents
  }

  private schedule(g: Group): void {
    if (g.prompt || g.round || g.timer || g.waiting.size === 0) return;
    const timer = (g.timer = new AbortController());
    (this.opts.clock ?? systemClock).sleep(this.gatherMs, timer.signal).then(() => {
      g.timer = undefined;
      this.startPrompt(g);
    }, () => undefined);
  }

  private startPrompt(g: Group): void {
    if (g.prompt || g.round || g.waiting.size === 0) return;
    const members = [...g.waiting.values()].map((m) => m.ctx);
    const first = members[0] as KeyContext;
    const retry = g.emptyAnswer ? 'empty' : members.some((m) => (this.failures.get(m.volume.name) ?? 0) > 0);
    g.emptyAnswer = false;
    const prompt = { id: askIdForDevice(first.device), volumes: members.map((m) => m.volume.name), abort: new AbortController() };
    g.prompt = prompt;
    this.opts.log?.info({ group: g.name, volumes: prompt.volumes, askId: prompt.id }, 'asking for passphrase through password agents');
    this.asker
      .ask({ id: prompt.id, message: promptMessage(members, retry), icon: this.opts.icon ?? 'drive-harddisk', timeoutMs: 0, signal: prompt.abort.signal })
      .then(
        (answer) => this.onAnswer(g, answer),
        (err: Error) => this.onPromptError(g, prompt.abort.signal.aborted, err),
      );
  }

  private onAnswer(g: Group, answer: Buffer): void {
    g.prompt = undefined;
    if (g.waiting.size === 0) {
      wipe(answer);
      return;
    }
    // Enter on an empty line is not a passphrase (unless the volume says it is): cryptsetup never sees it, it
    // counts as a try, and whoever has tries left is asked again.
    const members = [...g.waiting.entries()].filter(([, m]) => answer.length > 0 || m.ctx.volume.allowEmpty);
    if (members.length < g.waiting.size) this.refuseEmpty(g);
    if (members.length === 0) {
      wipe(answer);
      return this.schedule(g);
    }
    const round = { answer, offered: new Set<string>(), unsettled: new Set<string>() };
    g.round = round;
    for (const [name] of members) g.waiting.delete(name);
    this.opts.log?.info({ group: g.name, volumes: members.map(([n]) => n) }, 'passphrase received');
    for (const [name, m] of members) {
      round.offered.add(name);
      round.unsettled.add(name);
      m.detach();
      m.resolve(copySecret(answer));
    }
  }

  /** An empty answer for members that do not accept one: a try used; out of tries means given up. */
  private refuseEmpty(g: Group): void {
    g.emptyAnswer = true;
    for (const [name, m] of [...g.waiting.entries()]) {
      if (m.ctx.volume.allowEmpty) continue;
      const failures = (this.failures.get(name) ?? 0) + 1;
      this.failures.set(name, failures);
      const tries = Math.max(1, m.ctx.volume.tries);
      this.opts.log?.warn({ volume: name, try: failures, tries }, 'empty passphrase: not tried (set allow_empty = true if it is one)');
      if (failures >= tries) {
        this.leave(g, name, new CryptvmError('BadPassphrase', `volume ${name}: gave up after ${tries} wrong or empty passphrase(s); run 'cryptvm unlock ${name}' to try again`, { volume: name }));
      }
    }
  }

  private onPromptError(g: Group, withdrawnByUs: boolean, err: Error): void {
    g.prompt = undefined;
    if (withdrawnByUs) return this.schedule(g); // someone may have joined since we withdrew it
    // Cancelled by the user, timed out or failed: everyone waiting on this prompt gets that answer.
    for (const name of [...g.waiting.keys()]) this.leave(g, name, err);
  }
}
