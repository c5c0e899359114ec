// The validated, resolved configuration: what the rest of the daemon consumes. Produced by config/load.ts.

export interface DaemonConfig {
  libvirtUri: string;
  /** How long boot holds libvirtd back waiting for human passphrases before READY=1 anyway. */
  bootWaitMs: number;
  /** Per guest: graceful ACPI shutdown time before the guest's on_timeout action. */
  shutdownTimeoutMs: number;
  parallelShutdown: number;
  /** Upper bound on concurrent unlocks (PBKDF is CPU and memory bound); 0 = derive from cores and memory. */
  parallelUnlock: number;
  /** Persistent state (keyslot hints), mode 0700. */
  stateDir: string;
}

export type KeySourceSpec =
  | { kind: 'keyfile'; path: string }
  | { kind: 'credential'; name: string }
  | { kind: 'prompt' }
  /** "token" or "token:TYPE" (systemd-tpm2, systemd-fido2, systemd-pkcs11): cryptsetup --token-only. */
  | { kind: 'token'; tokenType: string | undefined }
  /** "clevis" (alias "tang"): clevis luks unlock — Tang, TPM2, sss policies bound with clevis luks bind. */
  | { kind: 'clevis' }
  /** "https:URL": a Vault/OpenBao KV v2 style key server; settings in [key_server]. */
  | { kind: 'https'; url: string };

/** [key_server]: how https: sources authenticate and what they accept. */
export interface KeyServerConfig {
  /** PEM bundle the server certificate must chain to; required when any https: source exists. */
  ca: string;
  /** Token (Vault/OpenBao X-Vault-Token) read from a root-only file … */
  tokenFile: string | undefined;
  /** … or from a systemd credential of the service. */
  tokenCredential: string | undefined;
  /** Client certificate authentication (PEM files, the key root-only). */
  clientCert: string | undefined;
  clientKey: string | undefined;
  /** Field of the KV v2 secret's data that holds the key (default "passphrase"). */
  field: string;
  connectTimeoutMs: number;
  timeoutMs: number;
  /** Reply bodies larger than this are refused (default 64 KiB). */
  maxBytes: number;
  /** Log in first (Vault/OpenBao AppRole or TLS certificate auth) and read with the token it returns. */
  login?: VaultLogin;
  /** Vault Enterprise / OpenBao namespace, sent as X-Vault-Namespace on every request. */
  namespace?: string;
  /** KV secrets engine version of the URLs: 2 (default) answers data.data.<field>, 1 answers data.<field>. */
  kvVersion?: 1 | 2;
}

/** Where a login secret (role_id, secret_id) is read from: a root-only file or a systemd credential. */
export type SecretRef = { file: string } | { credential: string };

export type VaultLogin =
  /** POST /v1/auth/<mount>/login {role_id, secret_id}. */
  | { method: 'approle'; mount: string; roleId: SecretRef; secretId: SecretRef }
  /** POST /v1/auth/<mount>/login {name?} over TLS with the [key_server] client certificate. */
  | { method: 'cert'; mount: string; role: string | undefined };

export interface MountConfig {
  where: string;
  options: string;
  /** Filesystem type for mount -t; undefined lets mount probe. */
  type: string | undefined;
}

export interface VolumeConfig {
  name: string;
  /** As written: a path, or UUID=…, PARTUUID=…, LABEL=… */
  device: string;
  /** When set, the LUKS header's UUID must match. */
  uuid: string | undefined;
  keys: KeySourceSpec[];
  passphraseGroup: string | undefined;
  discard: boolean;
  readonly: boolean;
  header: string | undefined;
  /** Wrong passphrases accepted per prompt before giving up for this boot (until `cryptvm unlock`). */
  tries: number;
  deviceTimeoutMs: number;
  /** Never ask a human for this volume (drop prompt sources; `cryptvm unlock` still may). */
  headless: boolean;
  /** token: how long to wait for the token's device (TPM, FIDO2 key) before falling through. */
  tokenTimeoutMs: number;
  /** clevis/https: total time for one source, including waiting for the network with backoff. */
  networkTimeoutMs: number;
  mount: MountConfig | undefined;
  /** 1-based line of the [[volume]] table in the config file, for messages. */
  line: number;
}

export type OnTimeout = 'destroy' | 'managedsave';

export interface GuestConfig {
  name: string;
  autostart: boolean;
  /** Guests this one starts after (and stops before). */
  after: string[];
  /** Wait this long after the guests in `after` started before starting this one. */
  delayMs: number;
  onTimeout: OnTimeout;
  shutdownTimeoutMs: number;
  /** Volumes listed explicitly; the domain XML adds more at run time. */
  volumes: string[];
  line: number;
}

/** [metrics]: Prometheus exposition written for node_exporter's textfile collector. */
export interface MetricsConfig {
  /** Absolute path of the .prom file; undefined = no metrics. */
  textfile: string | undefined;
}

/** [notify]: a program run (argv, no shell) when a host needs a person or a guest was lost. */
export interface NotifyConfig {
  command: string[] | undefined;
  /** The command is killed after this long. */
  timeoutMs: number;
}

export interface Config {
  path: string;
  daemon: DaemonConfig;
  keyServer: KeyServerConfig | undefined;
  volumes: VolumeConfig[];
  guests: GuestConfig[];
  /** Absent in hand-built configs (tests): no metrics, no notify. */
  metrics?: MetricsConfig;
  notify?: NotifyConfig;
}
