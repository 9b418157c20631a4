#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   check.sh <repo> <kernel-tree> <build-dir>
#
# The style gate: checkpatch --strict and kernel-doc -Wall on our files
# (make check has checked the series' patches through make patches
# before), our MAINTAINERS entry and ABI files, coccicheck, then W=1
# builds of our objects, and sparse over them, in three configurations: the
# test kernel's (KUnit, debugfs), the pool without KUnit, debugfs or PM,
# every file of the pool with fault injection, and no pool at all (the
# static inline stubs and the setup_arch() hook). It
# prints nothing but findings and exits non-zero on any.
set -uo pipefail
repo=$(realpath "$1") ksrc=$(realpath "$2") build=$(realpath "$3")
cd "$ksrc" || exit 1
status=0

files="mm/gfx_pool/core.c mm/gfx_pool/pcp.c mm/gfx_pool/pcp.h mm/gfx_pool/region.c mm/gfx_pool/elastic.c
	mm/gfx_pool/pm.c mm/gfx_pool/debugfs.c mm/gfx_pool/fail.c
	mm/gfx_pool/gfx_pool.h mm/gfx_pool/gfx_pool_test.c mm/gfx_pool/Makefile
	include/linux/gfx_pool.h include/linux/gfx_pool_pm.h
	include/linux/gfx_pool_mm.h include/kunit/gfx_pool.h
	include/trace/events/gfx_pool.h
	arch/x86/include/asm/gfx_pool.h arch/x86/mm/gfx_pool.c
	lib/test_gfx_pool.c lib/test_gfx_pool_uapi.h
	drivers/gpu/drm/ttm/tests/ttm_gfx_pool_test.c
	drivers/char/agp/agp_gfx_pool_test.c"
selftests=$(cd "$repo" && ls tools/testing/selftests/mm/gfx_pool*.[ch])

# checkpatch -f cannot see kernel-parameters.txt (it only looks for the
# documentation of a __setup() in the same patch): UNDOCUMENTED_SETUP is
# checked below against the patched tree instead.
out=$(./scripts/checkpatch.pl --strict --no-tree -q \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,UNDOCUMENTED_SETUP \
	-f $files $selftests 2>&1)
[ -z "$out" ] || { echo "$out"; status=1; }
for p in $(cat $files | sed -n 's/.*\b\(__setup\|early_param\)("\([^"=]*\)=\{0,1\}".*/\2/p'); do
	grep -qE "^[[:space:]]+$p=" Documentation/admin-guide/kernel-parameters.txt ||
		{ echo "$p= is not in kernel-parameters.txt"; status=1; }
done
# The series itself (build/patches/) is checked by `make patches`, which
# make check runs first: patches/*.patch are only its kernel-file hunks.

out=$(./scripts/kernel-doc -none -Wall $files 2>&1)
[ -z "$out" ] || { echo "$out"; status=1; }

# Where users look. Every F: of our MAINTAINERS entry names files of the
# tree, and get_maintainer.pl names us for every file of the overlay.
entry=$(sed -n '/^GFX_POOL (GRAPHICS PAGE POOL)$/,/^$/p' MAINTAINERS)
[ -n "$entry" ] || { echo "MAINTAINERS has no GFX_POOL entry"; status=1; }
for f in $(echo "$entry" | sed -n 's/^F:\t//p'); do
	# shellcheck disable=SC2086
	compgen -G "$f" > /dev/null ||
		{ echo "MAINTAINERS: F: $f matches no file"; status=1; }
done
overlay=$(cd "$repo" && find Documentation arch include lib mm drivers \
	tools/testing/selftests -type f)
# shellcheck disable=SC2086
for f in $overlay; do
	./scripts/get_maintainer.pl --nogit --nogit-fallback --norolestats \
		--no-l -f "$f" 2>/dev/null | grep -q '^gfx_pool developers' ||
		{ echo "MAINTAINERS: no GFX_POOL entry covers $f"; status=1; }
