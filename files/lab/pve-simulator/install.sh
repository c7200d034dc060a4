#!/bin/sh
# install.sh -- installs the pve-simulator (a SIMULATOR of a subset of the Proxmox VE CLI:
# qm, pvesm, pvesh, pveversion, pve-firewall, proxmox-boot-tool) into a root filesystem, e.g. the lab's `pve` host.
#
#   install.sh <rootfs-dir>        (use / to install on the running system)
#
# It copies pve-simulator.py and README.md to <root>/usr/local/lib/pve-simulator/, writes
# the wrappers <root>/usr/local/bin/{qm,pvesm,pvesh,pveversion} and creates the state
# directory <root>/var/lib/pve-simulator (with a default `version` file when it has none).
# Then, as a fresh Proxmox VE installed on ZFS with UEFI has them, each only when missing: the
# enterprise apt sources (pve-enterprise and ceph; .list on PVE 8, .sources on PVE 9), the ESP
# list /etc/kernel/proxmox-boot-uuids with one simulated systemd-boot ESP, and /etc/kernel/cmdline.
# And the simulated (empty, signed) Proxmox package repository in
# <root>/usr/local/lib/pve-simulator/apt-repo, its key in /etc/apt/trusted.gpg.d.
# Needs python3 where it runs (it sets up the simulated ESP with the simulator itself).
# It refuses a root that holds a real Proxmox VE: the wrappers in /usr/local/bin would
# shadow the real tools.
set -eu

usage() {
	echo "usage: $0 <rootfs-dir>" >&2
	exit 2
}

[ $# -eq 1 ] || usage
root=${1%/}
[ -n "$root" ] || root=/
[ -d "$root" ] || { echo "install.sh: '$1' is not a directory" >&2; exit 1; }

if [ -e "$root/usr/share/perl5/PVE/CLI/qm.pm" ] || [ -e "$root/usr/bin/pveversion" ]; then
	echo "install.sh: '$1' holds a real Proxmox VE installation; refusing to install the simulator" >&2
	exit 1
fi

src=$(cd "$(dirname "$0")" && pwd)
lib="$root/usr/local/lib/pve-simulator"
bin="$root/usr/local/bin"
state="$root/var/lib/pve-simulator"

mkdir -p "$lib" "$bin" "$state/vms"
cp "$src/pve-simulator.py" "$lib/pve-simulator.py"
chmod 0755 "$lib/pve-simulator.py"
cp "$src/README.md" "$lib/README.md"
chmod 0644 "$lib/README.md"
cp "$src/proxmox-boot-tool.py" "$lib/proxmox-boot-tool.py"
chmod 0755 "$lib/proxmox-boot-tool.py"
rm -rf "$lib/apt-repo"
cp -R "$src/apt-repo" "$lib/apt-repo"
chmod -R a+rX "$lib/apt-repo"

for tool in qm pvesm pvesh pveversion; do
	cat >"$bin/$tool" <<EOF
#!/bin/sh
# $tool -- wrapper of the pve-simulator, a SIMULATOR of Proxmox VE's $tool (not the real tool).
# See /usr/local/lib/pve-simulator/README.md. PYTHONCOERCECLOCALE=0 keeps the C locale
# as it is, so table borders follow the locale like the real (Perl) tools.
PYTHONCOERCECLOCALE=0 exec python3 "\$(dirname "\$0")/../lib/pve-simulator/pve-simulator.py" $tool "\$@"
EOF
	chmod 0755 "$bin/$tool"
done

cp "$src/pve-firewall" "$bin/pve-firewall"
chmod 0755 "$bin/pve-firewall"

cat >"$bin/proxmox-boot-tool" <<'WRAPPER'
#!/bin/sh
# proxmox-boot-tool -- wrapper of the pve-simulator's SIMULATOR of Proxmox VE's proxmox-boot-tool
# (not the real tool: its ESPs are directories under /var/lib/pve-simulator/esp).
# See /usr/local/lib/pve-simulator/README.md.
exec python3 "$(dirname "$0")/../lib/pve-simulator/proxmox-boot-tool.py" "$@"
WRAPPER
chmod 0755 "$bin/proxmox-boot-tool"

if [ ! -e "$state/version" ]; then
	cat >"$state/version" <<'EOF'
{"manager": "8.4.1", "repoid": "2a5fa54a8503f96d", "kernel": "6.8.12-9-pve", "debian": "bookworm"}
EOF
fi
chmod 0755 "$state"

# What a fresh Proxmox VE of the simulated release has, each only when missing.
major=$(PVE_SIMULATOR_STATE="$state" python3 "$src/pve-simulator.py" pveversion | sed -n 's|^pve-manager/\([0-9]*\)\..*|\1|p')
sources="$root/etc/apt/sources.list.d"
mkdir -p "$sources" "$root/etc/apt/trusted.gpg.d" "$root/etc/kernel"
if [ "$major" = 9 ]; then
	[ -e "$sources/pve-enterprise.sources" ] || printf '%s\n' 'Types: deb' 'URIs: https://enterprise.proxmox.com/debian/pve' \
		'Suites: trixie' 'Components: pve-enterprise' 'Signed-By: /usr/share/keyrings/proxmox-archive-keyring.gpg' >"$sources/pve-enterprise.sources"
	[ -e "$sources/ceph.sources" ] || printf '%s\n' 'Types: deb' 'URIs: https://enterprise.proxmox.com/debian/ceph-squid' \
		'Suites: trixie' 'Components: enterprise' 'Signed-By: /usr/share/keyrings/proxmox-archive-keyring.gpg' >"$sources/ceph.sources"
else
	[ -e "$sources/pve-enterprise.list" ] || echo 'deb https://enterprise.proxmox.com/debian/pve bookworm pve-enterprise' >"$sources/pve-enterprise.list"
	[ -e "$sources/ceph.list" ] || echo 'deb https://enterprise.proxmox.com/debian/ceph-quincy bookworm enterprise' >"$sources/ceph.list"
fi
cp "$src/apt-repo/pve-simulator-archive.asc" "$root/etc/apt/trusted.gpg.d/pve-simulator-archive.asc"
chmod 0644 "$root/etc/apt/trusted.gpg.d/pve-simulator-archive.asc"
[ -e "$root/etc/kernel/cmdline" ] || echo 'root=ZFS=rpool/ROOT/pve-1 boot=zfs' >"$root/etc/kernel/cmdline"
if [ ! -e "$root/etc/kernel/proxmox-boot-uuids" ]; then
	out=$(PVE_SIMULATOR_STATE="$state" PVE_SIMULATOR_ETC_KERNEL="$root/etc/kernel" \
		python3 "$src/proxmox-boot-tool.py" simulator-init-esp 5C1E-A7B3 uefi 2>&1) || { echo "$out" >&2; exit 1; }
fi

echo "pve-simulator installed into $root (tools: qm pvesm pvesh pveversion pve-firewall proxmox-boot-tool; state: /var/lib/pve-simulator)"
