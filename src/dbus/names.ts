// Well-known names of the cryptvm D-Bus API (shared by the service, the CLI and the bus policy file).
export const BUS_NAME = 'org.cryptvm.Manager1';
export const OBJECT_PATH = '/org/cryptvm/Manager1';
export const INTERFACE = 'org.cryptvm.Manager1';
/** Errors are `org.cryptvm.Error.<CryptvmError code>`. */
export const ERROR_PREFIX = 'org.cryptvm.Error.';