done
# Every module parameter and debugfs file of the pool has an ABI entry,
# and the ABI files parse.
abi=$(cat Documentation/ABI/testing/*gfx_pool*)
for p in $(sed -n 's/^module_param_cb(\([a-z_]*\),.*/\1/p' mm/gfx_pool/*.c); do
	grep -qx "What:[[:space:]]*/sys/module/gfx_pool/parameters/$p" <<< "$abi" ||
		{ echo "ABI: no entry for gfx_pool.$p"; status=1; }
	grep -qE "^[[:space:]]+gfx_pool\.$p=" \
		Documentation/admin-guide/kernel-parameters.txt ||
		{ echo "gfx_pool.$p= is not in kernel-parameters.txt"; status=1; }
done
for f in $(sed -n 's/.*debugfs_create_file("\([a-z_]*\)".*/\1/p' mm/gfx_pool/*.c); do
	grep -qx "What:[[:space:]]*/sys/kernel/debug/gfx_pool/$f" <<< "$abi" ||
		{ echo "ABI: no entry for debugfs gfx_pool/$f"; status=1; }
done
out=$(./scripts/get_abi.pl validate --dir Documentation/ABI 2>&1 | grep -A2 gfx_pool)
[ -z "$out" ] || { echo "$out"; status=1; }

# coccicheck, every script of scripts/coccinelle in report mode, over a
# copy of our files (M= takes one directory; ours are spread over six).
# Only findings name a file: spatch's notes on the scripts themselves
# ("should X be a metavariable?") do not.
cocci=$build/cocci
rm -rf "$cocci"
for f in $files; do
	case $f in *.[ch]) ;; *) continue ;; esac
	mkdir -p "$cocci/$(dirname "$f")"
	cp "$f" "$cocci/$f"
done
out=$(make -s coccicheck MODE=report M="$cocci" J="$(nproc)" 2>&1)
[ $? -eq 0 ] || { echo "coccicheck failed:"; echo "$out" | tail -n 20; status=1; }
out=$(echo "$out" | grep "^$cocci/" | sed "s|^$cocci/||")
[ -z "$out" ] || { echo "coccicheck:"; echo "$out"; status=1; }

# w1 <name> <objects> -- <scripts/config arguments>: allnoconfig plus those.
w1() {
	local name=$1 objs=$2 o=$build/check-$1
	shift 3
	mkdir -p "$o"
	make -s ARCH=x86_64 O="$o" allnoconfig > /dev/null &&
	./scripts/config --file "$o/.config" -e 64BIT -e MMU "$@" &&
	make -s ARCH=x86_64 O="$o" olddefconfig > /dev/null || return 1
	# Rebuild our objects every time, so that their warnings show.
	# shellcheck disable=SC2086
	(cd "$o" && rm -f $objs)
	make -s ARCH=x86_64 O="$o" CC="ccache gcc" W=1 -j"$(nproc)" $objs 2>&1
}

# Our hunks in existing files; QXL is there only to pull in TTM.
users="arch/x86/kernel/setup.o fs/proc/meminfo.o mm/vmstat.o"
users="$users drivers/gpu/drm/ttm/ttm_pool.o"
users="$users drivers/gpu/drm/ttm/ttm_device.o drivers/gpu/drm/ttm/ttm_bo_vm.o"
users="$users drivers/gpu/drm/ttm/ttm_tt.o"
users="$users drivers/char/agp/generic.o drivers/char/agp/intel-gtt.o"
# (arch/x86/boot/compressed/kaslr.o is left out: that directory is not
# W=1 clean in unpatched 6.12, and builds only as part of bzImage; the test
# kernels build it with every make test.)
# Not W=1 clean in unpatched 6.12 either (the kernel-doc of
# pat_pfn_immune_to_uc_mtrr()), so built without W=1 below:
plain="arch/x86/mm/pat/memtype.o"
users_cfg="-e PCI -e AGP -e AGP_INTEL -e DRM -e DRM_QXL"

