import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { group } from '../../lib/modules/index.ts';
import { check, rejects, runStep, sh } from '../helpers/steps.ts';

const test = suite('group');
const NAME = 'msh-test-group';
const GID = 47123;

const getent = async (name: string) => (await sh(`getent group ${name}`)).stdout.trim();
const cleanup = async () => {
  await sh(`groupdel ${NAME} 2>/dev/null; groupdel ${NAME}-sys 2>/dev/null; true`);
};

test.before(cleanup);
test.after(cleanup);

test('creates a group with a gid, then reports no change', async () => {
  const step = group({ name: NAME, gid: GID });
  const { change } = await runStep(step);
  assert.is(change?.summary, `create group ${NAME} (gid ${GID})`);
  assert.is(await getent(NAME), `${NAME}:x:${GID}:`);
  assert.is(await check(step), null);
});

test('changes the gid of an existing group', async () => {
  const { change } = await runStep(group({ name: NAME, gid: GID + 1 }));
  assert.is(change?.summary, `change gid of group ${NAME}: ${GID} → ${GID + 1}`);
  assert.is(await getent(NAME), `${NAME}:x:${GID + 1}:`);
  assert.is(await check(group({ name: NAME })), null, 'no gid: any gid will do');
});

test('creates a system group with a gid from the system range', async () => {
  await runStep(group({ name: `${NAME}-sys`, system: true }));
  const gid = Number((await getent(`${NAME}-sys`)).split(':')[2]);
  assert.ok(gid > 0 && gid < 1000, `system gid ${gid}`);
});

test('state absent deletes the group', async () => {
  const step = group({ name: NAME, state: 'absent' });
  assert.is((await runStep(step)).change?.summary, `delete group ${NAME}`);
  assert.is(await getent(NAME), '');
  assert.is(await check(step), null);
});

test('a taken gid fails with groupadd’s message', async () => {
  await rejects(runStep(group({ name: NAME, gid: 0 })), /create group msh-test-group \(gid 0\) failed \(exit 4\): groupadd: GID '0' already exists/);
  assert.throws(() => group({ name: 'bad name' }), /not a valid group name/);
});

test.run();
