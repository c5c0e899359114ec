// Builders for validated Config objects in unit tests (the loader itself is tested in test/*/config).
import type { Config, GuestConfig, VolumeConfig } from '../../src/config/types.js';

export function volume(name: string, over: Partial<VolumeConfig> = {}): VolumeConfig {
  return {
    name,
    device: `/dev/vg/${name}`,
    uuid: undefined,
    keys: [{ kind: 'prompt' }],
    passphraseGroup: undefined,
    discard: false,
    readonly: false,
    header: undefined,
    tries: 3,
    deviceTimeoutMs: 90_000,
    headless: false,
    tokenTimeoutMs: 30_000,
    networkTimeoutMs: 60_000,
    mount: undefined,
    line: 1,
    ...over,
  };
}

export function guest(name: string, over: Partial<GuestConfig> = {}): GuestConfig {
  return { name, autostart: true, after: [], delayMs: 0, onTimeout: 'destroy', shutdownTimeoutMs: 180_000, volumes: [], line: 1, ...over };
}

export function config(volumes: VolumeConfig[], guests: GuestConfig[], daemon: Partial<Config['daemon']> = {}): Config {
  return {
    path: '/etc/cryptvm/cryptvm.toml',
    daemon: {
      libvirtUri: 'qemu:///system',
      bootWaitMs: 120_000,
      shutdownTimeoutMs: 180_000,
      parallelShutdown: 4,
      parallelUnlock: 0,
      stateDir: '/var/lib/cryptvm',
      ready: 'unattended',
      ...daemon,
    },
    keyServer: undefined,
    volumes,
    guests,
  };
}
