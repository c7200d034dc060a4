/**
 * The alert rules (prometheus.io/docs/prometheus/latest/configuration/alerting_rules/), typed, one function per
 * concern. Each rule has a `promtool test rules` case in test/roles/monitoring-rules.test.ts.
 */
import { stringify } from 'yaml';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: 'critical' | 'warning'; [label: string]: string };
  annotations: { summary: string; description: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** Metrics the backup role writes to node-exporter's textfile directory on the VM, one series per schedule. */
export const BACKUP_METRICS = {
  lastSuccess: 'msh_backup_last_success_timestamp_seconds',
  duration: 'msh_backup_duration_seconds',
  addedBytes: 'msh_backup_added_bytes',
  snapshots: 'msh_backup_snapshots',
} as const;

/** Every percentage alert fires at 80% used: the pool should keep 10% free at least, and this leaves time. */
export const USED_PERCENT_LIMIT = 80;

/**
 * Filesystems of the hosts themselves. Left out: ZFS datasets (the pool has its own rule: every dataset reports the
 * pool's free space), the pool as the VM sees it (virtiofs, NFS), and memory or image file systems.
 */
const LOCAL_FS = 'fstype!~"zfs|virtiofs|nfs4?|tmpfs|ramfs|devtmpfs|overlay|squashfs|fuse.*"';

/** Used bytes of each ZFS dataset, with a `pool` label cut from the dataset name (tank/media → tank). */
const ZFS_USED = 'label_replace(node_filesystem_size_bytes{fstype="zfs"} - node_filesystem_avail_bytes{fstype="zfs"}, "pool", "$1", "device", "([^/]+).*")';
const ZFS_AVAIL = 'label_replace(node_filesystem_avail_bytes{fstype="zfs"}, "pool", "$1", "device", "([^/]+).*")';

export function availabilityRules(): AlertRule[] {
  return [
    {
      alert: 'TargetDown',
      expr: 'up == 0',
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: '{{ $labels.job }} on {{ $labels.host }} is down', description: 'Prometheus could not scrape {{ $labels.instance }} (job {{ $labels.job }}) for 5 minutes.' },
    },
    {
      alert: 'PrometheusConfigReloadFailed',
      expr: 'prometheus_config_last_reload_successful == 0',
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: "Prometheus's configuration did not load", description: 'Prometheus runs on its previous configuration: docker logs prometheus says why.' },
    },
  ];
}

export function storageRules(): AlertRule[] {
  return [
    {
      alert: 'FilesystemAlmostFull',
      expr: `100 * (1 - node_filesystem_avail_bytes{${LOCAL_FS}} / node_filesystem_size_bytes{${LOCAL_FS}}) > ${USED_PERCENT_LIMIT}`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: { summary: '{{ $labels.mountpoint }} on {{ $labels.host }} is {{ $value | humanize }}% full', description: `Alert threshold: ${USED_PERCENT_LIMIT}% used.` },
    },
    {
      alert: 'ZfsPoolAlmostFull',
      // Used by all datasets over used plus free (free is the pool's, the same for every dataset). Snapshots are not
      // counted, so the pool is a little fuller than this says.
      expr: `100 * sum by (host, pool) (${ZFS_USED}) / (sum by (host, pool) (${ZFS_USED}) + max by (host, pool) (${ZFS_AVAIL})) > ${USED_PERCENT_LIMIT}`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: { summary: 'ZFS pool {{ $labels.pool }} is {{ $value | humanize }}% full', description: `Keep 10% of a pool free (ZFS slows down when nearly full); alert threshold ${USED_PERCENT_LIMIT}% used.` },
    },
    {
      alert: 'ZfsPoolNotOnline',
      expr: 'node_zfs_zpool_state{state!="online"} > 0',
      for: '1m',
      labels: { severity: 'critical' },
      annotations: { summary: 'ZFS pool {{ $labels.zpool }} is {{ $labels.state }}', description: 'zpool status -x on the Proxmox host tells which disk and what to do.' },
    },
  ];
}

/** One rule per schedule: its last success is older than `maxAgeHours`, or it never succeeded within that time. */
export function backupRules(maxAgeHours: Record<string, number>): AlertRule[] {
  return Object.entries(maxAgeHours).flatMap(([schedule, hours]): AlertRule[] => {
    const series = `${BACKUP_METRICS.lastSuccess}{schedule="${schedule}"}`;
    return [
      {
        alert: 'BackupTooOld',
        expr: `time() - ${series} > ${hours * 3600}`,
        for: '10m',
        // The schedule in the labels too: promtool's lint takes two rules with one name and the same labels for duplicates.
        labels: { severity: 'warning', schedule },
        annotations: { summary: `The last successful ${schedule} backup is older than ${hours} hours`, description: `journalctl -u 'msh-backup-${schedule}*' on the VM says why the later runs failed.` },
      },
      {
        alert: 'BackupNeverSucceeded',
        expr: `absent(${series})`,
        for: `${hours}h`,
        labels: { severity: 'warning', schedule },
        annotations: { summary: `No successful ${schedule} backup reported for ${hours} hours`, description: 'The backup role writes this metric after each successful run; is the backup role set up?' },
      },
    ];
  });
}

export function hostRules(): AlertRule[] {
  return [
    {
      alert: 'ContainerRestarting',
      // A restart makes a new cgroup, hence a new start time.
      expr: 'changes(container_start_time_seconds{name!=""}[15m]) > 2',
      labels: { severity: 'warning' },
      annotations: { summary: 'Container {{ $labels.name }} restarted {{ $value }} times in 15 minutes', description: 'docker logs {{ $labels.name }} on the VM shows why it stops.' },
    },
    {
      alert: 'MemoryPressure',
      expr: '100 * node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 10',
      for: '10m',
      labels: { severity: 'warning' },
      annotations: { summary: '{{ $labels.host }} has {{ $value | humanize }}% of its memory available', description: 'Less than 10% available for 10 minutes: the kernel will start to kill processes.' },
    },
    {
      alert: 'SecurityUpdatesPending',
      // Counted on the Proxmox host by role hardening (it never upgrades a hypervisor unattended).
      expr: 'apt_upgrades_pending{kind="security"} > 0',
      for: '1h',
      labels: { severity: 'warning' },
      annotations: { summary: '{{ $value }} security updates are pending on {{ $labels.host }}', description: 'Install them: npx zx playbooks/proxmox-host.ts --upgrade (then --reboot if a new kernel came).' },
    },
  ];
}

export function ruleGroups(backupMaxAgeHours: Record<string, number>): { groups: RuleGroup[] } {
  return {
    groups: [
      { name: 'availability', rules: availabilityRules() },
      { name: 'storage', rules: storageRules() },
      { name: 'backups', rules: backupRules(backupMaxAgeHours) },
      { name: 'hosts', rules: hostRules() },
    ],
  };
}

export function renderRules(backupMaxAgeHours: Record<string, number>): string {
  return `# Managed by media-server-home (role monitoring): changes here are overwritten.\n${stringify(ruleGroups(backupMaxAgeHours), { lineWidth: 0 })}`;
}
