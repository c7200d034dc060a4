/** The provisioned dashboards, one per concern; file name → dashboard. */
import { BACKUP_METRICS } from '../templates/rules.ts';
import { dashboard, stat, timeseries, type Dashboard } from './builders.ts';

const NODE = 'job=~"node-.*"';
const LOCAL_FS = 'fstype!~"zfs|virtiofs|nfs4?|tmpfs|ramfs|devtmpfs|overlay|squashfs|fuse.*"';
const CONTAINER = 'name!=""';

export function hostOverview(): Dashboard {
  return dashboard('msh-hosts', 'Hosts: pve and services', [
    [
      timeseries('CPU used', [[`100 * (1 - avg by (host) (rate(node_cpu_seconds_total{${NODE},mode="idle"}[5m])))`, '{{host}}']], 'percent', { min: 0, max: 100 }),
      timeseries('Memory used', [[`100 * (1 - node_memory_MemAvailable_bytes{${NODE}} / node_memory_MemTotal_bytes{${NODE}})`, '{{host}}']], 'percent', { min: 0, max: 100 }),
    ],
    [
      timeseries('Disk used', [[`100 * (1 - node_filesystem_avail_bytes{${NODE},${LOCAL_FS}} / node_filesystem_size_bytes{${NODE},${LOCAL_FS}})`, '{{host}} {{mountpoint}}']], 'percent', { min: 0, max: 100 }),
      timeseries('Load (1 min)', [[`node_load1{${NODE}}`, '{{host}}']]),
    ],
    [
      timeseries('Network received', [[`sum by (host) (rate(node_network_receive_bytes_total{${NODE},device!~"lo|veth.*|br-.*|docker.*|tap.*|fwbr.*|fwpr.*|fwln.*"}[5m]))`, '{{host}}']], 'Bps'),
      timeseries('Network sent', [[`sum by (host) (rate(node_network_transmit_bytes_total{${NODE},device!~"lo|veth.*|br-.*|docker.*|tap.*|fwbr.*|fwpr.*|fwln.*"}[5m]))`, '{{host}}']], 'Bps'),
    ],
    [timeseries('Temperatures', [[`node_hwmon_temp_celsius{${NODE}}`, '{{host}} {{chip}} {{sensor}}']], 'celsius'), stat('Uptime', [[`time() - node_boot_time_seconds{${NODE}}`, '{{host}}']], 's')],
  ]);
}

const ZFS_USED = 'label_replace(node_filesystem_size_bytes{fstype="zfs"} - node_filesystem_avail_bytes{fstype="zfs"}, "pool", "$1", "device", "([^/]+).*")';
const ZFS_AVAIL = 'label_replace(node_filesystem_avail_bytes{fstype="zfs"}, "pool", "$1", "device", "([^/]+).*")';

export function zfs(): Dashboard {
  return dashboard('msh-zfs', 'ZFS: pool and datasets', [
    [
      stat('Pool state (1 = online)', [['node_zfs_zpool_state{state="online"}', '{{zpool}}']]),
      timeseries('Pool used', [[`100 * sum by (pool) (${ZFS_USED}) / (sum by (pool) (${ZFS_USED}) + max by (pool) (${ZFS_AVAIL}))`, '{{pool}}']], 'percent', { min: 0, max: 100 }),
    ],
    [timeseries('Dataset used', [['node_filesystem_size_bytes{fstype="zfs"} - node_filesystem_avail_bytes{fstype="zfs"}', '{{device}}']], 'bytes'), timeseries('Pool free', [[`max by (pool) (${ZFS_AVAIL})`, '{{pool}}']], 'bytes')],
    [
      timeseries('ARC size and target', [['node_zfs_arc_size', 'size'], ['node_zfs_arc_c', 'target'], ['node_zfs_arc_c_max', 'max']], 'bytes'),
      timeseries('ARC hit ratio', [['100 * rate(node_zfs_arc_hits[5m]) / (rate(node_zfs_arc_hits[5m]) + rate(node_zfs_arc_misses[5m]))', 'hits']], 'percent', { min: 0, max: 100 }),
    ],
  ]);
}

