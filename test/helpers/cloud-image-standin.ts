/**
 * A stand-in for the Ubuntu cloud image (600 MB from cloud-images.ubuntu.com, out of reach here): the Proxmox CLI
 * simulator only reads a qcow2 header (the virtual size). Used by the simulator's and the role's tests and by the lab.
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
