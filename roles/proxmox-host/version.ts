/** Which Proxmox VE release a host runs, from the first line of `pveversion` (facts.pveVersion). */
import type { Facts } from '../../lib/facts/facts.ts';
import { parsePveVersion, type PveVersion } from '../../lib/facts/pve-version.ts';

/** The Debian release each supported Proxmox VE major version is built on. */
export const DEBIAN_OF_PVE: Record<number, string> = { 8: 'bookworm', 9: 'trixie' };

export interface PveRelease extends PveVersion {
  codename: string;
}

/**
 * The release of a Proxmox VE host, cross-checked with /etc/os-release; throws saying what is wrong and the fix:
 * not Proxmox, an unsupported major version, or a codename that does not match (an unfinished upgrade).
 */
export function pveRelease(host: string, facts: Pick<Facts, 'pveVersion' | 'osCodename'>): PveRelease {
  if (facts.pveVersion.trim() === '') {
    throw new Error(
      `${host} is not a Proxmox VE host: \`pveversion\` is missing or prints nothing. Role proxmox-host is for the Proxmox VE host only: the inventory group 'pve' must hold just that host — move ${host} to another group`,
    );
  }
  const v = parsePveVersion(facts.pveVersion);
  if (!v) throw new Error(`${host}: cannot read the Proxmox VE version from pveversion's "${facts.pveVersion.trim()}" (expected pve-manager/<version>/<id> …)`);
  const codename = DEBIAN_OF_PVE[v.major];
  if (!codename) {
    throw new Error(`${host} runs Proxmox VE ${v.version}: this role supports Proxmox VE 8 (Debian bookworm) and 9 (Debian trixie) — upgrade the host first`);
  }
  if (facts.osCodename !== codename) {
    throw new Error(
      `${host}: pveversion says Proxmox VE ${v.version}, which is built on Debian ${codename}, but /etc/os-release says "${facts.osCodename || 'no codename'}" — an unfinished upgrade? Finish it (apt-get dist-upgrade, reboot) and run again`,
    );
  }
  return { ...v, codename };
}

/** `when` helper: the step applies to this Proxmox major version only. */
export function onPveMajor(major: number) {
  return (f: Facts): true | string => (parsePveVersion(f.pveVersion)?.major === major ? true : `not Proxmox VE ${major}`);
}
