/**
 * The docker-stack deploy against the lab's real Docker engine when a container never gets healthy: the run must fail
 * naming that container with its last log lines, then converge once the image is right again. The images are the
 * lab's STAND-INS (files/lab/standin-images: no registry is reachable here), one of which never answers its healthcheck.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { STANDIN_IMAGES } from './config.ts';
import { runPlaybook } from './converge.ts';
import { defaultLabConfig as cfg } from './lab.ts';
import { useLab } from './use-lab.ts';

const t = suite('lab: docker-stack fails naming the unhealthy container');
useLab(t);

/** The lab inventory with only the media part, a short health timeout and, optionally, Jellyfin's image replaced. */
function inventory(jellyfinImage: string): string {
  const file = join(cfg.stateDir, 'docker-stack-health-inventory.yml');
  const lab = readFileSync(cfg.inventoryFile, 'utf8').replace(/^ {10}(images|stack_profiles|stack_health_timeout_seconds): .*\n/gm, '');
  const images = JSON.stringify({ ...STANDIN_IMAGES, jellyfin: jellyfinImage });
  writeFileSync(file, lab.replace(/^( {10}stack_pull: false\n)/m, `$1          images: ${images}\n          stack_profiles: ["media", "proxy"]\n          stack_health_timeout_seconds: 60\n`));
  return file;
}

t('a container that never gets healthy fails the run, named with its last log lines; the right image converges', async () => {
  const bad = await runPlaybook('docker-stack', inventory('msh-lab/never-healthy:standin'));
  assert.is(bad.exitCode, 2, bad.stderr);
  assert.match(bad.stderr, /jellyfin/);
  assert.match(bad.stderr, /after 60s/);
  assert.match(bad.stderr, /lab stand-in that never gets healthy: nothing listens here/);
  assert.match(bad.stderr, /second log line/);

  const good = await runPlaybook('docker-stack', inventory(STANDIN_IMAGES['jellyfin']!));
  assert.is(good.exitCode, 0, good.stderr);
  assert.ok(good.changedSteps.some((s) => s.includes('Stack up and healthy')), `the stack was redeployed: ${good.changedSteps.join('; ')}`);
  const again = await runPlaybook('docker-stack', inventory(STANDIN_IMAGES['jellyfin']!));
  assert.is(again.changed, 0, `a rerun changes nothing: ${again.changedSteps.join('; ')}`);
});

t.run();
