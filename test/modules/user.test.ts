import { existsSync, statSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { group, user } from '../../lib/modules/index.ts';
import { check, rejects, runStep, sh } from '../helpers/steps.ts';

const test = suite('user');
const NAME = 'msh-test-user';
const SYS = 'msh-test-sysuser';
const G1 = 'msh-test-media';
const G2 = 'msh-test-render';
const UID = 47321;

const passwd = async (name: string) => (await sh(`getent passwd ${name}`)).stdout.trim();
const groupsOf = async (name: string) => (await sh(`id -Gn ${name}`)).stdout.trim().split(' ');
const cleanup = async () => {
  await sh(`for u in ${NAME} ${SYS}; do userdel -r $u 2>/dev/null; done; for g in ${G1} ${G2} ${NAME} ${SYS}; do groupdel $g 2>/dev/null; done; rm -rf /home/${NAME} /srv/${NAME}; true`);
};

test.before(async () => {
  await cleanup();
  await runStep(group({ name: G1 }));
  await runStep(group({ name: G2 }));
});
test.after(cleanup);

test('creates a user with uid, shell, groups and a home directory', async () => {
  const step = user({ name: NAME, uid: UID, shell: '/bin/bash', groups: [G1] });
  const { change } = await runStep(step);
  assert.is(change?.summary, `create user ${NAME} (uid ${UID}, shell /bin/bash, groups ${G1})`);
  assert.is(await passwd(NAME), `${NAME}:x:${UID}:${UID}::/home/${NAME}:/bin/bash`);
  assert.ok((await groupsOf(NAME)).includes(G1));
  assert.ok(statSync(`/home/${NAME}`).isDirectory());
  assert.is(statSync(`/home/${NAME}`).uid, UID);
  assert.is(await check(step), null);
});

test('appends supplementary groups and keeps the others', async () => {
  const step = user({ name: NAME, groups: [G2] });
  assert.is((await runStep(step)).change?.summary, `update user ${NAME}: add to groups ${G2}`);
  const groups = await groupsOf(NAME);
  assert.ok(groups.includes(G1) && groups.includes(G2), groups.join(' '));
  assert.is(await check(user({ name: NAME, groups: [G1, G2] })), null);
});

test('changes shell, home and uid of an existing user', async () => {
  const step = user({ name: NAME, uid: UID + 1, shell: '/bin/sh', home: `/srv/${NAME}` });
  const { change } = await runStep(step);
  assert.is(change?.summary, `update user ${NAME}: uid ${UID} → ${UID + 1}, home /home/${NAME} → /srv/${NAME}, shell /bin/bash → /bin/sh`);
  assert.is(await passwd(NAME), `${NAME}:x:${UID + 1}:${UID}::/srv/${NAME}:/bin/sh`);
});

test('a system user gets a system uid and no home directory by default', async () => {
  await runStep(user({ name: SYS, system: true, home: `/var/lib/${SYS}`, shell: '/usr/sbin/nologin' }));
  const uid = Number((await passwd(SYS)).split(':')[2]);
  assert.ok(uid > 0 && uid < 1000, `system uid ${uid}`);
  assert.not.ok(existsSync(`/var/lib/${SYS}`));
});

test('a missing group fails with useradd’s message', async () => {
  await rejects(runStep(user({ name: `${NAME}2`, groups: ['msh-test-no-such-group'] })), /useradd: group 'msh-test-no-such-group' does not exist/);
  assert.is(await passwd(`${NAME}2`), '');
});

test('state absent deletes the user', async () => {
  const step = user({ name: SYS, state: 'absent' });
  assert.is((await runStep(step)).change?.summary, `delete user ${SYS}`);
  assert.is(await passwd(SYS), '');
  assert.is(await check(step), null);
});

test.run();
