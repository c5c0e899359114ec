// A throwaway PKI made with the real openssl CLI (EC P-256: fast): a CA, a server certificate for
// 127.0.0.1/localhost, a client certificate, an expired server certificate (`x509 -req -days -1` gives
// notAfter a day before notBefore on OpenSSL 3 — no faketime needed) and a server certificate from another CA.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pair {
  cert: string;
  key: string;
  certPem: Buffer;
  keyPem: Buffer;
}

export interface TestCa {
  dir: string;
  /** CA certificate (PEM file path and contents). */
  ca: string;
  caPem: Buffer;
  server: Pair;
  client: Pair;
  expiredServer: Pair;
  /** A client certificate of the right CA whose validity ended. */
  expiredClient: Pair;
  /** Signed by the right CA, but for another name (DNS:elsewhere.test only). */
  wrongNameServer: Pair;
  /** Server certificate signed by a different CA (otherCa). */
  foreignServer: Pair;
  otherCa: string;
  cleanup(): void;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const ssl = (args: string[]): void => void execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=cryptvm test ${name}`]);
  return { cert, key };
}

function issue(dir: string, name: string, ca: { cert: string; key: string }, ext: string, days: number): Pair {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, `${ext}\n`);
  ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  ssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', String(days), '-extfile', extFile, '-out', cert]);
  chmodSync(key, 0o600);
  return { cert, key, certPem: readFileSync(cert), keyPem: readFileSync(key) };
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'cryptvm-ca-'));
  const ca = makeCa(dir, 'ca');
  const other = makeCa(dir, 'other-ca');
  const serverExt = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth';
  return {
    dir,
    ca: ca.cert,
    caPem: readFileSync(ca.cert),
    server: issue(dir, 'server', ca, serverExt, 30),
    client: issue(dir, 'client', ca, 'extendedKeyUsage=clientAuth', 30),
    expiredServer: issue(dir, 'expired', ca, serverExt, -1),
    expiredClient: issue(dir, 'expired-client', ca, 'extendedKeyUsage=clientAuth', -1),
    wrongNameServer: issue(dir, 'wrongname', ca, 'subjectAltName=DNS:elsewhere.test\nextendedKeyUsage=serverAuth', 30),
    foreignServer: issue(dir, 'foreign', other, serverExt, 30),
    otherCa: other.cert,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
