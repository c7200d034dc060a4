/**
 * Kernel options and modules for the iGPU (Intel HD 530): GVT-g mediated devices or full passthrough, both behind
 * the IOMMU. Pure functions over the text of /etc/kernel/cmdline, /proc/cmdline and the role's own files.
 */
import type { IgpuMode } from '../defaults.ts';

/** The options each mode needs on the kernel command line. */
export function kernelOptions(mode: IgpuMode): string[] {
  if (mode === 'gvt-g') return ['intel_iommu=on', 'iommu=pt', 'i915.enable_gvt=1'];
  if (mode === 'passthrough') return ['intel_iommu=on', 'iommu=pt'];
  return [];
}

/** The keys the role owns on a command line: another value of these is replaced, an unwanted one removed. */
export const MANAGED_KEYS = ['intel_iommu', 'iommu', 'i915.enable_gvt'];

const keyOf = (token: string) => token.split('=', 1)[0]!;

/** Splits a kernel command line into its words; a double-quoted value (`a="b c"`) stays one word. */
export function splitCmdline(line: string): string[] {
  return line.trim().match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
}

/**
 * The command line with the wanted options: each managed key that is wanted gets the wanted value (first occurrence
 * replaced, later ones dropped, missing ones appended), managed keys that are not wanted are dropped; every other
 * word is kept in its place.
 */
export function mergeCmdline(line: string, wanted: string[]): string {
  const wantedByKey = new Map(wanted.map((t) => [keyOf(t), t]));
  const placed = new Set<string>();
  const words: string[] = [];
  for (const word of splitCmdline(line)) {
    const key = keyOf(word);
    if (!MANAGED_KEYS.includes(key)) {
      words.push(word);
      continue;
    }
    const want = wantedByKey.get(key);
    if (want === undefined || placed.has(key)) continue;
    words.push(want);
    placed.add(key);
  }
  for (const [key, token] of wantedByKey) if (!placed.has(key)) words.push(token);
  return words.join(' ');
}

/** The words of a command line that the role manages and that differ from what `wanted` asks for. */
export function cmdlineDifference(line: string, wanted: string[]): { missing: string[]; unwanted: string[] } {
  const words = splitCmdline(line);
  const missing = wanted.filter((t) => !words.includes(t));
  const unwanted = words.filter((w) => MANAGED_KEYS.includes(keyOf(w)) && !wanted.includes(w));
  return { missing, unwanted };
}

/**
 * The new content of /etc/kernel/cmdline (Proxmox reads its first line only), or null when it already holds the
 * options. Lines after the first are kept as they are.
 */
export function editKernelCmdlineFile(text: string, wanted: string[]): string | null {
  const [first = '', ...rest] = text.split('\n');
  const merged = mergeCmdline(first, wanted);
  if (merged === first) return null;
  const tail = rest.join('\n');
  return `${merged}\n${tail === '' ? '' : tail.endsWith('\n') ? tail : `${tail}\n`}`;
}

/**
 * A command line for /etc/kernel/cmdline built from the running one, as proxmox-boot-tool does when the file is
 * missing: without the boot loader's own words (BOOT_IMAGE=, initrd=).
 */
export function cmdlineFromProc(procCmdline: string): string {
  return splitCmdline(procCmdline)
    .filter((w) => !/^(BOOT_IMAGE|initrd)=/.test(w))
    .join(' ');
}

export const GRUB_DROP_IN = '/etc/default/grub.d/media-server-home.cfg';

/**
 * A GRUB defaults snippet: update-grub (grub-mkconfig) sources /etc/default/grub and then /etc/default/grub.d/*.cfg
 * with sh, so appending to the variable keeps the options set there.
 */
export function grubDropIn(mode: IgpuMode): string {
  return `# Managed by media-server-home (role proxmox-host): kernel options for the iGPU (igpu_mode ${mode}).
# Read by update-grub after /etc/default/grub; takes effect at the next boot.
GRUB_CMDLINE_LINUX_DEFAULT="\${GRUB_CMDLINE_LINUX_DEFAULT} ${kernelOptions(mode).join(' ')}"
`;
}

export const MODULES_LOAD_FILE = '/etc/modules-load.d/media-server-home-igpu.conf';
export const MODPROBE_FILE = '/etc/modprobe.d/media-server-home-igpu.conf';

/** Linux merged vfio_virqfd into vfio in 6.2; older kernels need it listed. */
export function needsVfioVirqfd(kernel: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernel);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < 6 || (major === 6 && minor < 2);
}

/** The modules to load at boot for a mode; empty for none. */
export function igpuModules(mode: IgpuMode, kernel: string): string[] {
  if (mode === 'none') return [];
  const vfio = ['vfio', 'vfio_iommu_type1', 'vfio_pci', ...(needsVfioVirqfd(kernel) ? ['vfio_virqfd'] : [])];
  return mode === 'gvt-g' ? ['kvmgt', ...vfio] : vfio;
}

export function modulesLoadConf(mode: IgpuMode, kernel: string): string {
  return `# Managed by media-server-home (role proxmox-host): modules for the iGPU (igpu_mode ${mode}), loaded at boot.\n${igpuModules(mode, kernel).join('\n')}\n`;
}

/** With passthrough, keeps the host's i915 driver off the iGPU so vfio-pci can take it (the host loses its console). */
export const I915_BLACKLIST = `# Managed by media-server-home (role proxmox-host): igpu_mode passthrough with igpu_blacklist_i915.
# The host's i915 driver stays off the iGPU so vfio-pci can take it for the VM; the host has no local console.
blacklist i915
`;
