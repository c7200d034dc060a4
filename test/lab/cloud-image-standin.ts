/**
 * A stand-in for the Ubuntu cloud image on the lab's pve: the Proxmox CLI simulator only reads a qcow2 header (the
 * virtual size), and the real image (600 MB from cloud-images.ubuntu.com) is out of reach here.
 */
import { createHash } from 'node:crypto';

/** A qcow2 header with the virtual size of the noble cloud image (3.5 GiB). */
export function cloudImageStandin(): Buffer {
  const buf = Buffer.alloc(4096);
  buf.write('QFI\xfb', 0, 'latin1');
  buf.writeUInt32BE(3, 4);
  buf.writeBigUInt64BE(3584n * 1024n * 1024n, 24);
  return buf;
}

export const cloudImageStandinSha256 = (): string => createHash('sha256').update(cloudImageStandin()).digest('hex');
