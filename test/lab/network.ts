/**
 * The controller side of each host's network: the veth that nspawn --network-veth creates for a container (without
 * udev it cannot be told to use an existing interface), or a tap the lab creates for a VM's QEMU to attach to. The
 * host gets 10.200.N.2, the controller 10.200.N.1 and forwards between the lab's links (10.200.0.0/16); nothing is
 * routed beyond that.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { gatewayAddress, linkName, tapName, vethName, type LabConfig, type LabHost } from './config.ts';
import { LabError, run, sleep, tryRun } from './exec.ts';

export const linkExists = (name: string): boolean => existsSync(`/sys/class/net/${name}`);

/** Waits for nspawn to create the host's veth, or for `gone()` to report that nspawn died first. */
export async function waitForVeth(host: LabHost, timeoutMs: number, gone: () => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!linkExists(vethName(host))) {
    if (gone()) throw new LabError(`${host.name}: systemd-nspawn exited before creating ${vethName(host)}`);
    if (Date.now() > until) throw new LabError(`${host.name}: ${vethName(host)} did not appear within ${timeoutMs / 1000}s`);
    await sleep(20);
  }
}

/** A persistent tap (it outlives QEMU until `removeLinks`), so its address exists before QEMU starts. */
export async function createTap(host: LabHost): Promise<void> {
  await run('ip', ['tuntap', 'add', 'dev', tapName(host), 'mode', 'tap']);
}

/** Gives the controller side of the host's link its address and brings it up. */
export async function configureLink(cfg: LabConfig, host: LabHost): Promise<void> {
  const dev = linkName(host);
  await run('ip', ['addr', 'replace', `${gatewayAddress(cfg, host)}/24`, 'dev', dev]);
  await run('ip', ['link', 'set', dev, 'up']);
  // Forwarding between the lab's links only (per interface: the machine's other interfaces keep theirs).
  writeFileSync(`/proc/sys/net/ipv4/conf/${dev}/forwarding`, '1\n');
}

/** Removes the host's veth and tap if they are still there (a veth normally goes with the container). */
export async function removeLinks(host: LabHost): Promise<void> {
  for (const dev of [vethName(host), tapName(host)]) {
    if (!linkExists(dev)) continue;
    const res = await tryRun('ip', ['link', 'delete', dev]);
    if (res.code !== 0 && linkExists(dev)) throw new LabError(`cannot remove ${dev}: ${res.stderr.trim()}`);
  }
}

/** The lab's veths and taps that exist now. */
export function labLinks(cfg: LabConfig): string[] {
  return cfg.hosts.flatMap((h) => [vethName(h), tapName(h)]).filter(linkExists);
}