export function containers(): Dashboard {
  return dashboard('msh-containers', 'Containers', [
    [
      timeseries('CPU', [[`sum by (name) (rate(container_cpu_usage_seconds_total{${CONTAINER}}[5m]))`, '{{name}}']], 'percentunit'),
      timeseries('Memory (working set)', [[`container_memory_working_set_bytes{${CONTAINER}}`, '{{name}}']], 'bytes'),
    ],
    [
      timeseries('Network received', [[`sum by (name) (rate(container_network_receive_bytes_total{${CONTAINER}}[5m]))`, '{{name}}']], 'Bps'),
      timeseries('Network sent', [[`sum by (name) (rate(container_network_transmit_bytes_total{${CONTAINER}}[5m]))`, '{{name}}']], 'Bps'),
    ],
    [timeseries('Restarts (per hour)', [[`changes(container_start_time_seconds{${CONTAINER}}[1h])`, '{{name}}']]), stat('Targets up', [['up', '{{job}}']])],
  ]);
}

export function mediaApps(): Dashboard {
  const apps = 'job=~"jellyfin|immich-api|immich-microservices"';
  return dashboard('msh-apps', 'Jellyfin and Immich', [
    [stat('Up', [[`up{${apps}}`, '{{job}}'], ['pg_up', 'postgres']])],
    [
      timeseries('Memory (resident)', [[`process_resident_memory_bytes{${apps}}`, '{{job}}']], 'bytes'),
      timeseries('CPU', [[`rate(process_cpu_seconds_total{${apps}}[5m])`, '{{job}}']], 'percentunit'),
    ],
    [
      timeseries('Jellyfin HTTP requests', [['sum by (code) (rate(http_requests_received_total{job="jellyfin"}[5m]))', '{{code}}']], 'reqps'),
      timeseries("Immich's database", [['pg_database_size_bytes{datname="immich"}', 'size']], 'bytes'),
    ],
    [timeseries("Immich's database connections", [['sum by (state) (pg_stat_activity_count{datname="immich"})', '{{state}}']])],
  ]);
}

export function traefik(): Dashboard {
  return dashboard('msh-traefik', 'Traefik: requests and errors', [
    [
      timeseries('Requests per router', [['sum by (router) (rate(traefik_router_requests_total[5m]))', '{{router}}']], 'reqps'),
      timeseries('Errors (4xx, 5xx) per router', [['sum by (router, code) (rate(traefik_router_requests_total{code=~"4..|5.."}[5m]))', '{{router}} {{code}}']], 'reqps'),
    ],
    [
      timeseries('Response time, 95th percentile', [['histogram_quantile(0.95, sum by (router, le) (rate(traefik_router_request_duration_seconds_bucket[5m])))', '{{router}}']], 's'),
      timeseries('Requests per entrypoint', [['sum by (entrypoint, code) (rate(traefik_entrypoint_requests_total[5m]))', '{{entrypoint}} {{code}}']], 'reqps'),
    ],
  ]);
}

export function backups(): Dashboard {
  const m = BACKUP_METRICS;
  return dashboard('msh-backups', 'Backups', [
    [stat('Since the last success', [[`time() - ${m.lastSuccess}`, '{{schedule}}']], 's'), stat('Snapshots', [[m.snapshots, '{{schedule}}']])],
    [timeseries('Duration of the last run', [[m.duration, '{{schedule}}']], 's'), timeseries('Added by the last run', [[m.addedBytes, '{{schedule}}']], 'bytes')],
  ]);
}

export const DASHBOARDS: Record<string, () => Dashboard> = {
  'hosts.json': hostOverview,
  'zfs.json': zfs,
  'containers.json': containers,
  'apps.json': mediaApps,
  'traefik.json': traefik,
  'backups.json': backups,
};

export function renderDashboard(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
