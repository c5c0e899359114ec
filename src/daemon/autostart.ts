// Before READY=1 libvirt may not be asked (libvirtd starts after us), so the autostart-marked domains are
// read from disk the way libvirtd itself finds them: <xmlDir>/autostart/NAME.xml links to <xmlDir>/NAME.xml.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, GuestConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import { parseDomainDisks } from '../adapters/virsh.js';
import { autostartGuests, type AutostartDomain } from '../planner/autostart.js';

/** Persistent domains with libvirt's autostart flag, with their disks; unreadable ones are logged and skipped. */
export function readAutostartDomains(xmlDir: string, log: Logger): AutostartDomain[] {
  let links: string[];
  try {
    links = readdirSync(join(xmlDir, 'autostart')).filter((f) => f.endsWith('.xml'));
  } catch {
    return []; // no autostart directory: nothing is marked
  }
  const out: AutostartDomain[] = [];
  for (const link of links) {
    const name = link.slice(0, -'.xml'.length);
    try {
      out.push({ name, disks: parseDomainDisks(readFileSync(join(xmlDir, link), 'utf8')) });
    } catch (e) {
      log.warn({ guest: name, err: e }, `cannot read the domain XML of autostart guest ${name} (${join(xmlDir, link)}): cryptvm does not gate it`);
    }
  }
  return out;
}

/** The guests cryptvm gates without a [[guest]] table, read from the libvirt XML directory. */
export function discoverAutostartGuests(config: Config, xmlDir: string, log: Logger): GuestConfig[] {
  return autostartGuests(config, readAutostartDomains(xmlDir, log));
}

/** The configured guests plus the autostart-marked domains on our volumes, which need no table (logged once). */
export function withAutostartGuests(config: Config, found: GuestConfig[], log: Logger): Config {
  if (found.length === 0) return config;
  log.info(ev('autostart-gated', { guests: found.map((g) => g.name) }), `gated through libvirt's autostart flag (no [[guest]] table): ${found.map((g) => g.name).join(', ')}`);
  return { ...config, guests: [...config.guests, ...found] };
}
