#!/bin/sh
# make-apt-repo.sh -- (re)builds apt-repo/: the pve-simulator's SIMULATOR of the Proxmox VE package
# repository (download.proxmox.com/debian/pve). It holds NO package: it is an empty, signed repository
# with the suites bookworm and trixie and the component pve-no-subscription, so that `apt-get update`
# succeeds in the lab (which cannot reach download.proxmox.com) with the role proxmox-host's repository
# line pointing at it (inventory: proxmox_repo_url: file:///usr/local/lib/pve-simulator/apt-repo).
#
# The signing key is made here, used once and thrown away; only its public half is kept
# (apt-repo/pve-simulator-archive.asc, installed into the lab host's /etc/apt/trusted.gpg.d).
# Needs gpg. The output is committed: install.sh only copies it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo="$here/apt-repo"
date=${PVE_SIMULATOR_REPO_DATE:-"Sat, 01 Nov 2025 00:00:00 UTC"}
gnupg=$(mktemp -d)
trap 'rm -rf "$gnupg"' EXIT INT TERM

rm -rf "$repo"
mkdir -p "$repo"
GNUPGHOME="$gnupg" gpg --batch --quiet --passphrase '' \
	--quick-generate-key 'pve-simulator lab repository (NOT Proxmox; signs an empty repository)' ed25519 sign never
GNUPGHOME="$gnupg" gpg --batch --armor --export >"$repo/pve-simulator-archive.asc"

for suite in bookworm trixie; do
	dist="$repo/dists/$suite"
	mkdir -p "$dist/pve-no-subscription/binary-amd64"
	: >"$dist/pve-no-subscription/binary-amd64/Packages"
	{
		echo "Origin: pve-simulator"
		echo "Label: pve-simulator (a SIMULATOR of the Proxmox VE repository; holds no package)"
		echo "Suite: $suite"
		echo "Codename: $suite"
		echo "Date: $date"
		echo "Architectures: amd64"
		echo "Components: pve-no-subscription"
		echo "Description: empty stand-in for download.proxmox.com/debian/pve in the media-server-home lab"
		echo "SHA256:"
		(cd "$dist" && for f in pve-no-subscription/binary-amd64/Packages; do
			printf ' %s %s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
		done)
	} >"$dist/Release"
	GNUPGHOME="$gnupg" gpg --batch --quiet --yes --clearsign --digest-algo SHA512 -o "$dist/InRelease" "$dist/Release"
done
echo "apt-repo rebuilt in $repo"
