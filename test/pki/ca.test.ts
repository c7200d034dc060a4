/** The local CA for real: openssl and node:crypto on files in a temporary directory. */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { caExtensions, caFiles, createCa, fixCaModes, inspectCa, newPrivateKeyPem } from '../../lib/pki/ca.ts';
import { dnsNameWithin, namesOutside, permittedDnsNames } from '../../lib/pki/name-constraints.ts';
import { openssl } from '../../lib/pki/openssl.ts';
import { removeTempDir, tempDir } from '../helpers/steps.ts';

const t = suite('pki: local CA');
const mode = (p: string) => statSync(p).mode & 0o777;
const spec = { commonName: 'media-server-home local CA (test/box+1)', days: 3650, permittedDns: ['home.arpa'] };
let base: string;

t.before.each(() => {
  base = tempDir('msh-ca-');
});
t.after.each(() => removeTempDir(base));

t('created once: directory 0700, key 0600, a 10-year CA certificate with the constraints the brief asks for', async () => {
  const files = caFiles(join(base, 'secrets', 'ca'));
  assert.equal(inspectCa(files), { kind: 'absent' });
  await createCa(files, spec);
  assert.is(mode(files.dir), 0o700);
  assert.is(mode(files.key), 0o600);
  const cert = new X509Certificate(readFileSync(files.cert));
  assert.ok(cert.ca);
  const subject = await openssl(['x509', '-noout', '-subject', '-nameopt', 'multiline', '-in', files.cert], 'test');
  assert.match(subject, /commonName\s+= media-server-home local CA \(test\/box\+1\)$/m, '/ and + in the name reach the certificate as they are');
  const years = (new Date(cert.validTo).getTime() - Date.now()) / (365.25 * 86_400_000);
  assert.ok(years > 9.9 && years < 10.1, `valid ${years} years`);
  const text = await openssl(['x509', '-noout', '-text', '-in', files.cert], 'test');
  assert.match(text, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
  assert.match(text, /Name Constraints: critical\s+Permitted:\s+DNS:home\.arpa\s+Excluded:\s+IP:0\.0\.0\.0\/0\.0\.0\.0/);
  assert.match(text, /ASN1 OID: prime256v1/);
  assert.equal(await permittedDnsNames(files.cert), ['home.arpa']);
  // The work files of openssl are gone: only the key and the certificate remain.
  assert.equal(readdir(files.dir), ['ca.crt', 'ca.key']);
});

t('reused: a second inspection finds it as it is, and creating again is refused', async () => {
  const files = caFiles(join(base, 'ca'));
  await createCa(files, spec);
  const before = readFileSync(files.cert);
  const state = inspectCa(files);
  assert.is(state.kind, 'present');
  assert.equal(state.kind === 'present' && state.looseModes, []);
  try {
    await createCa(files, spec);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /already holds a CA: it is never replaced/);
  }
  assert.ok(readFileSync(files.cert).equals(before));
});

t('loose modes are found and narrowed, the key untouched', async () => {
  const files = caFiles(join(base, 'ca'));
  await createCa(files, spec);
  const key = readFileSync(files.key);
  chmodSync(files.dir, 0o755);
  chmodSync(files.key, 0o644);
  const state = inspectCa(files);
  assert.equal(state.kind === 'present' && state.looseModes, [`${files.dir} 0755 → 0700`, `${files.key} 0644 → 0600`]);
  fixCaModes(files);
  assert.is(mode(files.dir), 0o700);
  assert.is(mode(files.key), 0o600);
  assert.ok(readFileSync(files.key).equals(key));
});

t('a broken CA is reported with the way out, never replaced: half missing, wrong key, not a CA', async () => {
  const files = caFiles(join(base, 'ca'));
  await createCa(files, spec);
  renameSync(files.key, `${files.key}.bak`);
  assert.throws(() => inspectCa(files), /the local CA is incomplete: .*ca\.crt exists but .*ca\.key does not — restore .* from a backup, or move .* away to make a new CA/);
  writeFileSync(files.key, newPrivateKeyPem(), { mode: 0o600 });
  assert.throws(() => inspectCa(files), /ca\.key is not the key of .*ca\.crt/);
  rmSync(files.key);
  renameSync(`${files.key}.bak`, files.key);
  // A leaf certificate where the CA should be.
  const leaf = join(base, 'leaf');
  await openssl(['req', '-new', '-x509', '-key', files.key, '-days', '10', '-subj', '/CN=leaf', '-config', writeConfig(), '-extensions', 'leaf', '-out', leaf], 'test');
  writeFileSync(files.cert, readFileSync(leaf));
  assert.throws(() => inspectCa(files), /is not a CA certificate/);
  assert.ok(existsSync(files.key), 'nothing was deleted');
});

t('name constraints: a base allows itself and the names under it, nothing else', () => {
  assert.ok(dnsNameWithin('jellyfin.home.arpa', 'home.arpa'));
  assert.ok(dnsNameWithin('home.arpa', 'home.arpa'));
  assert.ok(dnsNameWithin('A.Home.Arpa', 'home.arpa'));
  assert.not.ok(dnsNameWithin('evilhome.arpa', 'home.arpa'));
  assert.not.ok(dnsNameWithin('home.arpa', '.home.arpa'), 'a leading dot allows only names under it');
  assert.equal(namesOutside(['a.home.arpa', 'b.example.com'], ['home.arpa']), ['b.example.com']);
  assert.equal(namesOutside(['b.example.com'], undefined), [], 'no constraints: anything');
  assert.match(caExtensions([]), /^(?![\s\S]*nameConstraints)/, 'no permitted names: no constraint');
});

t('without openssl the error says to install it', async () => {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    await openssl(['version'], 'making the CA');
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /making the CA: the openssl command is not installed on this machine \(the controller\): install it/);
  } finally {
    process.env.PATH = path;
  }
});

const readdir = (dir: string) => readdirSync(dir).sort();

function writeConfig(): string {
  const path = join(base, 'leaf.cnf');
  writeFileSync(path, '[req]\ndistinguished_name = dn\n[dn]\n[leaf]\nbasicConstraints = critical, CA:FALSE\n');
  return path;
}

t.run();
