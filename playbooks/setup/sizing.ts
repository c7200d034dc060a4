/** Defaults the wizard derives: the VM's size from the Proxmox host's RAM and CPUs, addresses from the LAN. */
import { isCidr, parseIPv4 } from '../../lib/net/cidr.ts';

const GIB = 1024;

/** min(max(RAM/2, 4 GiB), RAM − 3 GiB), rounded down to 512 MiB, at least 512 MiB (vm-services-create's minimum). */
export function vmMemoryMiB(hostMiB: number): number {
  const wanted = Math.min(Math.max(hostMiB / 2, 4 * GIB), hostMiB - 3 * GIB);
  return Math.max(512, Math.floor(wanted / 512) * 512);
}

/** One core left to the host, at least 2. */
export function vmCores(cpus: number): number {
  return Math.max(2, cpus - 1);
}

export function ipFromInt(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** 192.168.1.10 → 192.168.1.0/24 (a home LAN is a /24 nearly always; the person can change it). */
export function cidrAround(ip: string, bits = 24): string {
  const n = parseIPv4(ip);
  if (n === undefined) return '192.168.1.0/24';
  const size = 2 ** (32 - bits);
  return `${ipFromInt(Math.floor(n / size) * size)}/${bits}`;
}

function network(cidr: string): { base: number; size: number } | undefined {
  if (!isCidr(cidr)) return undefined;
  const [ip, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return { base: Math.floor(parseIPv4(ip!)! / size) * size, size };
}

/** The network's .1 (most home routers). */
export function defaultGateway(cidr: string): string {
  const net = network(cidr);
  return net && net.size > 2 ? ipFromInt(net.base + 1) : '192.168.1.1';
}

/** The network's .20, or the next address that is not taken. */
export function defaultVmIp(cidr: string, taken: string[]): string {
  const net = network(cidr);
  if (!net || net.size < 32) return '192.168.1.20';
  for (let i = 20; i < net.size - 1; i++) {
    const ip = ipFromInt(net.base + i);
    if (!taken.includes(ip)) return ip;
  }
  return ipFromInt(net.base + 20);
}

export function prefixLength(cidr: string): number {
  return Number(cidr.split('/')[1] ?? 24);
}
