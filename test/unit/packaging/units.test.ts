// The shipped systemd units say what the boot/shutdown design requires (README, cryptvmd(8)): ordering, restart-vs-stop isolation,
// readiness, and hardening that leaves cryptsetup, device-mapper, mount and V8 working.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { list, parseUnit, readUnit, REPO, single } from './unit-file.js';

const daemon = readUnit('cryptvm.service');
const guests = readUnit('cryptvm-guests.service');

describe('unit file reader', () => {
  it('accumulates repeated keys and splits lists', () => {
    const u = parseUnit('[Unit]\n# c\nAfter=a b\nAfter=c\n[Service]\nType=notify\n');
    expect(list(u, 'Unit', 'After')).toEqual(['a', 'b', 'c']);
    expect(single(u, 'Service', 'Type')).toBe('notify');
    expect(() => parseUnit('Type=notify\n')).toThrow(/not a unit file line/);
  });
});

describe('cryptvm.service', () => {
  it('is a notify service run by the main process, with the daemon binary and reload through the API', () => {
    expect(single(daemon, 'Service', 'Type')).toBe('notify');
    expect(single(daemon, 'Service', 'NotifyAccess')).toBe('main');
    expect(single(daemon, 'Service', 'ExecStart')).toBe('/usr/sbin/cryptvmd');
    expect(single(daemon, 'Service', 'ExecReload')).toBe('/usr/bin/cryptvm reload');
    expect(single(daemon, 'Service', 'Restart')).toBe('on-failure');
  });

  it('starts before libvirt and after storage and the bus', () => {
    expect(list(daemon, 'Unit', 'Before')).toEqual(
      expect.arrayContaining(['libvirtd.service', 'virtqemud.service', 'libvirt-guests.service']),
    );
    expect(list(daemon, 'Unit', 'After')).toEqual(
      expect.arrayContaining(['local-fs.target', 'cryptsetup.target', 'dbus.service']),
    );
    expect(list(daemon, 'Unit', 'After')).not.toContain('systemd-udev-settle.service');
  });

  it('has no dependency that would propagate a restart to libvirt or the guests', () => {
    for (const key of ['Requires', 'BindsTo', 'PartOf', 'Requisite', 'PropagatesReloadTo', 'ReloadPropagatedFrom']) {
      expect(list(daemon, 'Unit', key), key).toEqual([]);
    }
  });

  it('bounds start and stop, stops only the daemon with SIGTERM, keeps its keyring private', () => {
    expect(single(daemon, 'Service', 'TimeoutStartSec')).not.toMatch(/^(0|infinity)$/);
    expect(single(daemon, 'Service', 'TimeoutStopSec')).toBe('10min');
    expect(single(daemon, 'Service', 'KillMode')).toBe('mixed');
    // Nothing uses the kernel keyring across processes (no --keyname): the default, private, keyring.
    expect(daemon.get('Service')?.has('KeyringMode')).toBe(false);
  });

  it('lets neither the daemon nor its cryptsetup dump core (keys in memory)', () => {
    expect(single(daemon, 'Service', 'LimitCORE')).toBe('0');
  });

  it('keeps state and runtime directories private', () => {
    expect(single(daemon, 'Service', 'StateDirectory')).toBe('cryptvm');
    expect(single(daemon, 'Service', 'StateDirectoryMode')).toBe('0700');
    expect(single(daemon, 'Service', 'RuntimeDirectory')).toBe('cryptvm');
    expect(single(daemon, 'Service', 'RuntimeDirectoryMode')).toBe('0700');
    expect(single(daemon, 'Service', 'UMask')).toBe('0077');
  });

  it('uses no setting that breaks dm, udev cookies, V8 or /proc/devices', () => {
    const forbidden = [
      'PrivateDevices', 'MemoryDenyWriteExecute', 'PrivateIPC', 'PrivateNetwork', 'PrivateUsers', 'DynamicUser',
      'User', 'ProtectClock', 'ProcSubset', 'DevicePolicy', 'DeviceAllow',
      // the host's mounts must propagate in (slave): a different propagation would hide PID 1's mounts
      'MountFlags',
    ];
    for (const key of forbidden) expect(daemon.get('Service')?.has(key), key).toBe(false);
  });

  it('runs in its own read-only mount namespace; PID 1 mounts (no @mount, no CAP_MKNOD)', () => {
    const want: Record<string, string> = {
      ProtectSystem: 'strict', PrivateMounts: 'yes', ProtectHome: 'yes', PrivateTmp: 'yes', ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes', ProtectKernelLogs: 'yes', ProtectControlGroups: 'yes', ProtectHostname: 'yes', ProtectProc: 'invisible',
    };
    for (const [key, value] of Object.entries(want)) expect(single(daemon, 'Service', key), key).toBe(value);
    expect(list(daemon, 'Service', 'ReadWritePaths')).toEqual(['-/run/systemd/ask-password', '-/run/cryptsetup', '-/var/lib/prometheus/node-exporter']);
    expect(list(daemon, 'Service', 'SystemCallFilter')).not.toContain('@mount');
    expect(list(daemon, 'Service', 'CapabilityBoundingSet')).not.toContain('CAP_MKNOD');
  });

  it('keeps CAP_SYS_ADMIN, and filters system calls to @system-service', () => {
    const caps = list(daemon, 'Service', 'CapabilityBoundingSet');
    expect(caps).toEqual(expect.arrayContaining(['CAP_SYS_ADMIN', 'CAP_IPC_LOCK', 'CAP_SYS_PTRACE']));
    expect(caps).not.toContain('CAP_SYS_MODULE');
    expect(caps).not.toContain('CAP_SYS_TIME');
    expect(list(daemon, 'Service', 'SystemCallFilter')).toEqual(expect.arrayContaining(['@system-service']));
    expect(single(daemon, 'Service', 'SystemCallErrorNumber')).toBe('EPERM');
    expect(list(daemon, 'Service', 'RestrictAddressFamilies')).toEqual(
      expect.arrayContaining(['AF_UNIX', 'AF_NETLINK', 'AF_INET', 'AF_INET6']),
    );
    expect(single(daemon, 'Service', 'NoNewPrivileges')).toBe('yes');
  });

  it('comments every hardening exception in the unit itself', () => {
    const text = readFileSync(resolve(REPO, 'systemd/cryptvm.service'), 'utf8');
    for (const word of ['PrivateDevices=', 'MemoryDenyWriteExecute=', 'PrivateIPC=', 'PrivateNetwork=',
      'PrivateUsers=', 'ProtectClock=', 'DevicePolicy=', 'ProcSubset=']) {
      expect(text, word).toMatch(new RegExp(`^#.*${word}`, 'm'));
    }
  });

  it('is enabled by multi-user.target', () => {
    expect(list(daemon, 'Install', 'WantedBy')).toEqual(['multi-user.target']);
    expect(list(daemon, 'Install', 'RequiredBy')).toEqual([]);
  });
});

