/**
 * The apr1 hash of the dashboard password, compared with the real `openssl passwd -apr1` on this machine, and the rule
 * that keeps the hash on the host stable from run to run.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCollect } from '../../lib/connectors/process.ts';
import { apr1Hash, apr1Salt, apr1SaltOf, apr1Verify } from '../../lib/crypto/apr1.ts';
import { basicAuthUsers, dashboardHash } from '../../roles/traefik/basic-auth.ts';
import { dashboardAuthYaml } from '../../roles/traefik/templates/dashboard.ts';

const t = suite('traefik: apr1 password hash');

/** openssl reads the password from stdin (one line), so it never appears on a command line. */
async function opensslApr1(password: string, salt: string): Promise<string> {
  const res = await spawnCollect('openssl', ['passwd', '-apr1', '-salt', salt, '-stdin'], { input: `${password}\n` });
  assert.is(res.code, 0, res.stderr);
  return res.stdout.trim();
}

t('the same hash as openssl passwd -apr1, for passwords of every length class and salts of 1 to 8 characters', async () => {
  const passwords = ['a', 'password', 'exactly16chars!!', 'seventeen chars!!', 'x'.repeat(33), 'çà€ unicode ünïcødé 🔑', 'with:colon and $dollar', 'P@ssw0rd-'.repeat(8)];
  const salts = ['s', 'ab', 'H6uskkkW', '12345678', './Az09.z', apr1Salt(), apr1Salt()];
  for (const [i, password] of passwords.entries()) {
    const salt = salts[i % salts.length]!;
    assert.is(apr1Hash(password, salt), await opensslApr1(password, salt), `password #${i} with salt ${salt}`);
  }
});

t("Traefik's documented example: test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/ is the hash of test", () => {
  assert.is(apr1Hash('test', 'H6uskkkW'), '$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/');
});

t('stable: same password and salt give the same hash; the right password verifies, a wrong one does not', () => {
  const hash = apr1Hash('correct horse battery', 'Zq9.x/Ab');
  assert.is(apr1Hash('correct horse battery', 'Zq9.x/Ab'), hash);
  assert.ok(apr1Verify('correct horse battery', hash));
  assert.not.ok(apr1Verify('correct horse batterY', hash));
  assert.not.ok(apr1Verify('correct horse battery', hash.replace('$apr1$', '$1$')), 'not an apr1 hash');
  assert.not.ok(apr1Verify('x', 'garbage'));
  assert.is(apr1SaltOf(hash), 'Zq9.x/Ab');
});

t('a new salt each time: 8 characters of the hash alphabet', () => {
  const a = apr1Salt();
  assert.match(a, /^[./0-9A-Za-z]{8}$/);
  assert.is.not(apr1Hash('pw', a), apr1Hash('pw', apr1Salt()));
});

t('the hash on the host is kept while the password matches, replaced when it changed or the user changed', () => {
  const onHost = dashboardAuthYaml('admin', apr1Hash('the-old-password', 'saltsalt'));
  assert.equal(basicAuthUsers(onHost), [`admin:${apr1Hash('the-old-password', 'saltsalt')}`]);
  assert.equal(dashboardHash(onHost, 'admin', 'the-old-password'), { hash: apr1Hash('the-old-password', 'saltsalt'), reused: true });
  const changed = dashboardHash(onHost, 'admin', 'a-new-password');
  assert.is(changed.reused, false);
  assert.ok(apr1Verify('a-new-password', changed.hash));
  assert.is(dashboardHash(onHost, 'root', 'the-old-password').reused, false, 'another user name');
  assert.is(dashboardHash(undefined, 'admin', 'pw').reused, false, 'no file yet');
  assert.is(dashboardHash('not: [valid', 'admin', 'pw').reused, false, 'a file that does not parse');
});

t.run();
