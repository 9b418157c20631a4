#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   mkinitramfs.sh <out.cpio> <init> <program>...
#
# A busybox initramfs: static busybox (busybox-static), our /init, our static programs in /bin.
set -euo pipefail
out=$1 init=$2
shift 2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$root/bin/busybox"
cp "$init" "$root/init"
chmod +x "$root/init"
for p in "$@"; do
	cp "$p" "$root/bin/"
done
(cd "$root" && find . | cpio -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
