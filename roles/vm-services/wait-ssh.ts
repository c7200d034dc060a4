/** Waiting, from the Proxmox host, until SSH on the new VM answers: the VM booted and cloud-init set up its address. */
import type { Change, Step, StepContext } from '../../lib/api/step.ts';
import { shq } from '../../lib/connectors/shell.ts';

/** A TCP connect from the host to each port (bash's /dev/tcp, 3 s at most each); prints "open <port>" for those that answer. */
export function tcpProbe(ip: string, ports: number[]): string {
  return ports.map((p) => `if timeout 3 bash -c ${shq(`exec 3<>/dev/tcp/${ip}/${p}`)} 2>/dev/null; then echo "open ${p}"; fi`).join('\n');
}

export const openPorts = (stdout: string): number[] => [...stdout.matchAll(/^open (\d+)$/gm)].map((m) => Number(m[1]));

export interface WaitSettings {
  vmid: number;
  ip: string;
  /** sshd's port: ssh_port, and 22 (where a fresh cloud image's sshd listens; no role moves it, you may have). */
  ports: number[];
  timeoutSec: number;
  /** Pause between tries (shorter in tests). */
  intervalMs?: number;
}

export function waitMessage(s: WaitSettings): string {
  return (
    `the VM did not answer SSH on ${s.ip} (port ${s.ports.join(' or ')}) within ${s.timeoutSec}s. ` +
    `Look at its console on the Proxmox host: qm terminal ${s.vmid} (leave with Ctrl+O); in the VM, cloud-init status --long tells whether cloud-init ran. ` +
    `Check that vm_ip, vm_prefix_len and vm_gateway fit your LAN, that vm_bridge is the LAN bridge, and what qm cloudinit dump ${s.vmid} network says`
  );
}

export async function waitForSsh(ctx: StepContext, s: WaitSettings): Promise<number> {
  const deadline = Date.now() + s.timeoutSec * 1000;
  for (;;) {
    const res = await ctx.conn.run(tcpProbe(s.ip, s.ports));
    const open = openPorts(res.stdout);
    if (open.length) {
      ctx.log(`SSH answers on ${s.ip}:${open[0]}`);
      return open[0]!;
    }
    if (Date.now() >= deadline) throw new Error(waitMessage(s));
    await new Promise((r) => setTimeout(r, Math.min(s.intervalMs ?? 5000, Math.max(0, deadline - Date.now()))));
  }
}

export function sshAnswers(s: WaitSettings): Step {
  const where = `${s.ip}:${s.ports.join('/')}`;
  return {
    title: `SSH answers on the VM (${where})`,
    tags: ['vm', 'vm-services'],
    probe: tcpProbe(s.ip, s.ports),
    check: (_ctx, probe): Change | null => (openPorts(probe?.stdout ?? '').length ? null : { summary: `wait up to ${s.timeoutSec}s for SSH on ${where} (the VM boots, cloud-init sets its address)` }),
    async apply(ctx) {
      await waitForSsh(ctx, s);
    },
  };
}
