// The real host: every outside program through one Runner (cryptsetup, dmsetup/sysfs, mount, virsh,
// systemd-ask-password, systemd-notify, clevis), systemd over the system bus when there is one.
import type dbus from 'dbus-next';
import { existsSync } from 'node:fs';
import { AskPassword } from '../adapters/askpass.js';
import { onEncryptedStorage } from '../adapters/blockdev.js';
import { Clevis } from '../adapters/clevis.js';
import { Cryptsetup } from '../adapters/cryptsetup.js';
import { CryptsetupToken } from '../adapters/cryptsetup-token.js';
import { Devices } from '../adapters/devices.js';
import { DeviceMapper } from '../adapters/dm.js';
import type { Runner } from '../adapters/exec.js';
import { Mounts } from '../adapters/mount.js';
import { SystemdNotifier } from '../adapters/notify.js';
import { Systemctl } from '../adapters/systemctl.js';
import { SystemdUnits } from '../adapters/systemd.js';
import { QEMU_SAVE_DIR, Virsh } from '../adapters/virsh.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/types.js';
import { discoverAutostartGuests } from '../daemon/autostart.js';
import { HolderCache } from '../daemon/holders.js';
import { readMachine } from '../daemon/machine.js';
import { RuntimeWantedStore } from '../daemon/wanted-store.js';
import type { Logger } from '../log/logger.js';
import type { HostAdapters } from './daemon.js';

/** Where the system libvirt keeps persistent domain XML. */
const XML_DIR = '/etc/libvirt/qemu';

export interface RealHostOptions {
  runner: Runner;
  config: Config;
  log: Logger;
  clock: Clock;
  /** The system bus; undefined when it could not be reached. */
  bus: dbus.MessageBus | undefined;
  env?: NodeJS.ProcessEnv;
}

export function realHost(o: RealHostOptions): HostAdapters {
  const { runner, log } = o;
  const env = o.env ?? process.env;
  const underSystemd = existsSync('/run/systemd/system');
  const systemctl = new Systemctl(runner);
  const cryptsetup = new Cryptsetup(runner);
  const dm = new DeviceMapper({}, runner);
  const holders = new HolderCache(dm, o.clock);
  return {
    cryptsetup,
    dm,
    devices: new Devices({ clock: o.clock }),
    // Under systemd, PID 1 mounts and unmounts (the daemon has its own, read-only mount namespace).
    mounts: new Mounts(underSystemd ? { systemdBefore: 'cryptvm.service', stopUnit: (u) => systemctl.stopNow(u) } : {}, runner),
    virsh: new Virsh(runner, { uri: o.config.daemon.libvirtUri }),
    asker: new AskPassword(runner),
    notifier: new SystemdNotifier(runner, env, (e) => log.warn({ err: e }, 'sd_notify failed')),
    units: o.bus ? new SystemdUnits(o.bus) : undefined,
    systemState: underSystemd ? () => systemctl.systemState() : undefined,
    holders: (name) => holders.get(name),
    machine: readMachine,
    saveDirEncrypted: () => onEncryptedStorage(QEMU_SAVE_DIR).catch(() => false),
    xmlDir: XML_DIR,
    wanted: new RuntimeWantedStore(env.RUNTIME_DIRECTORY ?? '/run/cryptvm', (e) => log.warn({ err: e }, 'cannot save which guests wait for their volumes')),
    // The XML directory is that of the local system libvirt; another URI's autostart flags are not on this disk.
    autostartGuests: (cfg) => (cfg.daemon.libvirtUri === 'qemu:///system' ? discoverAutostartGuests(cfg, XML_DIR, log) : []),
    token: { cryptsetup, opener: new CryptsetupToken(runner) },
    clevis: { clevis: new Clevis(runner), log },
  };
}
