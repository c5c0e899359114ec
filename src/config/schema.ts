// The shape of cryptvm.toml as written (snake_case): types, required keys, enums and no unknown keys.
// Values are checked afterwards (resolve-*.ts), where safety problems refuse the file and out-of-range
// tuning values fall back to their defaults with a warning — a distinction zod has no words for.

import { z } from 'zod/mini';

/** "90s", "2min", "1min30s", or a bare number of seconds. */
const duration = z.union([z.string(), z.number()]);

export const daemonSchema = z.strictObject({
  libvirt_uri: z.optional(z.string()),
  boot_wait: z.optional(duration),
  shutdown_timeout: z.optional(duration),
  parallel_shutdown: z.optional(z.number()),
  parallel_unlock: z.optional(z.number()),
  state_dir: z.optional(z.string()),
});

export const mountSchema = z.strictObject({
  where: z.string(),
  options: z.optional(z.string()),
  type: z.optional(z.string()),
});

export const volumeSchema = z.strictObject({
  name: z.string(),
  device: z.string(),
  uuid: z.optional(z.string()),
  keys: z.optional(z.array(z.string())),
  passphrase_group: z.optional(z.string()),
  discard: z.optional(z.boolean()),
  readonly: z.optional(z.boolean()),
  header: z.optional(z.string()),
  tries: z.optional(z.number()),
  device_timeout: z.optional(duration),
  headless: z.optional(z.boolean()),
  token_timeout: z.optional(duration),
  network_timeout: z.optional(duration),
  mount: z.optional(mountSchema),
});

export const keyServerSchema = z.strictObject({
  ca: z.optional(z.string()),
  token_file: z.optional(z.string()),
  token_credential: z.optional(z.string()),
  client_cert: z.optional(z.string()),
  client_key: z.optional(z.string()),
  field: z.optional(z.string()),
  connect_timeout: z.optional(duration),
  timeout: z.optional(duration),
  max_bytes: z.optional(z.number()),
  auth: z.optional(z.enum(['token', 'approle', 'cert'])),
  auth_mount: z.optional(z.string()),
  cert_role: z.optional(z.string()),
  role_id_file: z.optional(z.string()),
  role_id_credential: z.optional(z.string()),
  secret_id_file: z.optional(z.string()),
  secret_id_credential: z.optional(z.string()),
  namespace: z.optional(z.string()),
  kv_version: z.optional(z.number()),
});

export const metricsSchema = z.strictObject({
  textfile: z.optional(z.string()),
});

export const notifySchema = z.strictObject({
  command: z.optional(z.array(z.string())),
  timeout: z.optional(duration),
});

export const guestSchema = z.strictObject({
  name: z.string(),
  autostart: z.optional(z.boolean()),
  after: z.optional(z.array(z.string())),
  delay: z.optional(duration),
  on_timeout: z.optional(z.enum(['destroy', 'managedsave'])),
  shutdown_timeout: z.optional(duration),
  volumes: z.optional(z.array(z.string())),
});

/** Top level: the tables themselves are checked one by one, so one bad [[volume]] hides nothing else. */
export const fileSchema = z.strictObject({
  daemon: z.optional(z.record(z.string(), z.unknown())),
  key_server: z.optional(z.record(z.string(), z.unknown())),
  volume: z.optional(z.array(z.record(z.string(), z.unknown()))),
  guest: z.optional(z.array(z.record(z.string(), z.unknown()))),
  metrics: z.optional(z.record(z.string(), z.unknown())),
  notify: z.optional(z.record(z.string(), z.unknown())),
});

export type RawDaemon = z.infer<typeof daemonSchema>;
export type RawVolume = z.infer<typeof volumeSchema>;
export type RawKeyServer = z.infer<typeof keyServerSchema>;
export type RawGuest = z.infer<typeof guestSchema>;
export type RawMetrics = z.infer<typeof metricsSchema>;
export type RawNotify = z.infer<typeof notifySchema>;

/** Valid keys by table, for "did you mean" and the list shown when nothing is close. */
export const KNOWN_KEYS: Record<string, string[]> = {
  '': Object.keys(fileSchema.shape),
  daemon: Object.keys(daemonSchema.shape),
  key_server: Object.keys(keyServerSchema.shape),
  volume: Object.keys(volumeSchema.shape),
  'volume.mount': Object.keys(mountSchema.shape),
  guest: Object.keys(guestSchema.shape),
  metrics: Object.keys(metricsSchema.shape),
  notify: Object.keys(notifySchema.shape),
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
  key_server: '[key_server]',
  volume: '[[volume]] (double brackets)',
  guest: '[[guest]] (double brackets)',
  metrics: '[metrics]',
  notify: '[notify]',
  command: 'command = ["/usr/local/sbin/tell-admin"]',
};
