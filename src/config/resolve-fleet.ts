// [metrics] and [notify]: how a fleet watches this host. Paths are safety (refuse the file when relative or
// not in an existing directory); the notify timeout is tuning (warn, use the default).
//   [metrics] textfile = "/var/lib/prometheus/node-exporter/cryptvm.prom"
//   [notify]  command  = ["/usr/local/sbin/tell-admin"], timeout = "30s"

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Problems } from './problem.js';
import type { RawMetrics, RawNotify } from './schema.js';
import type { MetricsConfig, NotifyConfig } from './types.js';
import { absolutePath, tuningDuration } from './values.js';

const SECOND = 1000;
export const NOTIFY_TIMEOUT_MS = 30 * SECOND;

export function resolveMetrics(raw: RawMetrics, p: Problems): MetricsConfig {
  if (raw.textfile === undefined) return { textfile: undefined };
  const path = absolutePath(p, 'metrics.textfile', raw.textfile, 'textfile');
  if (path === undefined) return { textfile: undefined };
  if (!path.endsWith('.prom')) {
    p.error('metrics.textfile', `${path} does not end in .prom: node_exporter's textfile collector reads only *.prom files`, 'write textfile = "/var/lib/prometheus/node-exporter/cryptvm.prom"');
  }
  const dir = dirname(path);
  // The directory belongs to node_exporter's package; a missing one is a warning (installed later), not an error.
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    p.warn('metrics.textfile', `directory ${dir} does not exist: no metrics until it does`, `install prometheus-node-exporter or create ${dir}`);
  }
  return { textfile: path };
}

export function resolveNotify(raw: RawNotify, p: Problems): NotifyConfig {
  const timeoutMs = tuningDuration(p, 'notify.timeout', raw.timeout, NOTIFY_TIMEOUT_MS, [SECOND, 600 * SECOND]);
  const cmd = raw.command;
  if (cmd === undefined) return { command: undefined, timeoutMs };
  if (cmd.length === 0 || cmd[0] === '') {
    p.error('notify.command', 'is empty', 'write command = ["/usr/local/sbin/tell-admin"] (the program and its arguments; no shell)');
    return { command: undefined, timeoutMs };
  }
  const program = absolutePath(p, 'notify.command', cmd[0]!, 'notify command');
  if (program !== undefined && !isExecutableFile(program)) {
    // A warning: the file may be rolled out after cryptvm; events are only logged until it is there.
    p.warn('notify.command', `${program} is not an executable file: nobody is told until it is`, `install it (mode 0755), e.g. install -m 0755 /usr/share/doc/cryptvm/examples/tell-admin-mail ${program}`);
  }
  return { command: program === undefined ? undefined : [program, ...cmd.slice(1)], timeoutMs };
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
