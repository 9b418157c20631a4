#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   deb.sh <repo> <kernel-tree> <out> <jobs>
#
# `make deb`: an installable linux-image package of the prepared tree
# (the overlay and patches/ applied), from x86_64_defconfig plus deb.config,
# built by the kernel's own `bindeb-pkg`; then the proof that it works: the
# package is unpacked, its kernel boots under QEMU with gfx_pool=64M, the
# TTM drivers QEMU emulates (bochs and qxl) are loaded as modules from the
# package and bind their devices, and the pool's counters show up and
# move when the package's test_gfx_pool module takes WC pages.
#
# <out>/obj is the build tree; the .deb files land in <out>. Each TTM
# driver's objects are built alone first, timed, so that <out>/times.txt
# says what each one costs (the README quotes it). Ends with a line
# "deb: N passed, N failed".
set -uo pipefail

repo=$1 ksrc=$2 out=$3 jobs=$4
T=$repo/tools/testing/gfx_pool
obj=$out/obj
log=$out/build.log
times=$out/times.txt
mkdir -p "$obj"
: > "$log"

passed=0 failed=0
check() {
	local what=$1
	shift
	if "$@"; then
		echo "  ok   $what"
		passed=$((passed + 1))
	else
		echo "  FAIL $what"
		failed=$((failed + 1))
	fi
}
finish() {
	echo "deb: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}

kmake() {
	make -C "$ksrc" O="$obj" ARCH=x86_64 CC="ccache gcc" -j"$jobs" "$@" \
		>> "$log" 2>&1
}

# Seconds that "$@" took, appended to times.txt under <name>.
timed() {
	local name=$1 start=$SECONDS
	shift
	"$@" || return
	printf '%-24s %5d s\n' "$name" $((SECONDS - start)) | tee -a "$times"
}

# --- The configuration --------------------------------------------------------

echo "  CONFIG  x86_64_defconfig + $T/deb.config (log: $log)"
kmake x86_64_defconfig || { tail -n 20 "$log"; exit 1; }
"$ksrc/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	"$T/deb.config" >> "$log" 2>&1 || { tail -n 20 "$log"; exit 1; }
kmake olddefconfig || { tail -n 20 "$log"; exit 1; }

# Every line of the fragment must have survived olddefconfig: a symbol
# whose dependencies went missing would otherwise drop out silently.
config_took() {
	local line bad=0 sym
	while read -r line; do
		case $line in
		CONFIG_*=n)
			sym=${line%=n}
			grep -q "^$sym=" "$obj/.config" && { echo "    $line: not taken"; bad=1; } ;;
		CONFIG_*)
			grep -qxF "$line" "$obj/.config" || { echo "    $line: not taken"; bad=1; } ;;
		esac
	done < "$T/deb.config"
	return $bad
}
check "every line of deb.config is in the package's .config" config_took

# --- The build ----------------------------------------------------------------

: > "$times"
echo "  BUILD   (log: $log)"
timed prepare kmake prepare || { tail -n 30 "$log"; exit 1; }
# After prepare, which writes include/config/auto.conf: the release
# reads CONFIG_LOCALVERSION from there.
release=$(make -s -C "$ksrc" O="$obj" ARCH=x86_64 kernelrelease)
echo "  RELEASE $release"
for d in tiny:bochs qxl radeon nouveau amd/amdgpu; do
	dir=${d%%:*} name=${d#*:}
	[ "$dir" = tiny ] && target=drivers/gpu/drm/tiny/bochs.o ||
		target=drivers/gpu/drm/$dir/
	timed "${name##*/}" kmake "$target" || { tail -n 30 "$log"; exit 1; }
done

# bindeb-pkg builds the rest and packs it. No headers package: the
# profile drops it, and with it the need for a cross gcc's package name.
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
export DEB_BUILD_PROFILES=pkg.linux-upstream.nokernelheaders KDEB_COMPRESS=xz
timed "rest and bindeb-pkg" kmake bindeb-pkg ||
	{ grep -E 'error|Error' "$log" | tail -n 20; exit 1; }
deb=$(ls "$out"/linux-image-"$release"_*.deb 2>/dev/null | grep -v dbg | head -n 1)
check "bindeb-pkg made linux-image-$release" test -n "$deb"
[ -n "$deb" ] || finish
ls -l "$out"/*.deb | sed 's/^/    /'

# --- The proof: unpack it and boot it -----------------------------------------

root=$out/root
rm -rf "$root"
dpkg-deb -x "$deb" "$root"
mods=$root/lib/modules/$release
vmlinuz=$root/boot/vmlinuz-$release
check "the package holds vmlinuz and modules.dep" test -f "$vmlinuz" -a -f "$mods/modules.dep"
for m in bochs qxl radeon nouveau amdgpu test_gfx_pool; do
	check "the package holds $m.ko" \
		test -n "$(find "$mods" -name "$m.ko*" | head -n 1)"
done
check "the package's config has the pool built in" \
	grep -qx CONFIG_GFX_POOL=y "$root/boot/config-$release"
# i915, built in by x86_64_defconfig, selects TTM, so TTM is built in.
check "the package's kernel has TTM, built in or as a module" \
	grep -qE '^CONFIG_DRM_TTM=(y|m)$' "$root/boot/config-$release"

# The modules to insmod, dependencies first, as modprobe would load them.
initrd=$out/initramfs.cpio
list=$(mktemp)
stage=$(mktemp -d)
trap 'rm -rf "$list" "$stage"' EXIT
for m in bochs qxl test_gfx_pool; do
	modprobe -d "$root" -S "$release" --show-depends "$m" 2>>"$log" |
		awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' > "$list"
check "modprobe resolves bochs, qxl and test_gfx_pool from the package" \
	test "$(grep -c -e /bochs.ko -e /qxl.ko -e /test_gfx_pool.ko "$list")" = 3

mkdir -p "$stage/modules"
while read -r f; do
	cp "$f" "$stage/modules/"
	basename "$f" >> "$stage/modules/order"
done < "$list"
"$T"/mkinitramfs.sh "$initrd" "$T/deb-init" "$out/../bin/gfx_pool-bench"
(cd "$stage" && find modules | cpio -o -H newc --quiet) >> "$initrd"

guest=$out/guest.log
echo "  BOOT    $vmlinuz, gfx_pool=64M (log: $guest)"
GFX_POOL_GUEST_PCI= GFX_POOL_GUEST_TIMEOUT=600 "$T"/run-guest.sh "$vmlinuz" "$initrd" \
	"$guest" "gfx_pool=64M" -device VGA -device qxl
check "the packaged kernel booted with gfx_pool=64M and ran to the end" \
	grep -q '^GFXPOOL: end' "$guest"
check "bochs-drm, loaded from the package, bound its device" \
	grep -q 'Initialized bochs-drm ' "$guest"
check "qxl bound its device" grep -q 'Initialized qxl ' "$guest"
check "the pool reserved 64 MiB" grep -q '^GFXPOOL-DEB: GfxPoolTotal: *65536 kB' "$guest"
check "TTM's page_pool names the pool's fallbacks" \
	grep -q '^GFXPOOL-DEB: gfx_pool fallbacks' "$guest"
check "WC pages of the package's test_gfx_pool came from the pool" \
	grep -q '^GFXPOOL-DEB: gfx_pool_allocs moved' "$guest"
check "no split of the direct map outside the pool" \
	grep -q "^GFXPOOL-DEB: gfx_pool: splits outside pool: 0" "$guest"
check "no kernel warning" bash -c "! grep -qE 'WARNING:|BUG:|Oops|Call Trace' '$guest'"
finish
