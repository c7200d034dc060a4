/**
 * Where the role's steps read and write on the host, and the commands they run. The role uses HOST_PATHS; tests
 * build the same steps on temporary paths of this machine (and the lab's proxmox-boot-tool SIMULATOR).
 */
import { GRUB_DROP_IN, MODPROBE_FILE, MODULES_LOAD_FILE } from './templates/kernel-cmdline.ts';
import { SOURCES_DIR } from './templates/repos.ts';

export interface HostPaths {
  /** /etc/apt/sources.list.d */
  sourcesDir: string;
  /** The systemd-boot command line Proxmox's proxmox-boot-tool reads. */
  kernelCmdline: string;
  grubDropIn: string;
  modulesLoad: string;
  modprobe: string;
  /** Present while boot files were changed but the command that applies them has not finished yet. */
  bootApplyPending: string;
  initramfsPending: string;
  proxmoxBootTool: string;
  updateGrub: string;
  updateInitramfs: string;
}

export const HOST_PATHS: HostPaths = {
  sourcesDir: SOURCES_DIR,
  kernelCmdline: '/etc/kernel/cmdline',
  grubDropIn: GRUB_DROP_IN,
  modulesLoad: MODULES_LOAD_FILE,
  modprobe: MODPROBE_FILE,
  bootApplyPending: '/var/lib/media-server-home/proxmox-host-boot-apply-pending',
  initramfsPending: '/var/lib/media-server-home/proxmox-host-initramfs-pending',
  proxmoxBootTool: 'proxmox-boot-tool',
  updateGrub: 'update-grub',
  updateInitramfs: 'update-initramfs',
};
