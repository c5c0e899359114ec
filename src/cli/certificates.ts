// `cryptvm doctor`: the [key_server] certificates. An expired CA or client certificate makes every https:
// source fail its TLS handshake, so headless volumes stay locked at the next boot: say so while there is time.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KeyServerConfig } from '../config/types.js';
import type { Finding } from './finding.js';

/** A certificate that expires within this many days is reported (a note; expired is a problem). */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export function certificateFindings(ks: KeyServerConfig | undefined, now = Date.now()): Finding[] {
  if (!ks) return [];
  const files: [string, string | undefined][] = [['ca', ks.ca], ['client_cert', ks.clientCert]];
  return files.flatMap(([key, path]) => (path ? fileFindings(`key_server.${key} ${path}`, path, now) : []));
}

function fileFindings(what: string, path: string, now: number): Finding[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return [{ level: 'problem', what: `${what}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, fix: 'create the file or correct the path in cryptvm.toml' }];
  }
  const blocks = text.match(PEM_CERT) ?? [];
  const out: Finding[] = [];
  let parsed = 0;
  for (const pem of blocks) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch {
      continue;
    }
    parsed++;
    const name = cert.subject.replace(/\n/g, ', ');
    const ends = Date.parse(cert.validTo);
    const starts = Date.parse(cert.validFrom);
    if (ends < now) {
      out.push({
        level: 'problem',
        what: `${what}: certificate "${name}" expired on ${cert.validTo}: https: key sources fail their TLS handshake and headless volumes stay locked`,
        fix: 'renew the certificate and replace the file (no reload needed: it is read at each unlock)',
      });
    } else if (starts > now) {
      out.push({ level: 'problem', what: `${what}: certificate "${name}" is not valid before ${cert.validFrom}`, fix: "check the host's clock, or the certificate" });
    } else if (ends - now < EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.floor((ends - now) / DAY_MS);
      out.push({ level: 'note', what: `${what}: certificate "${name}" expires in ${days} day(s), on ${cert.validTo}`, fix: 'renew it before then: https: key sources fail once it has expired' });
    }
  }
  if (parsed === 0) out.push({ level: 'problem', what: `${what}: no PEM certificate in it`, fix: 'point it at a PEM file (-----BEGIN CERTIFICATE-----)' });
  return out;
}
