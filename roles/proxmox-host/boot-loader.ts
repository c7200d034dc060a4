/**
 * Kernel options through the boot loader Proxmox uses, detected with `proxmox-boot-tool status`:
 * - ESPs managed by proxmox-boot-tool with systemd-boot ("uefi": UEFI + ZFS root): /etc/kernel/cmdline, then
 *   `proxmox-boot-tool refresh`;
 * - ESPs managed by proxmox-boot-tool with GRUB (legacy BIOS + ZFS root, or Secure Boot): a GRUB defaults drop-in,
 *   then `proxmox-boot-tool refresh` (which runs update-grub on each ESP);
 * - no managed ESP (ext4/xfs root: GRUB from the root disk): the drop-in, then `update-grub`.
 */
import type { Change, Step } from '../../lib/api/step.ts';
import { shq } from '../../lib/connectors/shell.ts';
import { fileStateProbe, parseFileState, type FileState } from '../../lib/modules/file-state.ts';
import { writesDiff, writeThenRun, type FileWrite } from './apply-files.ts';
import type { IgpuMode } from './defaults.ts';
import type { HostPaths } from './paths.ts';
import { sections } from '../../lib/modules/probe-sections.ts';
import { cmdlineDifference, cmdlineFromProc, editKernelCmdlineFile, grubDropIn, kernelOptions, mergeCmdline } from './templates/kernel-cmdline.ts';

export type Loader = 'systemd-boot' | 'grub';

export interface BootToolStatus {
  /** proxmox-boot-tool keeps ESPs (/etc/kernel/proxmox-boot-uuids exists). */
  managed: boolean;
  esps: { uuid: string; loaders: Loader[] }[];
}

/**
 * Reads `proxmox-boot-tool status` (stdout and stderr together) and its exit code; `undefined` output means the tool
 * is not installed. Exit 2 with "E: /etc/kernel/proxmox-boot-uuids does not exist." means no ESP is managed.
 */
export function parseBootToolStatus(output: string | undefined, code: number): BootToolStatus {
  if (output === undefined) return { managed: false, esps: [] };
  if (code === 2 || /proxmox-boot-uuids does not exist/.test(output)) return { managed: false, esps: [] };
  if (code !== 0) throw new Error(`proxmox-boot-tool status failed (exit ${code}): ${lastLines(output)}`);
  const esps: BootToolStatus['esps'] = [];
  for (const line of output.split('\n')) {
    const m = /^([0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}) is configured with: (.*)$/.exec(line.trim());
    if (!m) continue;
    const loaders: Loader[] = [];
    if (/\b(uefi|systemd-boot)\b/.test(m[2]!)) loaders.push('systemd-boot');
    if (/\bgrub\b/.test(m[2]!)) loaders.push('grub');
    if (loaders.length) esps.push({ uuid: m[1]!, loaders });
  }
  if (esps.length === 0) {
    throw new Error(
      `proxmox-boot-tool manages ESPs (/etc/kernel/proxmox-boot-uuids exists) but none could be read: ${lastLines(output)} — check \`proxmox-boot-tool status\` (and \`proxmox-boot-tool clean\` for ESPs of removed disks)`,
    );
  }
  return { managed: true, esps };
}

export interface BootTargets {
  /** Write the options into /etc/kernel/cmdline (systemd-boot). */
  kernelCmdline: boolean;
  /** Write the GRUB drop-in. */
  grub: boolean;
  /** The command that puts them into the boot loader's configuration. */
  command: 'refresh' | 'update-grub';
  describe: string;
}

export function bootTargets(status: BootToolStatus, updateGrubInstalled: boolean): BootTargets {
  if (status.managed) {
    const has = (l: Loader) => status.esps.some((e) => e.loaders.includes(l));
    const loaders = [has('systemd-boot') ? 'systemd-boot' : '', has('grub') ? 'GRUB' : ''].filter(Boolean).join(' and ');
    return { kernelCmdline: has('systemd-boot'), grub: has('grub'), command: 'refresh', describe: `${loaders} on ESPs managed by proxmox-boot-tool` };
  }
  if (updateGrubInstalled) return { kernelCmdline: false, grub: true, command: 'update-grub', describe: 'GRUB (no ESP managed by proxmox-boot-tool)' };
  throw new Error(
    'cannot tell how this host boots: proxmox-boot-tool manages no ESP (/etc/kernel/proxmox-boot-uuids is missing) and update-grub is not installed — on Proxmox VE one of them is: check `proxmox-boot-tool status`',
  );
}

interface BootProbe {
  bootTool?: { output: string; code: number };
  updateGrub: boolean;
  procCmdline: string;
  kernelCmdline: FileState;
  grubDropIn: FileState;
  pending: boolean;
}

function bootProbe(p: HostPaths): string {
  return [
    `if command -v ${shq(p.proxmoxBootTool)} >/dev/null 2>&1; then echo @@pbt; ${shq(p.proxmoxBootTool)} status 2>&1; echo "@@pbt-rc $?"; fi`,
    `if command -v ${shq(p.updateGrub)} >/dev/null 2>&1; then echo @@update-grub; fi`,
    'echo @@proc; cat /proc/cmdline',
    `echo @@kernel-cmdline; ${fileStateProbe(p.kernelCmdline, true)}`,
    `echo @@grub-drop-in; ${fileStateProbe(p.grubDropIn, true)}`,
    `echo @@pending; if [ -e ${shq(p.bootApplyPending)} ]; then echo yes; fi`,
  ].join('\n');
}

