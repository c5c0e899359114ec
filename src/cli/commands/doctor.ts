import { checkKeyFile } from '../../config/keyspec.js';
import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import { errorMessage } from '../../errors.js';
import type { Command } from '../command.js';
import { EXIT_FAIL, EXIT_OK, println, type CliContext } from '../context.js';
import { crypttabOverlaps } from '../crypttab.js';
import { onEncryptedStorage } from '../../adapters/blockdev.js';
import { QEMU_SAVE_DIR } from '../../adapters/virsh.js';
import { certificateFindings } from '../certificates.js';
import { COREDUMP_DIR, coredumpFindings } from '../coredump.js';
import { shutdownActorFindings } from '../shutdown-actors.js';

export interface Finding {
  /** 'problem' will bite (exit 1); 'note' is worth knowing. */
  level: 'problem' | 'note';
  what: string;
  fix: string;
}

function configFindings(config: Config, crypttab: string): Finding[] {
  const out: Finding[] = [];
  for (const { volume, entry } of crypttabOverlaps(config.volumes, crypttab)) {
    if (entry.options.includes('noauto')) continue;
    out.push({
      level: 'problem',
      what: `volume ${volume} is also in ${crypttab} (line ${entry.line}: ${entry.name} ${entry.device}): systemd-cryptsetup opens it at boot too, and a passphrase wait there blocks the boot`,
      fix: `remove line ${entry.line} from ${crypttab} (or add the noauto option)`,
    });
  }
  for (const v of config.volumes) {
    for (const k of v.keys) {
      if (k.kind !== 'keyfile') continue;
      for (const [what, fix] of checkKeyFile(k.path, true)) out.push({ level: 'problem', what: `volume ${v.name}: ${what}`, fix });
    }
  }
  for (const v of config.volumes) {
    if (v.keys.every((k) => k.kind === 'prompt')) {
      out.push({
        level: 'note',
        what: `volume ${v.name} can only be opened by a person (keys = prompt): after boot_wait its guests wait until someone runs cryptvm unlock`,
        fix: 'add a keyfile, credential, token, clevis or https: source before prompt if the host must come up alone',
      });
    }
  }
  return out;
}

async function saveFindings(config: Config, saveDir: string): Promise<Finding[]> {
  const savers = config.guests.filter((g) => g.onTimeout === 'managedsave').map((g) => g.name);
  if (savers.length === 0 || (await onEncryptedStorage(saveDir).catch(() => false))) return [];
  return [
    {
      level: 'problem',
      what: `guest(s) ${savers.join(', ')} use on_timeout = "managedsave", but ${saveDir} is not on an encrypted volume: the guests' memory (keys included) would be written in plaintext, so cryptvmd destroys them instead`,
      fix: `put ${saveDir} on a cryptvm volume (a mount = { where = … } volume) or use on_timeout = "destroy"`,
    },
  ];
}

async function unitFindings(ctx: CliContext): Promise<Finding[]> {
  const out: Finding[] = [];
  const guests = await ctx.systemctl.isEnabled('cryptvm-guests.service');
  if (guests === 'unknown') out.push({ level: 'note', what: 'cannot ask systemd whether cryptvm-guests.service is enabled', fix: 'run cryptvm doctor on the host itself' });
  else if (guests !== 'enabled')
    out.push({ level: 'problem', what: `cryptvm-guests.service is ${guests}: guests are neither started at boot nor stopped before their volumes close`, fix: 'systemctl enable cryptvm-guests.service' });
  return out;
}

export async function diagnose(ctx: CliContext, crypttab = '/etc/crypttab', saveDir = QEMU_SAVE_DIR, etcDir = '/etc', coredumpDir = COREDUMP_DIR): Promise<Finding[]> {
  const out: Finding[] = [];
  let loaded: Config | undefined;
  try {
    const { config, warnings } = loadConfig(ctx.configPath);
    loaded = config;
    out.push(...warnings.map((w) => ({ level: 'note' as const, what: `${ctx.configPath}:${w.line}: ${w.key}: ${w.message}`, fix: w.fix })));
    out.push(...configFindings(config, crypttab));
    out.push(...(await saveFindings(config, saveDir)));
    out.push(...certificateFindings(config.keyServer));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    out.push(...e.problems.map((p) => ({ level: p.severity === 'error' ? ('problem' as const) : ('note' as const), what: `${p.file}:${p.line}: ${p.key}: ${p.message}`, fix: p.fix })));
  }
  out.push(...(await unitFindings(ctx)));
  out.push(...shutdownActorFindings(loaded, { libvirtGuests: await ctx.systemctl.isEnabled('libvirt-guests.service'), etcDir }));
  out.push(...(await coredumpFindings(ctx.systemctl, 'cryptvm.service', coredumpDir)));
  try {
    const plan = await ctx.api().plan();
    out.push(...plan.conflicts.map((c) => ({ level: 'problem' as const, what: c, fix: 'see cryptvm plan' })));
  } catch (e) {
    out.push({ level: 'note', what: `autostart conflicts not checked: ${errorMessage(e)}`, fix: 'start cryptvmd and run cryptvm doctor again' });
  }
  return out;
}

export const doctor: Command = {
  name: 'doctor',
  summary: 'find setup problems (crypttab overlap, key file modes, units, libvirt shutting guests down too, core dumps, autostart conflicts, expiring certificates)',
  usage: 'doctor',
  help: '  Prints each finding with a fix; exit 1 when something will bite.',
  options: {},
  async run(ctx) {
    const findings = await diagnose(ctx);
    for (const f of findings) println(f.level === 'problem' ? ctx.stderr : ctx.stdout, `${f.level === 'problem' ? 'PROBLEM' : 'note'}: ${f.what}\n  fix: ${f.fix}`);
    const problems = findings.filter((f) => f.level === 'problem').length;
    println(ctx.stdout, problems ? `${problems} problem(s) found` : 'no problems found');
    return problems ? EXIT_FAIL : EXIT_OK;
  },
};
