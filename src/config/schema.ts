// The shape of cryptvm.toml as written (snake_case): types, required keys, enums and no unknown keys.
// Values are checked afterwards (resolve-*.ts), where safety problems refuse the file and out-of-range
// tuning values fall back to their defaults with a warning — a distinction zod has no words for.

import { z } from 'zod';

/** "90s", "2min", "1min30s", or a bare number of seconds. */
const duration = z.union([z.string(), z.number()]);

export const daemonSchema = z.strictObject({
  libvirt_uri: z.string().optional(),
  boot_wait: duration.optional(),
  shutdown_timeout: duration.optional(),
  parallel_shutdown: z.number().optional(),
  parallel_unlock: z.number().optional(),
  state_dir: z.string().optional(),
});

export const mountSchema = z.strictObject({
  where: z.string(),
  options: z.string().optional(),
  type: z.string().optional(),
});

export const volumeSchema = z.strictObject({
  name: z.string(),
  device: z.string(),
  uuid: z.string().optional(),
  keys: z.array(z.string()).optional(),
  passphrase_group: z.string().optional(),
  discard: z.boolean().optional(),
  readonly: z.boolean().optional(),
  header: z.string().optional(),
  tries: z.number().optional(),
  device_timeout: duration.optional(),
  mount: mountSchema.optional(),
});

export const guestSchema = z.strictObject({
  name: z.string(),
  autostart: z.boolean().optional(),
  after: z.array(z.string()).optional(),
  delay: duration.optional(),
  on_timeout: z.enum(['destroy', 'managedsave']).optional(),
  shutdown_timeout: duration.optional(),
  volumes: z.array(z.string()).optional(),
});

/** Top level: the tables themselves are checked one by one, so one bad [[volume]] hides nothing else. */
export const fileSchema = z.strictObject({
  daemon: z.record(z.string(), z.unknown()).optional(),
  volume: z.array(z.record(z.string(), z.unknown())).optional(),
  guest: z.array(z.record(z.string(), z.unknown())).optional(),
});

export type RawDaemon = z.infer<typeof daemonSchema>;
export type RawVolume = z.infer<typeof volumeSchema>;
export type RawGuest = z.infer<typeof guestSchema>;

/** Valid keys by table, for "did you mean" and the list shown when nothing is close. */
export const KNOWN_KEYS: Record<string, string[]> = {
  '': Object.keys(fileSchema.shape),
  daemon: Object.keys(daemonSchema.shape),
  volume: Object.keys(volumeSchema.shape),
  'volume.mount': Object.keys(mountSchema.shape),
  guest: Object.keys(guestSchema.shape),
};

/** How each value is written, for "how to fix it" hints. */
export const EXAMPLES: Record<string, string> = {
  name: 'name = "…"',
  device: 'device = "/dev/…" (or "UUID=…")',
  where: 'where = "/…"',
  mount: 'mount = { where = "/…" }',
  keys: 'keys = ["prompt"]',
  after: 'after = ["…"]',
  volumes: 'volumes = ["…"]',
  daemon: '[daemon]',
  volume: '[[volume]] (double brackets)',
  guest: '[[guest]] (double brackets)',
};
