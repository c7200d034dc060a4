/** ZFS properties of one dataset, by property name (e.g. { recordsize: '1M' }). */
export type DatasetProperties = Record<string, string>;

/** How many snapshots of each kind sanoid keeps (frequently, hourly, daily, weekly, monthly, yearly); a kind left out keeps none. */
export type SnapshotPolicy = Record<string, number>;

export const defaults = {
  zfs_pool: 'tank',
  /** Set in the inventory: the pool is never made from a guess. */
  zfs_disks: [] as string[],
  zfs_layout: 'auto',
  zfs_mountpoint: '/mnt/tank',
  zfs_datasets: {
    media: { recordsize: '1M' },
    photos: { recordsize: '1M' },
    appdata: {},
    backups: { recordsize: '1M' },
  } as Record<string, DatasetProperties>,
  zfs_snapshots: {
    appdata: { hourly: 24, daily: 30, monthly: 3 },
    photos: { daily: 30, monthly: 12 },
    media: { daily: 7, monthly: 3 },
  } as Record<string, SnapshotPolicy>,
  zfs_arc_max: 'auto',
  zfs_zed_email: '',
  zfs_share: 'auto',
  vm_ip: '',
};

export const docs = {
  zfs_pool: { description: 'Name of the ZFS pool (default tank). An existing pool of that name on zfs_disks is adopted, never recreated.' },
  zfs_disks: {
    description:
      'The pool\'s disks as /dev/disk/by-id/... paths (ls -l /dev/disk/by-id/ on the Proxmox host; not /dev/sdX, which can change). A disk holding anything is only used when the run names it with --wipe <by-id name>.',
  },
  zfs_layout: { description: 'auto (1 disk: single, no redundancy; 2: mirror; 3 or more: raidz1), or single, stripe (no redundancy), mirror, raidz1, raidz2, raidz3.' },
  zfs_mountpoint: { description: 'Where the pool is mounted; each dataset below it at <mountpoint>/<name> unless its properties set a mountpoint.' },
  zfs_datasets: {
    description:
      'Datasets of the pool: name → ZFS properties (e.g. photos: {recordsize: 1M}; appdata: {} for the defaults). Setting this key replaces the whole list: copy the four defaults when adding one. Each is shared with the VM.',
  },
  zfs_snapshots: { description: 'sanoid snapshot policy per dataset: name → counts to keep of hourly, daily, weekly, monthly, yearly, frequently. A dataset not listed (backups by default) gets no snapshots.' },
  zfs_arc_max: { description: 'Upper limit of ZFS\'s read cache (ARC): auto (25% of RAM, at most 4 GiB) or a size such as 2G or 3072M.' },
  zfs_zed_email: { description: 'Mail ZFS events (a failing disk, finished scrubs) to this address through the ZFS event daemon; empty: leave zed.rc as the package ships it.' },
  zfs_share: { description: 'How the datasets reach the VM: auto (virtiofs directory mappings on Proxmox VE 8.4 and later, NFS before), virtiofs, nfs, or none.' },
  vm_ip: { description: 'IPv4 address of the services VM: the only client of the NFS exports (needed when the datasets are shared over NFS), and the only address role hardening lets through the Proxmox firewall to NFS (TCP 2049).' },
};