# w1_check <name> <objects> <scripts/config arguments...>
w1_check() {
	local name=$1 objs=$2 out want
	shift 2
	out=$(w1 "$name" "$objs" -- "$@")
	[ -z "$out" ] || { echo "W=1 ($name):"; echo "$out"; status=1; }
	for want in $objs; do
		[ -f "$build/check-$name/$want" ] ||
			{ echo "W=1 ($name): $want was not built"; status=1; }
	done
}

# plain_check <name> <objects>: in the tree w1_check <name> configured,
# these objects without W=1; any output fails.
plain_check() {
	local name=$1 objs=$2 o=$build/check-$1 out want
	# shellcheck disable=SC2086
	(cd "$o" && rm -f $objs)
	# shellcheck disable=SC2086
	out=$(make -s ARCH=x86_64 O="$o" CC="ccache gcc" -j"$(nproc)" $objs 2>&1)
	[ -z "$out" ] || { echo "build ($name):"; echo "$out"; status=1; }
	for want in $objs; do
		[ -f "$o/$want" ] ||
			{ echo "build ($name): $want was not built"; status=1; }
	done
}

pool="mm/gfx_pool/core.o mm/gfx_pool/pcp.o mm/gfx_pool/region.o mm/gfx_pool/elastic.o"
pool="$pool arch/x86/mm/gfx_pool.o"
# shellcheck disable=SC2086
w1_check nokunit "$pool lib/test_gfx_pool.o $users" \
	-e X86_PAT -e GFX_POOL -e RUNTIME_TESTING_MENU -e TEST_GFX_POOL \
	-d KUNIT -d DEBUG_FS $users_cfg
plain_check nokunit "$plain"
# Every file of the pool, fault injection included, without KUnit.
# shellcheck disable=SC2086
w1_check fail "$pool mm/gfx_pool/pm.o mm/gfx_pool/debugfs.o mm/gfx_pool/fail.o" \
	-e X86_PAT -e GFX_POOL -e SUSPEND -e DEBUG_FS -e DEBUG_KERNEL \
	-e FAULT_INJECTION -e FAULT_INJECTION_DEBUG_FS -e FAIL_GFX_POOL -d KUNIT
# shellcheck disable=SC2086
w1_check off "$users" -d GFX_POOL $users_cfg
plain_check off "$plain"

# The test kernel's own configuration, with KUnit and debugfs.
tests="$pool mm/gfx_pool/pm.o mm/gfx_pool/debugfs.o
	mm/gfx_pool/gfx_pool_test.o lib/test_gfx_pool.o
	drivers/gpu/drm/ttm/tests/ttm_gfx_pool_test.o
	drivers/char/agp/agp_gfx_pool_test.o"
# shellcheck disable=SC2086
(cd "$build/kunit" && rm -f $tests)
# shellcheck disable=SC2086
out=$(make -s ARCH=x86_64 O="$build/kunit" CC="ccache gcc" W=1 -j"$(nproc)" \
	$tests 2>&1)
[ -z "$out" ] || { echo "W=1 (kunit):"; echo "$out"; status=1; }

# sparse (C=2: every object named, whether it needs building or not)
# over the pool's own files: in the test kernel's configuration, and
# fail.o in the fault-injection one. The kernel files our hunks touch
# are left out: unpatched 6.12 already has sparse findings in some of
# them (generic.c's agp_gatt_table, vmstat.c's walk_zones_in_node).
# sparse_check <build dir> <objects>
sparse_check() {
	local o=$1 objs=$2 out
	# shellcheck disable=SC2086
	out=$(make -s ARCH=x86_64 O="$o" CC="ccache gcc" C=2 -j"$(nproc)" \
		$objs 2>&1)
	[ -z "$out" ] || { echo "sparse ($(basename "$o")):"; echo "$out"; status=1; }
}
sparse_check "$build/kunit" "$tests"
sparse_check "$build/check-fail" mm/gfx_pool/fail.o
exit $status
