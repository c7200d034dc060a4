#!/bin/sh
# install.sh -- installs the pve-simulator (a SIMULATOR of a subset of the Proxmox VE CLI:
# qm, pvesm, pvesh, pveversion, pve-firewall) into a root filesystem, e.g. the lab's `pve` container.
#
#   install.sh <rootfs-dir>        (use / to install on the running system)
#
# It copies pve-simulator.py and README.md to <root>/usr/local/lib/pve-simulator/, writes
# the wrappers <root>/usr/local/bin/{qm,pvesm,pvesh,pveversion} and creates the state
# directory <root>/var/lib/pve-simulator (with a default `version` file when it has none).
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

if [ ! -e "$state/version" ]; then
	cat >"$state/version" <<'EOF'
{"manager": "8.4.1", "repoid": "2a5fa54a8503f96d", "kernel": "6.8.12-9-pve", "debian": "bookworm"}
EOF
fi
chmod 0755 "$state"

echo "pve-simulator installed into $root (tools: qm pvesm pvesh pveversion pve-firewall; state: /var/lib/pve-simulator)"
