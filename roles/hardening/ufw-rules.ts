import type { UfwRule } from '../../lib/modules/ufw.ts';

/** What UFW lets in on a host that is not Proxmox VE (the services VM); everything else is denied. */
export function ufwAllowRules(v: { lan_cidr: string; ssh_port: number }): UfwRule[] {
  return [
    { from: v.lan_cidr, port: String(v.ssh_port), proto: 'tcp' },
    { from: v.lan_cidr, port: '80,443', proto: 'tcp' },
    { on: 'tailscale0' },
    { port: '41641', proto: 'udp' },
    // node-exporter of the monitoring part runs in the host's network on docker0's address; Prometheus reaches it
    // from its container network (Docker's default address pools are in 172.16.0.0/12, as in the DOCKER-USER rules).
    { from: '172.16.0.0/12', port: '9100', proto: 'tcp' },
  ];
}
