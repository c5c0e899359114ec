// The real Daemon on the stateful fake host (daemonOnFakeHost), with the real prompt broker, served on a
// private bus by the real startApi: what the CLI and D-Bus tests talk to, so that they assert the daemon's
// and the dispatcher's own answers. Volumes with a key open at boot; the others wait at the prompt, asked
// through a FakeAsker (the test answers) or any other Asker (a real systemd-ask-password).
import type { Asker } from '../../src/adapters/askpass.js';
import type { Config } from '../../src/config/types.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { startApi, type Api } from '../../src/dbus/service.js';
import { PromptBroker } from '../../src/keys/broker.js';
import { PromptSource } from '../../src/keys/prompt.js';
import { createLogger } from '../../src/log/logger.js';
import type { PrivateBus } from './dbus.js';
import { FakeAsker } from './fake-asker.js';
import { daemonOnFakeHost, type FakeDaemonOptions } from './fake-daemon.js';
import type { FakeHost } from './fake-host.js';
import { TestSource } from './test-source.js';

export interface ServeOptions {
  /** Volumes that open with nobody asked: name → [key source label, key]. */
  keys?: Record<string, [label: string, key: string]>;
  /** Who asks for the other volumes' passphrases (default: a FakeAsker, see `asker`). */
  asker?: Asker;
  /** cryptvm-guests.service is active: the daemon asks libvirt right after READY=1 (default true). */
  guestsUnitActive?: boolean;
  /** Take the bus name now (default), or later with `serve()` (a daemon whose READY came first). */
  serve?: boolean;
  extra?: Partial<FakeDaemonOptions>;
}

export interface ServedDaemon {
  daemon: Daemon;
  /** The FakeAsker when no other asker was given. */
  asker: FakeAsker;
  /** JSON log lines of the daemon. */
  lines: string[];
  serve(): Promise<void>;
  unserve(): Promise<void>;
  stop(): Promise<void>;
}

/** Boots the daemon (up to READY=1 and its libvirt link) and serves it on `bus`. */
export async function serveDaemon(bus: PrivateBus, cfg: Config, host: FakeHost, o: ServeOptions = {}): Promise<ServedDaemon> {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', sink: { write: (s) => void lines.push(s) } });
  const fakeAsker = new FakeAsker();
  let daemon: Daemon | undefined;
  const inner = o.asker ?? fakeAsker;
  // As the entry point does: the daemon learns when a prompt appears and goes (STATUS=, `cryptvm unlock`).
  const asker: Asker = {
    ask: async (q) => {
      queueMicrotask(() => daemon?.promptsChanged());
      try {
        return await inner.ask(q);
      } finally {
        daemon?.promptsChanged();
      }
    },
  };
  const broker = new PromptBroker(asker, { log, gatherMs: 1 });
  const units = {
    activeState: async (u: string) => (u === 'cryptvm-guests.service' && o.guestsUnitActive === false ? 'inactive' : 'active'),
    // The test's end is a restart: nothing is stopped or closed on the way out.
    stopIntent: async () => 'restart',
    jobType: async () => undefined,
  };
  const made = daemonOnFakeHost(cfg, host, {
    log,
    units,
    broker,
    sources: (v) => {
      const k = o.keys?.[v.name];
      return k ? [new TestSource(k[0], k[1])] : [new PromptSource(broker)];
    },
    ...o.extra,
  });
  daemon = made.daemon;
  const d = made.daemon;
  let api: Api | undefined;
  const served: ServedDaemon = {
    daemon: d,
    asker: fakeAsker,
    lines,
    serve: async () => {
      api ??= await startApi(d, { busAddress: bus.address, log });
    },
    unserve: async () => {
      await api?.stop();
      api = undefined;
    },
    stop: async () => {
      await served.unserve();
      await d.stop();
    },
  };
  if (o.serve !== false) await served.serve();
  await d.boot();
  return served;
}
