/** Debian's prometheus-node-exporter on the Proxmox host: its ARGS in /etc/default/prometheus-node-exporter. */

export const NODE_EXPORTER_DEFAULTS = '/etc/default/prometheus-node-exporter';
export const NODE_EXPORTER_PORT = 9100;
/** Debian's default textfile directory (the binary's built-in default there); role hardening writes its metrics here. */
export const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';

/**
 * The command-line arguments: the LAN address only, the textfile directory, and the ZFS collector (on by default in
 * node_exporter; named here so that nothing turns it off unnoticed — the pool's metrics come from this host).
 */
export function nodeExporterArgs(listen: string): string {
  return [`--web.listen-address=${listen}:${NODE_EXPORTER_PORT}`, `--collector.textfile.directory=${TEXTFILE_DIR}`, '--collector.zfs'].join(' ');
}

export function argsLine(listen: string): string {
  return `ARGS="${nodeExporterArgs(listen)}"`;
}

/**
 * The address to listen on when node_exporter_listen is empty: the source address of the default route (on Proxmox,
 * vmbr0's), else the only global IPv4 address. `routeSrc` and `addresses` come from `ip`; undefined when neither says.
 */
export function defaultListenAddress(routeSrc: string, addresses: string[]): string | undefined {
  if (routeSrc) return routeSrc;
  return addresses.length === 1 ? addresses[0] : undefined;
}

/**
 * Shell that prints "route=<src>" (the address the host uses to reach its default gateway) and "addrs=<a b …>";
 * `ip route get` only looks the route up, it sends nothing.
 */
export const ADDRESS_PROBE = [
  `echo "route=$(gw=$(ip -4 route show default 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "via") { print $(i + 1); exit } }'); [ -n "$gw" ] && ip -4 -o route get "$gw" 2>/dev/null | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p')"`,
  `echo "addrs=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | tr '\\n' ' ')"`,
].join('\n');
