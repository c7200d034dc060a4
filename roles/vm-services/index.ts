/**
 * The services VM, in two roles (a role runs on one inventory group):
 * - vm-services-create (group pve): the Ubuntu cloud image, the VM created or adopted with qm, started, SSH awaited;
 * - vm-services (group services): inside the VM, hostname, time zone, packages, the datasets' mounts, Docker + Compose v2.
 * Every step of both carries the tag vm-services, so --tags vm-services runs both.
 */
import { defineRole } from '../../lib/api/role.ts';
import { apt, directory, download, file, group, link } from '../../lib/modules/index.ts';
import { createDefaults, createDocs, guestDefaults, guestDocs } from './defaults.ts';
import { dockerSteps } from './docker.ts';
import { cloudInitDone, hostname, quickSyncDevice } from './guest-steps.ts';
import { datasetMounts, sharedDatasets } from './mounts.ts';
import { Notes, notesStep } from './notes.ts';
import { imagePath, validateCreate, validateGuest } from './settings.ts';
import { verifyCreate, verifyGuest } from './verify.ts';
import { imageHint, vmDefinition, vmDiskSize, vmFitsHost, vmRestart, vmRunning, type PendingState } from './vm-steps.ts';
import { sshAnswers } from './wait-ssh.ts';

const TAGS = ['vm-services'];

export const vmServicesCreate = defineRole({
  name: 'vm-services-create',
  description: 'The services VM on the Proxmox host: Ubuntu 24.04 cloud image, qm create (or adopt and reconcile), start, wait for SSH',
  hosts: 'pve',
  defaults: createDefaults,
  docs: createDocs,
  validate: validateCreate,
  flags: [{ name: 'restart-vm', type: 'boolean', description: 'Restart the services VM (qm reboot) when settings wait for a restart (memory, cores, devices), then wait for SSH again.' }],
  steps(v, flags) {
    const notes = new Notes();
    const pending: PendingState = { pending: [] };
    return [
      vmFitsHost(v),
      directory({ title: 'Image directory', path: v.vm_image_dir, tags: ['image', ...TAGS] }),
      imageHint(v, download({ title: 'Ubuntu 24.04 cloud image', url: v.vm_image_url, dest: imagePath(v), sha256: v.vm_image_sha256, mode: '0644', timeoutSeconds: 3600, tags: ['image', ...TAGS] })),
      vmDefinition(v, notes),
      vmDiskSize(v, notes),
      vmRunning(v, pending),
      vmRestart(v, pending, flags['restart-vm'] === true),
      sshAnswers({ vmid: v.vm_id, ip: v.vm_ip, ports: [...new Set([v.ssh_port, 22])], timeoutSec: v.vm_boot_timeout_seconds }),
      notesStep(notes, ['vm', ...TAGS]),
    ];
  },
  verify: verifyCreate,
});

export const vmServices = defineRole({
  name: 'vm-services',
  description: 'Inside the services VM: hostname, time zone, packages, the datasets mounted (virtiofs or NFS), render group, Docker Engine + Compose v2',
  hosts: 'services',
  defaults: guestDefaults,
  docs: guestDocs,
  validate: validateGuest,
  steps(v) {
    const notes = new Notes();
    return [
      cloudInitDone(),
      hostname(v.vm_name),
      link({ title: 'Time zone', path: '/etc/localtime', target: `/usr/share/zoneinfo/${v.timezone}`, tags: ['timezone', ...TAGS] }),
      file({ title: 'Time zone recorded', path: '/etc/timezone', content: `${v.timezone}\n`, mode: '0644', owner: 'root', group: 'root', tags: ['timezone', ...TAGS] }),
      ...(v.vm_packages.length ? [apt({ title: 'VM packages', packages: v.vm_packages, tags: ['packages', ...TAGS] })] : []),
      ...sharedDatasets(v).map((d) => directory({ title: `Mount point ${d.path}`, path: d.path, tags: ['mounts', ...TAGS] })),
      datasetMounts(v, notes),
      group({ title: 'Group render', name: 'render', system: true, tags: ['quicksync', ...TAGS] }),
      quickSyncDevice(v.vm_require_dri, notes),
      ...dockerSteps(v),
      // Tagged like the steps that add notes, so that --tags mounts or quicksync still shows them.
      notesStep(notes, ['mounts', 'quicksync', ...TAGS]),
    ];
  },
  verify: verifyGuest,
});
