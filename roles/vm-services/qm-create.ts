/** The `qm create` command of a new services VM: pure, so --check can print exactly what will run. */
import type { createDefaults } from './defaults.ts';
import { ipconfig0 } from './settings.ts';

type V = typeof createDefaults;

export interface CreateInputs {
  /** The cloud image on the Proxmox host, imported as the boot disk. */
  image: string;
  /** A file on the host holding the public keys (`qm create --sshkeys` reads a file). */
  keysFile: string;
  /** Directory-mapping ids for virtiofs0, virtiofs1, … */
  virtiofs: string[];
  /** hostpci0 value of the iGPU, or undefined. */
  igpu: string | undefined;
}

/**
 * The words of `qm create`: q35 with the host's CPU type; the cloud image imported as scsi0 (it is grown to vm_disk_gib
 * by a later `qm resize`); a cloud-init drive with the user, keys and static address; a serial console, which Ubuntu's
 * cloud images expect; the guest agent; started with the host.
 */
export function qmCreateArgs(v: V, c: CreateInputs): string[] {
  const args = [
    'qm', 'create', String(v.vm_id),
    '--name', v.vm_name,
    '--ostype', 'l26',
    '--machine', 'q35',
    '--cpu', 'host',
    '--sockets', '1',
    '--cores', String(v.vm_cores),
    '--memory', String(v.vm_memory_mib),
    '--scsihw', 'virtio-scsi-single',
    '--scsi0', `${v.vm_storage}:0,import-from=${c.image},discard=on,iothread=1`,
    '--ide2', `${v.vm_storage}:cloudinit`,
    '--boot', 'order=scsi0',
    '--serial0', 'socket',
    '--vga', 'serial0',
    '--agent', '1',
    '--net0', `virtio,bridge=${v.vm_bridge}`,
    '--ciuser', v.vm_user,
    '--sshkeys', c.keysFile,
    '--ipconfig0', ipconfig0(v),
  ];
  if (v.vm_dns.length) args.push('--nameserver', v.vm_dns.join(' '));
  args.push('--onboot', '1');
  c.virtiofs.forEach((id, i) => args.push(`--virtiofs${i}`, `${id},cache=auto`));
  if (c.igpu) args.push('--hostpci0', c.igpu);
  return args;
}
