#!/bin/sh
# Builds the lab's stand-in images (see README.md) in the lab's services VM, as root, from the VM's own files.
# Usage: sh build.sh <dir with bin/>; prints one line per image tagged.
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
cp "$src"/bin/* "$root/usr/bin/"
chmod 0755 "$root"/usr/bin/*
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
tar -C "$root" -cf "$root.tar" .
path='PATH=/usr/bin:/bin'
for pair in traefik:traefik jellyfin:jellyfin immich-server:immich immich-ml:immich-ml valkey:valkey-server postgres:postgres; do
  name=${pair%%:*} entry=${pair#*:}
  docker import --change "ENV $path" --change "ENTRYPOINT [\"/usr/bin/$entry\"]" \
    --change 'LABEL org.opencontainers.image.description="media-server-home lab stand-in, not the real application"' \
    "$root.tar" "msh-lab/$name:standin" >/dev/null
  echo "msh-lab/$name:standin"
done
rm -f "$root.tar"
