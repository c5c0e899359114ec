// `cryptvm doctor` on the [key_server] certificates, made with the real openssl CLI (test/helpers/test-ca.ts):
// a valid CA bundle, one about to expire, an expired client certificate, a file with no certificate, a
// missing file. Each finding names the config key, the file and the certificate.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFindings, EXPIRY_WARNING_DAYS } from '../../../src/cli/certificates.js';
import type { KeyServerConfig } from '../../../src/config/types.js';
import { hasOpenssl, makeTestCa, type TestCa } from '../../helpers/test-ca.js';

const DAY = 24 * 60 * 60 * 1000;
const server = (over: Partial<KeyServerConfig>): KeyServerConfig => ({
  ca: '/nonexistent', tokenFile: undefined, tokenCredential: undefined, clientCert: undefined, clientKey: undefined,
  field: 'passphrase', connectTimeoutMs: 5000, timeoutMs: 15000, maxBytes: 65536, ...over,
});

describe.skipIf(!hasOpenssl())('doctor: key server certificates', () => {
  let pki: TestCa;
  beforeAll(() => {
    pki = makeTestCa(); // the CA and the good certificates are valid for 30 days, the expired one ended yesterday
  });
  afterAll(() => pki?.cleanup());

  it('nothing to say without [key_server], or while the certificates have more than 30 days left', () => {
    expect(certificateFindings(undefined)).toEqual([]);
    const longLived = join(pki.dir, 'year.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(pki.dir, 'year.key'),
      '-out', longLived, '-days', '365', '-subj', '/CN=a year'], { stdio: 'ignore' });
    expect(certificateFindings(server({ ca: longLived, clientCert: longLived }))).toEqual([]);
    // The same file checked as if it were 340 days later: 25 days left.
    expect(certificateFindings(server({ ca: longLived }), Date.now() + 340 * DAY)).toEqual([
      expect.objectContaining({ level: 'note', what: expect.stringContaining('certificate "CN=a year" expires in 24 day(s)') }),
    ]);
  });

  it(`a certificate ending within ${EXPIRY_WARNING_DAYS} days is a note with the days left; an expired one a problem`, () => {
    const f = certificateFindings(server({ ca: pki.ca, clientCert: pki.expiredServer.cert }));
    expect(f).toHaveLength(2);
    expect(f[0]).toMatchObject({ level: 'note', what: expect.stringMatching(new RegExp(`^key_server\\.ca ${pki.ca}: certificate "CN=cryptvm test ca" expires in (29|30) day\\(s\\), on `)) });
    expect(f[1]).toMatchObject({
      level: 'problem',
      what: expect.stringMatching(new RegExp(`^key_server\\.client_cert ${pki.expiredServer.cert}: certificate "CN=expired" expired on .*: https: key sources fail their TLS handshake`)),
      fix: expect.stringContaining('renew the certificate'),
    });
  });

  it('every certificate of a CA bundle is checked; a file without one, or missing, is a problem', () => {
    const bundle = join(pki.dir, 'bundle.pem');
    writeFileSync(bundle, Buffer.concat([pki.caPem, pki.expiredServer.certPem]));
    expect(certificateFindings(server({ ca: bundle })).map((x) => x.level)).toEqual(['note', 'problem']);
    const junk = join(pki.dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    expect(certificateFindings(server({ ca: junk }))).toEqual([{ level: 'problem', what: `key_server.ca ${junk}: no PEM certificate in it`, fix: 'point it at a PEM file (-----BEGIN CERTIFICATE-----)' }]);
    expect(certificateFindings(server({ ca: join(pki.dir, 'gone.pem') }))[0]).toMatchObject({ level: 'problem', what: expect.stringContaining('cannot read it (ENOENT)') });
  });
});