describe('cryptvm-guests.service', () => {
  it('wants the daemon but never requires or binds to it', () => {
    expect(list(guests, 'Unit', 'Wants')).toContain('cryptvm.service');
    for (const key of ['Requires', 'BindsTo', 'PartOf', 'Requisite']) {
      expect(list(guests, 'Unit', key), key).not.toContain('cryptvm.service');
    }
  });

  it('requires virt-guest-shutdown.target as libvirt-guests does', () => {
    expect(list(guests, 'Unit', 'Requires')).toEqual(['virt-guest-shutdown.target']);
  });

  it('starts after the daemon, libvirt and its sockets, so it stops before them', () => {
    expect(list(guests, 'Unit', 'After')).toEqual(
      expect.arrayContaining([
        'cryptvm.service', 'libvirtd.service', 'virtqemud.service', 'libvirtd.socket', 'virtqemud.socket',
        'virt-guest-shutdown.target', 'network.target',
      ]),
    );
    expect(list(guests, 'Unit', 'Before')).toEqual([]);
  });

  it('is a remain-after-exit oneshot that asks the daemon to start and stop guests', () => {
    expect(single(guests, 'Service', 'Type')).toBe('oneshot');
    expect(single(guests, 'Service', 'RemainAfterExit')).toBe('yes');
    // "-": a failed start must leave the unit active, or its ExecStop would not run at shutdown
    expect(single(guests, 'Service', 'ExecStart')).toBe('-/usr/bin/cryptvm guests start');
    expect(single(guests, 'Service', 'ExecStop')).toBe('/usr/bin/cryptvm guests stop --wait');
    expect(single(guests, 'Service', 'TimeoutStopSec')).toMatch(/^\d+(min|s|h)$/);
    expect(single(guests, 'Service', 'StandardOutput')).toBe('journal');
    expect(list(guests, 'Install', 'WantedBy')).toEqual(['multi-user.target']);
  });
});

describe('cryptvm-ask.service', () => {
  const ask = readUnit('cryptvm-ask.service');

  it('holds logins and the wall agent back while the daemon says a volume may need a person at the console', () => {
    expect(list(ask, 'Unit', 'After')).toEqual(['cryptvm.service']);
    expect(list(ask, 'Unit', 'Before')).toEqual(['systemd-user-sessions.service', 'systemd-ask-password-wall.service']);
    expect(single(ask, 'Service', 'Type')).toBe('oneshot');
    expect(single(ask, 'Service', 'ExecStart')).toBe('-/usr/bin/cryptvm wait --prompts');
  });

  it('never drags the daemon or libvirt along: no hard dependency, started with the daemon', () => {
    for (const key of ['Requires', 'BindsTo', 'PartOf', 'Requisite', 'Wants']) expect(list(ask, 'Unit', key), key).toEqual([]);
    expect(list(ask, 'Install', 'WantedBy')).toEqual(['cryptvm.service']);
    // Its wait is bounded by boot_wait (the daemon) and by cryptvm wait itself, which may be longer than systemd's default.
    expect(single(ask, 'Service', 'TimeoutStartSec')).toBe('infinity');
  });
});
