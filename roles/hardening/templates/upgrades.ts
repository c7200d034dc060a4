/** Daily list refresh and unattended security upgrades (the distribution's 50unattended-upgrades picks the origins). */
export const AUTO_UPGRADES = `// Managed by media-server-home (role hardening).
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
`;

export const PENDING_UPDATES_METRIC_DIR = '/var/lib/prometheus/node-exporter';

/** For a hypervisor: report pending updates as a node-exporter textfile metric; never install them unattended. */
export const PENDING_UPDATES_SCRIPT = `#!/bin/sh
# Managed by media-server-home (role hardening): pending apt updates as Prometheus metrics; installs nothing.
set -eu
dir=${PENDING_UPDATES_METRIC_DIR}
mkdir -p "$dir"
apt-get update -qq >/dev/null 2>&1 || true
list=$(apt-get -s -o Debug::NoLocking=true upgrade 2>/dev/null | grep '^Inst ' || true)
all=$(printf '%s' "$list" | grep -c '^Inst ' || true)
security=$(printf '%s' "$list" | grep -ci 'security' || true)
tmp=$(mktemp "$dir/.apt-pending.XXXXXX")
cat > "$tmp" <<METRICS
# HELP apt_upgrades_pending Packages with an update available, by kind.
# TYPE apt_upgrades_pending gauge
apt_upgrades_pending{kind="all"} $all
apt_upgrades_pending{kind="security"} $security
# HELP apt_upgrades_pending_checked_seconds When pending updates were last counted.
# TYPE apt_upgrades_pending_checked_seconds gauge
apt_upgrades_pending_checked_seconds $(date +%s)
METRICS
chmod 0644 "$tmp"
mv -f "$tmp" "$dir/apt-pending.prom"
`;

export const PENDING_UPDATES_SERVICE = `# Managed by media-server-home (role hardening).
[Unit]
Description=Count pending apt updates for Prometheus (installs nothing)

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/msh-apt-pending
`;

export const PENDING_UPDATES_TIMER = `# Managed by media-server-home (role hardening).
[Unit]
Description=Count pending apt updates every 6 hours

[Timer]
OnBootSec=5min
OnUnitActiveSec=6h
Persistent=true

[Install]
WantedBy=timers.target
`;
