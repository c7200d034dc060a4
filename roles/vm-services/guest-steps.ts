/** Inside the VM, before Docker: cloud-init finished, hostname, time zone, the QuickSync device. */
import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { cmd, shq } from '../../lib/connectors/shell.ts';
import type { Notes } from './notes.ts';

const TAGS = ['vm-services'];
/** On first boot cloud-init upgrades packages (Proxmox's user-data asks for it): apt is busy until it is done. */
const CLOUD_INIT_TIMEOUT_SEC = 1200;

export const cloudInitProbe = 'if command -v cloud-init >/dev/null 2>&1; then cloud-init status 2>/dev/null | sed -n "s/^status: //p"; else echo absent; fi';

/** Whether the first boot is still being set up: `cloud-init status` says "running" or "not started". */
export const cloudInitBusy = (status: string) => /^(running|not started)$/m.test(status.trim());

export function cloudInitDone(): Step {
  return {
    title: 'cloud-init has finished',
    tags: TAGS,
    probe: cloudInitProbe,
    check(ctx, probe): Change | null {
      const status = (probe?.stdout ?? '').trim();
      if (!cloudInitBusy(status)) {
        ctx.log(status === 'absent' ? 'no cloud-init on this host' : `cloud-init: ${status}`);
        return null;
      }
      return { summary: `wait up to ${CLOUD_INIT_TIMEOUT_SEC / 60} min for cloud-init to finish the first boot (cloud-init status --wait)` };
    },
    async apply(ctx) {
      const res = await ctx.conn.run(`timeout ${CLOUD_INIT_TIMEOUT_SEC} cloud-init status --wait >/dev/null 2>&1; echo "rc=$?"`, { timeoutMs: (CLOUD_INIT_TIMEOUT_SEC + 60) * 1000 });
      if (/rc=124/.test(res.stdout)) {
        throw new Error(`cloud-init is still running after ${CLOUD_INIT_TIMEOUT_SEC / 60} min: see cloud-init status --long and /var/log/cloud-init-output.log in the VM`);
      }
    },
  };
}

export function hostname(name: string): Step {
  return {
    title: `Hostname ${name}`,
    tags: TAGS,
    probe: 'hostname; cat /etc/hostname 2>/dev/null',
    check(_ctx, probe): Change | null {
      const [running = '', file = ''] = (probe?.stdout ?? '').split('\n').map((l) => l.trim());
      if (running === name && file === name) return null;
      return { summary: `set the hostname to ${name} (now ${running || '(none)'}${file !== running ? `, /etc/hostname ${file || '(none)'}` : ''})` };
    },
    async apply(ctx) {
      const script = ctx.facts.systemd ? cmd('hostnamectl', 'set-hostname', name) : `echo ${shq(name)} > /etc/hostname && ${cmd('hostname', name)}`;
      assertOk(await ctx.conn.run(script), `setting the hostname to ${name}`);
    },
  };
}

/** /dev/dri/renderD* is what Jellyfin and Immich use for QuickSync. Absent: noted, or fails with vm_require_dri. */
export function quickSyncDevice(require: boolean, notes: Notes): Step {
  return {
    title: 'QuickSync device /dev/dri',
    tags: ['quicksync', ...TAGS],
    probe: 'ls /dev/dri 2>/dev/null | tr "\\n" " "',
    check(ctx, probe) {
      const found = (probe?.stdout ?? '').trim();
      if (/\brenderD\d+\b/.test(found)) {
        ctx.log(`/dev/dri: ${found}`);
        return null;
      }
      const why = `there is no /dev/dri/renderD* in ${ctx.host}: the iGPU is not attached to the VM (see the notes of role vm-services-create: the Proxmox host may need its reboot, then the VM a restart)`;
      if (require) throw new Error(`${why}; or set vm_require_dri: false to go on without QuickSync`);
      notes.add(`${why} — Jellyfin and Immich will transcode on the CPU`);
      return null;
    },
    apply: async () => undefined,
  };
}
