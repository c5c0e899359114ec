// Loads /etc/cryptvm/cryptvm.toml: TOML syntax (smol-toml), shape (zod), values, then cross-table checks.
// Every problem is collected; any error refuses the whole file with one ConfigError listing them all, since
// a half-understood config that opens the wrong device or exposes a key is worse than none.

import { closeSync, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { checkGuests, checkVolumes, type Entry } from './cross.js';
import { locateLines } from './locate.js';
import { ConfigError, type ConfigProblem, Problems } from './problem.js';
import { resolveDaemon } from './resolve-daemon.js';
import { resolveGuest } from './resolve-guest.js';
import { resolveKeyServer } from './resolve-key-server.js';
import { resolveVolume } from './resolve-volume.js';
import { daemonSchema, fileSchema, guestSchema, keyServerSchema, metricsSchema, notifySchema, volumeSchema } from './schema.js';
import { resolveMetrics, resolveNotify } from './resolve-fleet.js';
import type { Config, GuestConfig, VolumeConfig } from './types.js';
import { checkShape } from './zod-issues.js';
import { checkStateDir } from './state-dir.js';

export interface LoadOptions {
  /** Refuse files (config, key files) not owned by root. Default: only when running as root. */
  checkOwnership?: boolean;
}

export interface LoadResult {
  config: Config;
  /** Tuning values replaced by their defaults; the daemon logs these. */
  warnings: ConfigProblem[];
}

const isRoot = (): boolean => process.getuid?.() === 0;

export function loadConfig(path: string, opts: LoadOptions = {}): LoadResult {
  const fileProblem = (message: string, fix: string): ConfigError =>
    new ConfigError([{ line: 0, key: '(file)', message, fix, severity: 'error', file: path }]);
  let text: string;
  let st: Stats;
  try {
    // One open for both, so the file checked is the file read.
    const fd = openSync(path, 'r');
    try {
      st = fstatSync(fd);
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw fileProblem(`cannot read the configuration (${code})`, 'create it or correct the path');
  }
  if (opts.checkOwnership ?? isRoot()) {
    // Whoever can write this file chooses which key files and devices the root daemon uses.
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    const fix = `chown root:root ${path} && chmod 0644 ${path}`;
    if (st.uid !== 0) throw fileProblem(`is owned by uid ${st.uid}, not root`, fix);
    if ((st.mode & 0o022) !== 0) throw fileProblem(`has mode ${mode}: group/other can write it`, fix);
  }
  return parseConfig(text, path, opts);
}

/** Line of the first https: key source (0 when none): where a missing [key_server] is reported. */
function firstHttpsLine(volumes: Entry<VolumeConfig>[], raw: Record<string, unknown>[], p: Problems): number {
  for (const [n, { base, value }] of volumes.entries()) {
    if (!value?.keys.some((s) => s.kind === 'https')) continue;
    const entries = raw[n]?.keys;
    const i = Array.isArray(entries) ? entries.findIndex((e) => typeof e === 'string' && e.startsWith('https:')) : -1;
    return p.lineOf(`${base}.keys[${i}]`) || p.lineOf(base);
  }
  return 0;
}

export function parseConfig(text: string, path: string, opts: LoadOptions = {}): LoadResult {
  const checkOwnership = opts.checkOwnership ?? isRoot();
  let raw: Record<string, unknown>;
  try {
    raw = parse(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const what = (e.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
    const message = `invalid TOML at column ${e.column}: ${what}`;
    const fix = 'correct the syntax on this line';
    throw new ConfigError([{ line: e.line, key: '(syntax)', message, fix, severity: 'error', file: path }]);
  }
  const p = new Problems(path, locateLines(text));
  const top = checkShape(fileSchema, raw, '', '', p) ?? {};
  const daemon = resolveDaemon(checkShape(daemonSchema, top.daemon ?? {}, 'daemon', 'daemon', p) ?? {}, p);
  if (checkOwnership) checkStateDir(p, daemon.stateDir);

  const volumes: Entry<VolumeConfig>[] = (top.volume ?? []).map((t, i) => {
    const base = `volume#${i + 1}`;
    const shaped = checkShape(volumeSchema, t, base, 'volume', p);
    const name = typeof t.name === 'string' ? t.name : undefined;
    return { base, name, value: shaped && resolveVolume(shaped, base, p, checkOwnership) };
  });
  const guests: Entry<GuestConfig>[] = (top.guest ?? []).map((t, i) => {
    const base = `guest#${i + 1}`;
    const shaped = checkShape(guestSchema, t, base, 'guest', p);
    const name = typeof t.name === 'string' ? t.name : undefined;
    return { base, name, value: shaped && resolveGuest(shaped, base, p, daemon.shutdownTimeoutMs) };
  });
  const rawServer = top.key_server && (checkShape(keyServerSchema, top.key_server, 'key_server', 'key_server', p) ?? {});
  const keyServer = resolveKeyServer(rawServer, firstHttpsLine(volumes, top.volume ?? [], p), p, checkOwnership);
  // Present only when the file has the table, so configs without them stay exactly as they were.
  const metrics = top.metrics && { metrics: resolveMetrics(checkShape(metricsSchema, top.metrics, 'metrics', 'metrics', p) ?? {}, p) };
  const notify = top.notify && { notify: resolveNotify(checkShape(notifySchema, top.notify, 'notify', 'notify', p) ?? {}, p) };
  checkVolumes(p, volumes);
  checkGuests(p, guests, volumes.flatMap((v) => (v.name === undefined ? [] : [v.name])));

  const sorted = [...p.list].sort((a, b) => a.line - b.line);
  if (p.errors.length > 0) throw new ConfigError(sorted);
  const only = <T>(entries: Entry<T>[]): T[] => entries.map((e) => e.value as T);
  return {
    config: { path, daemon, keyServer, volumes: only(volumes), guests: only(guests), ...metrics, ...notify },
    warnings: sorted.filter((w) => w.severity === 'warning'),
  };
}
