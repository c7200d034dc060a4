/**
 * Role vm-services (group services) run by the engine on this machine (Debian 12, local connection) in --check mode
 * only: it must not change this machine. Shows what the role decides on a real host: Docker's source for Debian 12,
 * the mounts with vm_share none, and the checks that fail clearly (no virtiofs device, no Docker here).
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseInventory } from '../../lib/inventory/load.ts';
import { buildSchema } from '../../lib/inventory/schema.ts';
import type { RunEvent } from '../../lib/runner/events.ts';
import type { RunOptions } from '../../lib/runner/options.ts';
import { planRun } from '../../lib/runner/plan.ts';
import { runPlay } from '../../lib/runner/run-play.ts';
import { guestDefaults } from '../../roles/vm-services/defaults.ts';
import { cloudInitBusy } from '../../roles/vm-services/guest-steps.ts';
import { vmServices } from '../../roles/vm-services/index.ts';
import { datasetMounts } from '../../roles/vm-services/mounts.ts';
import { Notes } from '../../roles/vm-services/notes.ts';
import { check, rejects, shOk } from '../helpers/steps.ts';

const t = suite('vm-services: inside the VM, on this machine, --check only');
type StepEvent = Extract<RunEvent, { type: 'step' }>;
const osRelease = readFileSync('/etc/os-release', 'utf8');
const codename = /^VERSION_CODENAME=(.*)$/m.exec(osRelease)?.[1] ?? '';

async function checkRun(vars: Record<string, string>, tags: string[]) {
  const inv = `all:\n  children:\n    services:\n      hosts:\n        box:\n          ansible_connection: local\n${Object.entries(vars).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`).join('\n')}\n`;
  const opts: RunOptions = { inventory: 'inv.yml', envFile: '.env', check: true, diff: false, tags, skipTags: [], limit: [], verbosity: 0, json: true, yes: false, forks: 1, logDir: '', extra: {} };
  const plans = planRun(parseInventory(inv, 'inv.yml', buildSchema([vmServices])), [vmServices], { file: '.env', exists: false, values: {} }, opts);
  const events: RunEvent[] = [];
  const { exitCode } = await runPlay(plans, { playbook: 'vm-services', checkMode: true, diff: false, yes: false, forks: 1 }, (e) => events.push(e));
  const steps = events.filter((e): e is StepEvent => e.type === 'step' && !(e.status === 'skipped' && e.message?.startsWith('not tagged')));
  return { exitCode, steps, step: (title: string) => steps.find((s) => s.title === title) };
}

t('Docker on Debian 12: auto is refused before anything, saying why and what to set', async () => {
  if (codename !== 'bookworm') return; // the test machine is Debian 12 (see README); elsewhere the decision differs
  const r = await checkRun({}, ['docker']);
  assert.is(r.exitCode, 2);
  assert.is(r.steps[0]!.title, 'Docker source');
  assert.is(
    r.steps[0]!.message,
    "Debian bookworm's docker-compose is Compose v1 (1.29), and bookworm-backports has no Compose v2: set vm_docker_source: docker-repo (Docker's apt repository for Debian), or use Debian 13 (trixie), whose docker-compose is v2",
  );
});

t("Docker on Debian 12 from Docker's repository: the plan names the key, the source line and the packages", async () => {
  if (codename !== 'bookworm') return;
  const r = await checkRun({ vm_docker_source: 'docker-repo' }, ['docker']);
  assert.is(r.exitCode, 0, JSON.stringify(r.steps, null, 1));
  assert.is(r.step('Docker source')!.status, 'ok');
  assert.is(r.step("Docker's apt signing key")!.message, 'download https://download.docker.com/linux/debian/gpg to /etc/apt/keyrings/docker.asc (key 9DC858229FC7DD38854AE2D88D81803C0EBFCD88)');
  assert.is(r.step("Docker's apt repository")!.status, 'changed');
  assert.is(r.step("Docker Engine and Compose (Docker's packages)")!.message, 'install docker-ce, docker-ce-cli, containerd.io, docker-compose-plugin');
  assert.is(r.step("Docker Engine and Compose (Debian's packages)")!.message, "Docker comes from Docker's apt repository");
  assert.is(r.step('admin in the docker group')!.status, 'skipped', 'no admin user here: cannot tell before the changes above');
  assert.match(r.step('docker compose is Compose v2')!.message!, /^cannot tell before the changes above are made \(docker compose version does not answer as Compose v2/);
});

t('vm_share none: no fstab block, the mount points are local directories, and the role says so', async () => {
  const r = await checkRun({ vm_share: 'none' }, ['mounts']);
  assert.is(r.exitCode, 0);
  assert.is(r.step('Datasets mounted at /mnt/tank/appdata, /mnt/tank/backups, /mnt/tank/media, /mnt/tank/photos')!.status, 'ok', 'this machine has no such block in /etc/fstab');
  const notes = r.step('Notes')!;
  assert.is(notes.status, 'skipped');
  assert.is(notes.message, 'NOTE: vm_share is none: /mnt/tank/appdata, /mnt/tank/backups, /mnt/tank/media, /mnt/tank/photos are plain directories on the VM\'s own disk, not the pool\'s datasets');
});

t('vm_share virtiofs on a host without virtio-fs devices fails saying what to do', async () => {
  const hasVirtiofs = (await shOk('grep -lx 0x001a /sys/bus/virtio/devices/*/device 2>/dev/null | wc -l')).trim() !== '0';
  if (hasVirtiofs) return;
  const step = datasetMounts({ ...guestDefaults, vm_share: 'virtiofs' }, new Notes());
  await rejects(check(step), /the datasets are shared by virtiofs, but this VM has no virtiofs device: run role vm-services-create on the Proxmox host, then restart the VM \(qm reboot <vmid>\)/);
});

t('cloud-init: only "running" and "not started" are waited for', () => {
  assert.equal(['running', 'not started', 'done', 'error', 'disabled', 'absent'].map(cloudInitBusy), [true, true, false, false, false, false]);
});

t.run();
