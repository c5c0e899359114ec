// `cryptvm doctor`: libvirt guests with a disk on a cryptvm volume that cryptvm does not gate (no [[guest]]
// table, no libvirt autostart flag). Whoever starts them (an admin, libvirt-guests, a script) does not wait for
// the volume, and at shutdown nothing stops them before the volume closes. Read from the XML on disk.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import { parseDomainDisks } from '../adapters/virsh.js';
import { guestVolumes } from '../planner/guests.js';
import { errorMessage } from '../errors.js';
import type { Finding } from './finding.js';

const names = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.xml')).map((f) => f.slice(0, -'.xml'.length));

export function ungatedGuestFindings(config: Config, configPath: string, xmlDir: string): Finding[] {
  let domains: string[];
  try {
    domains = names(xmlDir).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []; // no local libvirt
    return [{ level: 'note', what: `cannot list libvirt's domains in ${xmlDir}: ${errorMessage(e)}`, fix: 'run cryptvm doctor as root' }];
  }
  let marked: Set<string>;
  try {
    marked = new Set(names(join(xmlDir, 'autostart')));
  } catch {
    marked = new Set();
  }
  const configured = new Set(config.guests.map((g) => g.name));
  const out: Finding[] = [];
  for (const name of domains) {
    if (configured.has(name)) continue;
    let vols: string[];
    try {
      const probe = { name, autostart: true, after: [], delayMs: 0, onTimeout: 'destroy' as const, shutdownTimeoutMs: 0, volumes: [], line: 0 };
      vols = guestVolumes(probe, parseDomainDisks(readFileSync(join(xmlDir, `${name}.xml`), 'utf8')), config.volumes);
    } catch (e) {
      out.push({ level: 'note', what: `cannot read the domain XML of ${name}: ${errorMessage(e)}`, fix: 'run cryptvm doctor as root' });
      continue;
    }
    if (vols.length === 0) continue;
    const on = vols.join(', ');
    if (marked.has(name)) {
      out.push({ level: 'note', what: `guest ${name} (disk on ${on}) is gated through libvirt's autostart flag: cryptvm starts it once ${on} ${vols.length === 1 ? 'is' : 'are'} open and stops it at shutdown`, fix: `nothing to do; a [[guest]] table named ${name} adds after, delay or timeouts` });
      continue;
    }
    out.push({
      level: 'problem',
      what: `guest ${name} has a disk on cryptvm volume ${on} but cryptvm does not gate it (no [[guest]] table, no libvirt autostart flag): started by hand, by libvirt-guests or a script it does not wait for ${on} (and fails while it is locked), and at shutdown nothing stops it before ${on} closes`,
      fix: `add [[guest]] name = "${name}" to ${configPath} (with autostart = false if cryptvm should only stop it), or mark it: virsh autostart ${name}`,
    });
  }
  return out;
}