function parseBootProbe(stdout: string): BootProbe {
  const s = sections(stdout);
  const pbt = s.get('pbt');
  return {
    bootTool: pbt ? { output: pbt.body, code: Number(s.get('pbt-rc')?.value ?? 1) } : undefined,
    updateGrub: s.has('update-grub'),
    procCmdline: s.get('proc')?.body.trim() ?? '',
    kernelCmdline: parseFileState(`${s.get('kernel-cmdline')?.body ?? ''}\n`),
    grubDropIn: parseFileState(`${s.get('grub-drop-in')?.body ?? ''}\n`),
    pending: (s.get('pending')?.body ?? '').trim() === 'yes',
  };
}

interface BootChange extends Change {
  writes: FileWrite[];
  command?: string;
}

const text = (f: FileState) => (f.kind === 'file' ? (f.content?.toString('utf8') ?? '') : '');

/** The step that puts the iGPU's kernel options into the boot loader's configuration. */
export function bootOptionsStep(mode: IgpuMode, p: HostPaths): Step {
  const wanted = kernelOptions(mode);
  return {
    title: `Kernel options for the iGPU (igpu_mode ${mode})`,
    tags: ['boot'],
    probe: bootProbe(p),
    check(_ctx, probe): BootChange | null {
      const found = parseBootProbe(probe?.stdout ?? '');
      const status = () => parseBootToolStatus(found.bootTool?.output, found.bootTool?.code ?? 0);
      const writes: FileWrite[] = [];
      let targets: BootTargets | undefined;
      if (mode === 'none') {
        // The role's own drop-in goes; /etc/kernel/cmdline is left alone (the role cannot tell its words from yours).
        if (found.grubDropIn.kind !== 'absent') writes.push({ path: p.grubDropIn, content: null, existing: found.grubDropIn, summary: `remove ${p.grubDropIn}` });
        if (writes.length || found.pending) {
          const s = status();
          targets = s.managed || found.updateGrub ? bootTargets(s, found.updateGrub) : undefined;
        }
      } else {
        targets = bootTargets(status(), found.updateGrub);
        if (targets.kernelCmdline) {
          const w = kernelCmdlineWrite(p.kernelCmdline, found.kernelCmdline, found.procCmdline, wanted);
          if (w) writes.push(w);
        }
        const dropIn = grubDropIn(mode);
        if (targets.grub && text(found.grubDropIn) !== dropIn) {
          writes.push({ path: p.grubDropIn, content: dropIn, existing: found.grubDropIn, summary: `${found.grubDropIn.kind === 'absent' ? 'write' : 'update'} ${p.grubDropIn} (${wanted.join(' ')})` });
        }
        if (!targets.grub && found.grubDropIn.kind !== 'absent') {
          writes.push({ path: p.grubDropIn, content: null, existing: found.grubDropIn, summary: `remove ${p.grubDropIn} (this host does not boot with GRUB)` });
        }
      }
      if (writes.length === 0 && !found.pending) return null;
      const command = targets ? (targets.command === 'refresh' ? `${p.proxmoxBootTool} refresh` : p.updateGrub) : undefined;
      const phrases = writes.map((w) => w.summary);
      if (command) phrases.push(writes.length ? `run ${command}` : `run ${command} (an earlier run changed the boot files but did not finish it)`);
      const where = targets ? ` [${targets.describe}]` : '';
      return { summary: `${phrases.join(', ')}${where}; takes effect at the next boot`, diff: writesDiff(writes), writes, command };
    },
    async apply(ctx, change) {
      const c = change as BootChange;
      await writeThenRun(ctx, c.writes, c.command, p.bootApplyPending);
    },
  };
}

/** The new /etc/kernel/cmdline, or null when it already has the options. */
function kernelCmdlineWrite(path: string, state: FileState, procCmdline: string, wanted: string[]): FileWrite | null {
  if (state.kind === 'absent') {
    // proxmox-boot-tool falls back to the running command line without the file: start from that.
    const base = cmdlineFromProc(procCmdline);
    if (!/(^|\s)root=/.test(base)) throw new Error(`${path} is missing and the running kernel's command line has no root=: write ${path} by hand (one line, e.g. root=ZFS=rpool/ROOT/pve-1 boot=zfs)`);
    const merged = mergeCmdline(base, wanted);
    return { path, content: `${merged}\n`, existing: state, summary: `write ${path} from the running command line plus ${wanted.join(' ')}` };
  }
  if (state.kind !== 'file') throw new Error(`${path} is not a regular file: fix it by hand`);
  const current = text(state);
  const first = current.split('\n', 1)[0] ?? '';
  if (!/(^|\s)root=/.test(first)) throw new Error(`${path} has no root= on its first line, so proxmox-boot-tool refresh would refuse it: fix the file (one line, e.g. root=ZFS=rpool/ROOT/pve-1 boot=zfs)`);
  const edited = editKernelCmdlineFile(current, wanted);
  if (edited === null) return null;
  const diff = cmdlineDifference(first, wanted);
  const added = diff.missing.length ? `add ${diff.missing.join(' ')}` : '';
  const removed = diff.unwanted.length ? `remove ${diff.unwanted.join(' ')}` : '';
  return { path, content: edited, existing: state, summary: `${[added, removed].filter(Boolean).join(', ') || 'rewrite the options'} in ${path}` };
}

/** What the running kernel's command line lacks (or still has) compared with what the mode wants. */
export function runningCmdlineReasons(procCmdline: string, mode: IgpuMode): string[] {
  if (mode === 'none') return [];
  const { missing, unwanted } = cmdlineDifference(procCmdline, kernelOptions(mode));
  const reasons: string[] = [];
  if (missing.length) reasons.push(`the running kernel lacks ${missing.join(' ')}`);
  if (unwanted.length) reasons.push(`the running kernel still has ${unwanted.join(' ')}`);
  return reasons;
}


function lastLines(output: string): string {
  return output.trim().split('\n').slice(-4).join(' | ') || 'no output';
}
