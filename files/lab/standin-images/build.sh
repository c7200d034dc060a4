#!/bin/sh
# Builds the lab's images (see README.md) in the lab's services VM, as root, from the VM's own files and the Debian
# packages of Prometheus and its exporters in debs/. Usage: sh build.sh <dir with bin/ and debs/>; prints one line per
# image tagged.
set -eu
src=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/usr/bin" "$root/etc" "$root/certs" "$root/var/lib/postgresql/data"
mkdir -m 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
# openssl and the libraries it links (the Traefik stand-in serves HTTPS with s_server).
cp --parents /usr/bin/openssl "$root"
for lib in $(ldd /usr/bin/openssl | grep -o '/[^ ]*'); do cp --parents -L "$lib" "$root"; done
# The real Prometheus, promtool and exporters, from Debian's packages, with the libraries they link.
debs=$(mktemp -d)
for deb in "$src"/debs/*.deb; do dpkg-deb -x "$deb" "$debs"; done
for program in prometheus promtool prometheus-node-exporter prometheus-postgres-exporter; do
  cp "$debs/usr/bin/$program" "$root/usr/bin/$program"
  for lib in $(ldd "$debs/usr/bin/$program" | grep -o '/[^ ]*'); do cp --parents -L "$lib" "$root"; done
done
rm -rf "$debs"
# The real PostgreSQL the VM image carries (Debian's; no cluster of its own): server, client tools, their libraries,
# its share files, the time zones and the C.UTF-8 locale initdb is given; its client tools on PATH as in the upstream images; setpriv to drop to postgres.
pg=$(ls -d /usr/lib/postgresql/*/ | head -n1)
pg=${pg%/}
cp -a --parents "$pg" "/usr/share/postgresql/${pg##*/}" /usr/share/zoneinfo /usr/lib/locale/C.utf8 "$root"
cp --parents /usr/bin/setpriv "$root"
for elf in "$pg"/bin/* "$pg"/lib/*.so /usr/bin/setpriv; do
  for lib in $(ldd "$elf" 2>/dev/null | grep -o '/[^ ]*'); do [ -e "$root$lib" ] || cp --parents -L "$lib" "$root"; done
done
for tool in pg_dump pg_dumpall pg_restore psql pg_isready; do ln -sf "../lib/postgresql/${pg##*/}/bin/$tool" "$root/usr/bin/$tool"; done
mkdir -p "$root/var/run/postgresql"
mkdir -p "$root/prometheus" "$root/var/lib/grafana"
cp "$src"/bin/* "$root/usr/bin/"
chmod 0755 "$root"/usr/bin/*
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999::/var/lib/postgresql:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\npostgres:x:999:\n' > "$root/etc/group"
tar -C "$root" -cf "$root.tar" .
# One import; each image is then a commit of a (never started) container with its own entrypoint: the same layer,
# no second import (an import takes ~13 s in the TCG VM).
label='LABEL org.opencontainers.image.description="media-server-home lab stand-in, not the real application"'
docker import --change 'ENV PATH=/usr/bin:/bin' --change "$label" "$root.tar" msh-lab/standin-base:latest >/dev/null
rm -f "$root.tar"
commit() { # commit <tag> <entrypoint> [<description>]
  id=$(docker create msh-lab/standin-base:latest /bin/true)
  docker commit --change "ENTRYPOINT [\"/usr/bin/$2\"]" --change 'CMD []' \
    --change "LABEL org.opencontainers.image.description=\"${3:-media-server-home lab stand-in, not the real application}\"" "$id" "$1" >/dev/null
  docker rm "$id" >/dev/null
  echo "$1"
}
for pair in traefik:traefik jellyfin:jellyfin immich-server:immich immich-ml:immich-ml valkey:valkey-server grafana:grafana cadvisor:cadvisor never-healthy:never-healthy; do
  commit "msh-lab/${pair%%:*}:standin" "${pair#*:}"
done
for pair in prometheus:prometheus node-exporter:prometheus-node-exporter postgres-exporter:prometheus-postgres-exporter postgres:postgres; do
  commit "msh-lab/${pair%%:*}:debian" "${pair#*:}" "media-server-home lab image: Debian's ${pair#*:} (the real program, not the upstream image)"
done
docker rmi msh-lab/standin-base:latest >/dev/null
