import { checkKeyFile } from '../../config/keyspec.js';
import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import { errorMessage } from '../../errors.js';
import type { Command } from '../command.js';
import { EXIT_FAIL, EXIT_OK, println, type CliContext } from '../context.js';
import { crypttabOverlaps } from '../crypttab.js';
import { onEncryptedStorage } from '../../adapters/blockdev.js';
import { QEMU_SAVE_DIR } from '../../adapters/virsh.js';
import { certificateFindings } from '../certificates.js';
import { parseTimespanMs, worstStopMs } from '../stop-budget.js';
import { deviceFindings } from '../device-findings.js';
import { Devices } from '../../adapters/devices.js';
import { COREDUMP_DIR, coredumpFindings } from '../coredump.js';
import { shutdownActorFindings } from '../shutdown-actors.js';
import { ungatedGuestFindings } from '../ungated.js';
import type { Finding } from '../finding.js';


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

/** Stopping every guest must fit in the time systemd gives cryptvm-guests.service's ExecStop. */
async function stopBudgetFindings(ctx: CliContext, config: Config): Promise<Finding[]> {
  if (config.guests.length === 0) return [];
  const unit = 'cryptvm-guests.service';
  const said = await ctx.systemctl.timeoutStop(unit);
  const limit = said === undefined ? undefined : parseTimespanMs(said);
  if (limit === undefined || !Number.isFinite(limit)) return [];
  const worst = worstStopMs(config);
  if (worst <= limit) return [];
  const s = (ms: number): string => `${Math.round(ms / 1000)} s`;
  return [
    {
      level: 'problem',
      what: `stopping the guests can take ${s(worst)} (shutdown_timeout of each guest, parallel_shutdown = ${config.daemon.parallelShutdown}, in after= order), more than ${unit}'s TimeoutStopSec=${said}: at shutdown systemd kills the stop and the remaining guests are killed with it`,
      fix: `raise it (systemctl edit ${unit}: [Service] TimeoutStopSec=${Math.ceil(worst / 60_000) + 5}min), or lower shutdown_timeout, or raise parallel_shutdown`,
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

/** Where doctor looks; tests point these at fixture trees. */
export interface DoctorPaths {
  crypttab?: string;
  saveDir?: string;
  etcDir?: string;
  xmlDir?: string;
  coredumpDir?: string;
  devices?: Devices;
}

export async function diagnose(ctx: CliContext, at: DoctorPaths = {}): Promise<Finding[]> {
  const { crypttab = '/etc/crypttab', saveDir = QEMU_SAVE_DIR, etcDir = '/etc', xmlDir = '/etc/libvirt/qemu', coredumpDir = COREDUMP_DIR, devices = new Devices() } = at;
  const out: Finding[] = [];
  let loaded: Config | undefined;
  try {
    const { config, warnings } = loadConfig(ctx.configPath);
    loaded = config;
    out.push(...warnings.map((w) => ({ level: 'note' as const, what: `${ctx.configPath}:${w.line}: ${w.key}: ${w.message}`, fix: w.fix })));
    out.push(...configFindings(config, crypttab));
    out.push(...(await saveFindings(config, saveDir)));
    out.push(...certificateFindings(config.keyServer));
    if (config.daemon.libvirtUri === 'qemu:///system') out.push(...ungatedGuestFindings(config, ctx.configPath, xmlDir));
    out.push(...(await stopBudgetFindings(ctx, config)));
    out.push(...(await deviceFindings(config, devices)));
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
  summary: 'find setup problems (crypttab overlap, key file modes, units, libvirt shutting guests down too, ungated guests on cryptvm volumes, core dumps, autostart conflicts, expiring certificates)',
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
