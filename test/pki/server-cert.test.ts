/** The server certificate for real: issued with openssl from a CA in a temporary directory, checked, renewed. */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCollect } from '../../lib/connectors/process.ts';
import { caFiles, createCa, newPrivateKeyPem, type CaFiles } from '../../lib/pki/ca.ts';
import { dnsNamesOf, issueServerCert, reissueReasons, type ServerCertFiles } from '../../lib/pki/server-cert.ts';
import { removeTempDir, tempDir } from '../helpers/steps.ts';

const t = suite('pki: server certificate');
const NAMES = ['jellyfin.home.arpa', 'photos.home.arpa', 'grafana.home.arpa', 'traefik.home.arpa'];
let base: string;
let ca: CaFiles;
let files: ServerCertFiles;
const caCert = () => new X509Certificate(readFileSync(ca.cert));
const verify = (caFile: string, certFile: string) => spawnCollect('openssl', ['verify', '-purpose', 'sslserver', '-x509_strict', '-CAfile', caFile, certFile]);

t.before.each(async () => {
  base = tempDir('msh-cert-');
  ca = caFiles(join(base, 'ca'));
  await createCa(ca, { commonName: 'test CA', days: 3650, permittedDns: ['home.arpa'] });
  files = { cert: join(ca.dir, 'media-server.crt'), key: join(ca.dir, 'media-server.key') };
});
t.after.each(() => removeTempDir(base));

t('issued for every name (SANs), EC P-256 key 0600, 397 days, server auth only; openssl verify -CAfile accepts the chain', async () => {
  assert.equal(reissueReasons(files, caCert(), NAMES, 30), ['there is none yet']);
  await issueServerCert(ca, files, { dnsNames: NAMES, days: 397 });
  const cert = new X509Certificate(readFileSync(files.cert));
  assert.equal(dnsNamesOf(cert), [...NAMES].sort());
  assert.is(statSync(files.key).mode & 0o777, 0o600);
  assert.is(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const days = Math.round((new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / 86_400_000);
  assert.is(days, 397);
  assert.not.ok(cert.ca);
  assert.equal(cert.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: server authentication');
  const res = await verify(ca.cert, files.cert);
  assert.is(res.stdout.trim(), `${files.cert}: OK`, res.stderr);
  assert.equal(readdirSync(ca.dir).sort(), ['ca.crt', 'ca.key', 'media-server.crt', 'media-server.key'], 'no work files left behind');
});

t('reused while valid: nothing to do, and the files stay as they are', async () => {
  await issueServerCert(ca, files, { dnsNames: NAMES, days: 397 });
  const before = readFileSync(files.cert);
  assert.equal(reissueReasons(files, caCert(), [...NAMES].reverse(), 30), [], 'order does not matter');
  assert.ok(readFileSync(files.cert).equals(before));
});

t('renewed when the names change', async () => {
  await issueServerCert(ca, files, { dnsNames: NAMES, days: 397 });
  const wanted = [...NAMES.filter((n) => n !== 'grafana.home.arpa'), 'music.home.arpa'];
  assert.equal(reissueReasons(files, caCert(), wanted, 30), ['the names changed (+music.home.arpa, -grafana.home.arpa)']);
  const oldSerial = new X509Certificate(readFileSync(files.cert)).serialNumber;
  await issueServerCert(ca, files, { dnsNames: wanted, days: 397 });
  assert.equal(reissueReasons(files, caCert(), wanted, 30), []);
  assert.is.not(new X509Certificate(readFileSync(files.cert)).serialNumber, oldSerial);
});

t('renewed when it expires within 30 days (a certificate issued for 10 days)', async () => {
  await issueServerCert(ca, files, { dnsNames: NAMES, days: 10 });
  const reasons = reissueReasons(files, caCert(), NAMES, 30);
  assert.is(reasons.length, 1);
  assert.match(reasons[0]!, /^it expires in (9|10) days \(\d{4}-\d{2}-\d{2}\)$/);
  assert.equal(reissueReasons(files, caCert(), NAMES, 5), [], 'not yet with a 5-day margin');
  const later = new Date(Date.now() + 11 * 86_400_000);
  assert.match(reissueReasons(files, caCert(), NAMES, 30, later)[0]!, /^it expired on /);
});

t('renewed when the key does not match or another CA issued it', async () => {
  await issueServerCert(ca, files, { dnsNames: NAMES, days: 397 });
  writeFileSync(files.key, newPrivateKeyPem());
  assert.equal(reissueReasons(files, caCert(), NAMES, 30), ['its key does not match']);
  const other = caFiles(join(base, 'other'));
  await createCa(other, { commonName: 'other CA', days: 3650, permittedDns: [] });
  await issueServerCert(ca, files, { dnsNames: NAMES, days: 397 });
  assert.equal(reissueReasons(files, new X509Certificate(readFileSync(other.cert)), NAMES, 30), ['it was not issued by the current CA']);
  const res = await verify(other.cert, files.cert);
  assert.is.not(res.code, 0, 'openssl agrees: not its chain');
});

t('a name outside the CA\'s constraint is refused by openssl verify (permitted subtree violation)', async () => {
  await issueServerCert(ca, files, { dnsNames: ['jellyfin.home.arpa', 'www.example.com'], days: 397 });
  const res = await verify(ca.cert, files.cert);
  assert.is.not(res.code, 0);
  assert.match(res.stdout + res.stderr, /permitted subtree violation/);
});

t.run();
