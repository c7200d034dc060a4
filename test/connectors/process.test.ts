import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCollect } from '../../lib/connectors/process.ts';

const t = suite('spawnCollect (real processes)');

t('output, exit code and stdin of a real program', async () => {
  const r = await spawnCollect('sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'hello' });
  assert.equal([r.stdout, r.stderr, r.code, r.timedOut], ['hello', 'err\n', 3, false]);
});

t('a timeout returns on time even when a background child keeps the output pipes open', async () => {
  const started = Date.now();
  const r = await spawnCollect('sh', ['-c', 'sleep 20 & echo started; wait'], { timeoutMs: 500 });
  const took = Date.now() - started;
  assert.is(r.timedOut, true);
  assert.ok(took < 5_000, `returned after ${took} ms, not when the 20 s sleep ended`);
});

t.run();
