/** Proxmox VE's version, from the first line of `pveversion` (facts.pveVersion). */
export interface PveVersion {
  /** pve-manager's version as printed, e.g. "8.4.1" (or "7.4-3" on old releases). */
  version: string;
  major: number;
  minor: number;
  /** The running kernel pveversion reports, e.g. "6.8.12-9-pve"; "" when absent. */
  kernel: string;
}

/** "pve-manager/8.4.1/2a5fa54a8503f96d (running kernel: 6.8.12-9-pve)" → its parts; undefined when it is not that. */
export function parsePveVersion(line: string): PveVersion | undefined {
  const m = /^pve-manager\/((\d+)\.(\d+)[\d.-]*)\/[0-9a-f]+(?:\s+\(running kernel: ([^)\s]+)\))?/.exec(line.trim());
  if (!m) return undefined;
  return { version: m[1]!, major: Number(m[2]), minor: Number(m[3]), kernel: m[4] ?? '' };
}
