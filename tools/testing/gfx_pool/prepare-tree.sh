#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lay the gfx_pool overlay and patch series over Debian's linux-source-6.12.
#
#   prepare-tree.sh <repo> <kernel-tree>
#
# Idempotent and incremental: the tarball is unpacked once; overlay files
# are copied only when their content differs (so kbuild rebuilds only what
# changed); the patch series is reverse-applied and re-applied only when a
# patch changed. A tree that does not match what was recorded is unpacked
# again from scratch.
set -euo pipefail

repo=$(cd "$1" && pwd)
tree=$2
tarball=${GFX_POOL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
top=$(dirname "$tree")
applied="$tree/.gfx_pool-applied"

# Directories of the repository that are laid over the kernel tree as they are.
overlay_dirs="Documentation arch include lib mm drivers tools/testing/selftests"

unpack() {
	echo "  UNPACK  $tarball"
	rm -rf "$tree"
	mkdir -p "$top"
	tar -C "$top" -xf "$tarball"
	[ -d "$tree" ] || { echo "$tarball did not unpack to $tree" >&2; exit 1; }
}

[ -f "$tree/Makefile" ] || unpack

# The hunks: patches/series and the files it names. (patches/series.d/
# only says how `make patches` cuts the result into commits.)
hunks() {
	echo series
	cat "$1/series"
}

# Undo the previous series when any patch differs from what was applied.
if [ -d "$applied" ]; then
	changed=0
	for f in $(hunks "$repo/patches") $(hunks "$applied"); do
		cmp -s "$applied/$f" "$repo/patches/$f" || changed=1
	done
	if [ $changed = 1 ]; then
		echo "  UNPATCH (series changed)"
		if ! tac "$applied/series" | while read -r p; do
			patch -d "$tree" -p1 -R -s -f --no-backup-if-mismatch \
				< "$applied/$p" || exit 1
		done; then
			echo "  reverse-applying the old series failed; unpacking again"
			unpack
		fi
		rm -rf "$applied"
	fi
fi

# Overlay: only changed files are written, so their mtimes move only then.
# Files an earlier overlay added and the repository no longer has (moved
# or removed) are removed too, so the tree holds exactly what the
# repository says.
manifest="$tree/.gfx_pool-overlay"
files=$(cd "$repo" && for d in $overlay_dirs; do
	[ -d "$d" ] && find "$d" -type f; done | sort)
if [ -f "$manifest" ]; then
	comm -23 "$manifest" <(echo "$files") | while read -r f; do
		[ -n "$f" ] || continue
		rm -f "$tree/$f"
		echo "  REMOVE  $f"
	done
fi
echo "$files" | while read -r f; do
	if ! cmp -s "$repo/$f" "$tree/$f"; then
		mkdir -p "$(dirname "$tree/$f")"
		cp "$repo/$f" "$tree/$f"
		echo "  OVERLAY $f"
	fi
done
echo "$files" > "$manifest"

if [ ! -d "$applied" ]; then
	while read -r p; do
		[ -n "$p" ] || continue
		echo "  PATCH   $p"
		patch -d "$tree" -p1 -N -s --no-backup-if-mismatch < "$repo/patches/$p"
	done < "$repo/patches/series"
	mkdir -p "$applied"
	for f in $(hunks "$repo/patches"); do
		cp "$repo/patches/$f" "$applied/$f"
	done
fi
