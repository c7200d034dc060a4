/** Booting a VM host with QEMU (TCG) in the background, and stopping it again, by pid. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { consoleLog, hostDir, qemuLog, tapName, type LabConfig, type LabHost, type VmHost } from './config.ts';
import { LabError, which } from './exec.ts';
import { alive, cmdline, findProcesses, signal, waitGone } from './processes.ts';
import { qmpCommand } from './qmp.ts';
import { SEED_FW_CFG_NAME, seedTar } from './seed.ts';
import { diskFile, overlayFile } from './vm-disks.ts';
import type { VmImage } from './vm-image.ts';

const QEMU = 'qemu-system-x86_64';

/** Its path on QEMU's command line identifies the host's QEMU process. */
export const qemuPidFile = (cfg: LabConfig, host: LabHost): string => join(hostDir(cfg, host), 'qemu.pid');
export const qmpSocket = (cfg: LabConfig, host: LabHost): string => join(hostDir(cfg, host), 'qmp.sock');

/** QEMU's option syntax doubles commas inside a value. */
const opt = (path: string): string => path.replaceAll(',', ',,');

/**
 * TCG: KVM on the lab machines is a nested hypervisor that Debian kernels die in. -nodefaults: no emulated floppy,
 * CD-ROM, VGA or default NIC. net.ifnames=0 names the NIC eth0. The hostname and machine id go on the kernel command
 * line because systemd settles them before the seed unit runs.
 */
export function qemuArgs(cfg: LabConfig, host: VmHost, image: VmImage): string[] {
  const append = ['root=/dev/vda', 'rw', 'console=ttyS0', 'net.ifnames=0', `systemd.hostname=${host.name}`, `systemd.machine_id=${randomBytes(16).toString('hex')}`];
  const mac = `52:54:00:c8:${host.subnet.toString(16).padStart(2, '0')}:02`;
  const args = [
    '-name', `lab-${host.name}`,
    '-nodefaults',
    '-display', 'none',
    '-accel', 'tcg,thread=multi',
    '-cpu', 'max',
    '-m', String(host.vm.memoryMiB),
    '-smp', String(host.vm.cpus),
    '-kernel', image.kernel,
    '-initrd', image.initrd,
    '-append', append.join(' '),
    '-drive', `file=${opt(overlayFile(cfg, host))},if=none,id=root,format=qcow2`,
    '-device', 'virtio-blk-pci,drive=root',
  ];
  host.vm.disks.forEach((disk, i) => {
    args.push('-drive', `file=${opt(diskFile(cfg, host, disk))},if=none,id=disk${i},format=raw`, '-device', `virtio-blk-pci,drive=disk${i},serial=${disk.serial}`);
  });
  args.push(
    '-netdev', `tap,id=net0,ifname=${tapName(host)},script=no,downscript=no`,
    '-device', `virtio-net-pci,netdev=net0,mac=${mac}`,
    '-fw_cfg', `name=${SEED_FW_CFG_NAME},file=${opt(seedTar(cfg, host))}`,
    '-serial', `file:${consoleLog(cfg, host)}`,
    '-qmp', `unix:${opt(qmpSocket(cfg, host))},server=on,wait=off`,
    '-pidfile', qemuPidFile(cfg, host),
  );
  return args;
}

/** Starts QEMU detached from us; the guest's serial console goes to the console log, QEMU's messages to its own log. */
export function startVm(cfg: LabConfig, host: VmHost, image: VmImage): number {
  const program = which(QEMU);
  if (!program) throw new LabError(`${QEMU} is not installed (apt-get install qemu-system-x86)`);
  const log = qemuLog(cfg, host);
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, 'w');
  try {
    const child = spawn(program, qemuArgs(cfg, host, image), { detached: true, stdio: ['ignore', fd, fd] });
    if (!child.pid) throw new LabError(`${host.name}: ${QEMU} did not start`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

const isQemuOf = (cfg: LabConfig, host: LabHost, argv: string[]): boolean => new RegExp(`${QEMU}$`).test(argv[0] ?? '') && argv.includes(qemuPidFile(cfg, host));

/** Whether `pid` is the running QEMU of this host (a recorded pid may have been reused since). */
export function isHostVm(cfg: LabConfig, host: LabHost, pid: number): boolean {
  const argv = cmdline(pid);
  return !!argv && alive(pid) && isQemuOf(cfg, host, argv);
}

/** QEMU processes running this host, whether recorded or not (also when the config now makes it a container). */
export function findHostVms(cfg: LabConfig, host: LabHost): number[] {
  return findProcesses((argv) => isQemuOf(cfg, host, argv));
}

export type VmStopHow = 'powered off' | 'killed';

/** ACPI power button over QMP (systemd powers off; QEMU exits with the guest), SIGKILL when that takes too long. */
export async function stopVm(cfg: LabConfig, host: LabHost, pid: number, timeoutMs = 30_000): Promise<VmStopHow> {
  try {
    await qmpCommand(qmpSocket(cfg, host), 'system_powerdown');
    if (await waitGone(pid, timeoutMs)) return 'powered off';
  } catch {
    /* no monitor (QEMU starting or hung): kill it */
  }
  signal(pid, 'SIGKILL');
  if (!(await waitGone(pid, 5_000))) throw new LabError(`${QEMU} (pid ${pid}) did not exit after SIGKILL`);
  return 'killed';
}
