// [metrics] and [notify]: what they resolve to, the errors that refuse the file and the warnings that do not.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem, parseConfig } from '../../../src/config/index.js';
import { type BadCase, expectOneError, FILE } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cryptvm-fleet-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tell = join(dir, 'tell-admin');
writeFileSync(tell, '#!/bin/sh\n');
chmodSync(tell, 0o755);
const load = (text: string) => parseConfig(text, FILE, { checkOwnership: false });

describe('[metrics] and [notify]', () => {
  it('resolve to absolute paths, argv and a timeout', () => {
    const { config, warnings } = load(`[metrics]\ntextfile = "${dir}/cryptvm.prom"\n\n[notify]\ncommand = ["${tell}", "ops@example.org"]\ntimeout = "10s"\n`);
    expect(warnings).toEqual([]);
    expect(config.metrics).toEqual({ textfile: `${dir}/cryptvm.prom` });
    expect(config.notify).toEqual({ command: [tell, 'ops@example.org'], timeoutMs: 10_000 });
  });

  it('absent tables leave the config without them; [notify] alone has the default timeout', () => {
    expect(load('').config).not.toHaveProperty('metrics');
    expect(load(`[notify]\ncommand = ["${tell}"]\n`).config.notify).toEqual({ command: [tell], timeoutMs: 30_000 });
  });

  it('warns (and keeps the file) for a missing metrics directory, a missing notify program, a timeout out of range', () => {
    const { config, warnings } = load(`[metrics]\ntextfile = "${dir}/no/cryptvm.prom"\n[notify]\ncommand = ["${dir}/nope"]\ntimeout = "1h"\n`);
    expect(warnings.map(formatProblem)).toEqual([
      `${FILE}:2: warning: metrics.textfile: directory ${dir}/no does not exist: no metrics until it does — install prometheus-node-exporter or create ${dir}/no`,
      `${FILE}:4: warning: notify.command: ${dir}/nope is not an executable file: nobody is told until it is — install it (mode 0755), e.g. install -m 0755 /usr/share/doc/cryptvm/examples/tell-admin-mail ${dir}/nope`,
      `${FILE}:5: warning: notify.timeout: 1h is out of range; using the default 30s — set timeout between 1s and 10min`,
    ]);
    expect(config.notify?.timeoutMs).toBe(30_000);
  });
});

const cases: BadCase[] = [
  { name: 'relative textfile', text: '[metrics]\ntextfile = "cryptvm.prom"\n', line: 2, message: `${FILE}:2: metrics.textfile: textfile "cryptvm.prom" is a relative path — write the absolute path, e.g. "/cryptvm.prom"` },
  { name: 'textfile not ending in .prom', text: `[metrics]\ntextfile = "${dir}/cryptvm.txt"\n`, line: 2, message: `${FILE}:2: metrics.textfile: ${dir}/cryptvm.txt does not end in .prom: node_exporter's textfile collector reads only *.prom files — write textfile = "/var/lib/prometheus/node-exporter/cryptvm.prom"` },
  { name: 'empty command', text: '[notify]\ncommand = []\n', line: 2, message: `${FILE}:2: notify.command: is empty — write command = ["/usr/local/sbin/tell-admin"] (the program and its arguments; no shell)` },
  { name: 'a shell line instead of argv', text: '[notify]\ncommand = "mail -s x root"\n', line: 2, message: `${FILE}:2: notify.command: must be an array like ["…"], not "mail -s x root" — write command = ["/usr/local/sbin/tell-admin"]` },
];

describe('refused files: [metrics] and [notify]', () => {
  it.each(cases)('$name', ({ text, line, message }) => expectOneError(text, line, message));
});
