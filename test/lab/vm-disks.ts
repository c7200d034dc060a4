/** A VM's disks for one run: a fresh qcow2 overlay of the baked image, and its extra disks made anew. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { hostDir, type LabConfig, type VmDisk, type VmHost } from './config.ts';
import { run } from './exec.ts';
import type { VmImage } from './vm-image.ts';

export const overlayFile = (cfg: LabConfig, host: VmHost): string => join(hostDir(cfg, host), 'root.qcow2');
export const diskFile = (cfg: LabConfig, host: VmHost, disk: VmDisk): string => join(hostDir(cfg, host), `disk-${disk.serial}.raw`);

/** The host's directory must exist. Extra disks are sparse raw files: blank, or with an ext4 filesystem. */
export async function createVmDisks(cfg: LabConfig, host: VmHost, image: VmImage): Promise<void> {
  const overlay = overlayFile(cfg, host);
  rmSync(overlay, { force: true });
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.image, '-F', 'qcow2', overlay]);
  for (const disk of host.vm.disks) {
    const file = diskFile(cfg, host, disk);
    rmSync(file, { force: true });
    await run('truncate', ['-s', `${disk.sizeMiB}M`, file]);
    if (disk.ext4) await run('mkfs.ext4', ['-q', '-F', '-L', disk.serial.slice(0, 16), file]);
  }
}
