#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   test.sh <build-dir> <kernel-tree> <stage>...
#
# Boot the test guests and count what they report. Each stage is one QEMU
# boot: the built-in KUnit suites run during boot (they see the
# DirectMap counts and lookup_address(), not the vmstat split events,
# which only count once the system is running), then /init runs the
# user-space selftests, which do see the split events.
#
# Stages:
#   2m      QEMU's default CPU, 2M direct map, the Kconfig default pool
#   1g      -cpu max with 5G: 1G direct map, a whole-GiB pool (gfx_pool=1G)
#   1g-shared  -cpu max with 5G, a 64M pool at 4G sharing a GiB with others
#   debug   the KASAN/lockdep/DEBUG_VM/kmemleak kernel: zero reports
#   params  bad gfx_pool= values: reported, pool off, boot goes on
#   off     gfx_pool=0: TTM's suites and the TTM selftest on the stock path
#   sleep   pm_test levels of suspend, then a real S3 woken by the RTC
#   hibernate  a real hibernation to a virtio swap disk, a second boot resumes
#   debug-hibernate  the same with the debug kernel
#
# Every stage adds its KUnit cases, its selftests and its own checks to
# the totals; the last line is "N passed, N failed, N skipped".
set -uo pipefail
build=$(realpath "$1") ksrc=$(realpath "$2")
shift 2
here=$(cd "$(dirname "$0")" && pwd)
initrd=$build/initramfs.cpio
passed=0 failed=0 skipped=0 kunit_skipped=0

check() {	# check <name> <command...>: one pass or fail of our own
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "not ok - $name"
		failed=$((failed + 1))
	fi
}

count_kunit() {	# count_kunit <log>
	local out p f s
	out=$(python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$1" 2>&1 |
	      tr -d '\r')
	echo "$out" | grep -E '^\[[0-9:]+\] (=|\[|Testing complete|.*(FAILED|PASSED|SKIPPED|CRASHED))' |
		grep -vE '\[PASSED\]' | tail -n 40
	p=$(echo "$out" | sed -n 's/.*Testing complete\. Ran [0-9]* tests: .*passed: \([0-9]*\).*/\1/p')
	f=$(echo "$out" | sed -n 's/.*Testing complete\. Ran [0-9]* tests: .*failed: \([0-9]*\).*/\1/p')
	s=$(echo "$out" | sed -n 's/.*Testing complete\. Ran [0-9]* tests: .*skipped: \([0-9]*\).*/\1/p')
	c=$(echo "$out" | sed -n 's/.*Testing complete\. Ran [0-9]* tests: .*crashed: \([0-9]*\).*/\1/p')
	if [ -z "$p" ]; then
		echo "not ok - KUnit results missing from $1"
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + p))
	failed=$((failed + ${f:-0} + ${c:-0}))
	skipped=$((skipped + ${s:-0}))
	kunit_skipped=${s:-0}
	echo "KUnit: passed $p, failed ${f:-0}, crashed ${c:-0}, skipped ${s:-0}"
}

# With a pool, no KUnit case may skip: a pool that failed to come up would
# otherwise show up as skips, not failures.
kunit_no_skips() {
	[ "$kunit_skipped" -eq 0 ] || { echo "$kunit_skipped KUnit cases skipped"; return 1; }
}

count_selftests() {	# count_selftests <log>
	local p f s
	sed -n 's/\r$//; s/^GFXPOOL-SELFTEST: //p' "$1" > "$1.selftests"
	grep -E '^(not )?ok |^# (PASSED|FAILED|Totals)|^#  .*(FAIL|SKIP)|^# .*:[0-9]+:' "$1.selftests"
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$1.selftests" || true)
	f=$(grep -cE '^not ok [0-9]+ ' "$1.selftests" || true)
	p=$(( $(grep -cE '^ok [0-9]+ ' "$1.selftests" || true) - s ))
	if [ $((p + f + s)) -eq 0 ]; then
		echo "not ok - selftest results missing from $1"
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# Reports that a clean run must not have. Warnings the tests provoke on
# purpose are listed, with the reason, in expected-warnings.
# gfx_pool's misuse case provokes six WARNs on purpose (five refused frees
# and one malformed allocation, a WARN_ONCE); any other WARN from
# mm/gfx_pool.c is a report.
reports() {	# reports <log>
	local runs got
	tr -d '\r' < "$1" |
	grep -aE 'BUG:|Oops|KASAN|WARNING:|possible circular|possible recursive|inconsistent lock|suspicious RCU|unreferenced object|Kernel panic' |
	grep -av 'at mm/gfx_pool.c:' |
	grep -avF -f <(grep -v '^#' "$here/expected-warnings")
	runs=$(grep -ac 'gfx_pool_test_misuse: the warnings below are expected' "$1")
	got=$(grep -ac 'WARNING: .* at mm/gfx_pool.c:' "$1")
	[ "$got" -eq $((runs * 6)) ] ||
		echo "gfx_pool WARNs: $got, the misuse case accounts for $((runs * 6))"
}

no_reports() {
	local r
	r=$(reports "$1")
	[ -z "$r" ] || { echo "$r" | head -n 20; return 1; }
}

boot() {	# boot <stage> <bzImage> "<kernel args>" [qemu args...]
	local stage=$1 kernel=$2 args=$3
	shift 3
	local log=$build/test-$stage.log t0=$SECONDS
	echo "=== stage $stage: $args $*"
	check "$stage: guest booted and finished" \
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
		"gfxpool_mode=selftests $args" "$@"
	echo "    ($((SECONDS - t0)) s, log $log)"
	count_kunit "$log"
	count_selftests "$log"
}

# Bad gfx_pool= values: the boot goes on, the pool stays off, and the
# message names the value. One short boot each, with KUnit off.
params_stage() {
	local value msg log
	while IFS='|' read -r value msg; do
		log=$build/test-params.log
		echo "=== stage params: gfx_pool=$value"
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=none gfx_pool=$value"
		check "params: gfx_pool=$value boots" grep -q '^GFXPOOL: end' "$log"
		check "params: gfx_pool=$value says \"$msg\"" \
			grep -qF "gfx_pool: $msg" "$log"
		check "params: gfx_pool=$value leaves the pool off" \
			not_grep 'GFXPOOL-STATS\|gfx_pool: reserved' "$log"
	done <<-'LIST'
	abc|ignoring gfx_pool=abc: the size is not a number; the pool stays off
	|ignoring gfx_pool=: no size given
	0|off (gfx_pool=0)
	3M|ignoring gfx_pool=3M: the size is not a multiple of 2M
	64M@|ignoring gfx_pool=64M@: no base address after '@'
	64M@1M|ignoring gfx_pool=64M@1M: the base is not 2M aligned
	64M@0x200000000|ignoring gfx_pool=64M@0x200000000: the range is not all RAM
	64G|ignoring gfx_pool=64G: more than half of RAM
	LIST
}

all_grep() {	# all_grep <file> <pattern>...: every pattern is there
	local f=$1 p
	shift
	for p in "$@"; do
		grep -aq -- "$p" "$f" || { echo "missing: $p"; return 1; }
	done
}

# A real hibernation to a virtio swap disk, then a second boot that
# resumes it: WB, WC, UC and NP buffers come back intact.
hibernate_stage() {	# hibernate_stage <name> <bzImage>
	local name=$1 kernel=$2
	local img=$build/swap.img log1=$build/test-$name-1.log
	local log2=$build/test-$name-2.log
	local disk="-drive file=$img,if=virtio,format=raw"

	echo "=== stage $name"
	rm -f "$img"
	truncate -s 512M "$img"
	# shellcheck disable=SC2086
	"$here/run-guest.sh" "$kernel" "$initrd" "$log1" \
		"kunit.enable=0 gfxpool_mode=hibernate no_console_suspend" $disk
	check "$name: the pool saved its pages in use" \
		grep -aq 'gfx_pool gfx_pool: saved [1-9][0-9]* pages in use' "$log1"
	check "$name: first boot powered off in hibernation" \
		not_grep '^GFXPOOL: end' "$log1"
	# shellcheck disable=SC2086
	check "$name: second boot resumed and finished" \
		"$here/run-guest.sh" "$kernel" "$initrd" "$log2" \
		"kunit.enable=0 resume=/dev/vda no_console_suspend" $disk
	check "$name: the pool put its pages back" \
		grep -aq 'gfx_pool gfx_pool: put back [1-9][0-9]* pages' "$log2"
	count_selftests "$log2"
	check "$name: no kernel warnings before the image" no_reports "$log1"
	check "$name: no kernel warnings after resume" no_reports "$log2"
	rm -f "$img"
}

not_grep() {
	! grep -q "$@"
}

kernel=$build/kunit/arch/x86/boot/bzImage
debug_kernel=$build/kunit-debug/arch/x86/boot/bzImage

for stage in "$@"; do
	case $stage in
	2m)
		boot 2m "$kernel" ""
		check "2m: no KUnit case skipped" kunit_no_skips
		check "2m: no kernel warnings" no_reports "$build/test-2m.log"
		;;
	1g)
		# nokaslr: where KASLR puts the kernel decides which GiB of
		# the direct map keep their 1G pages.
		boot 1g "$kernel" "nokaslr gfx_pool=1G" -cpu max -m 5G
		check "1g: no KUnit case skipped" kunit_no_skips
		check "1g: the 1G direct-map page over the pool was demoted once" \
			grep -q 'gfx_pool: demoted the 1G direct-map page' \
			"$build/test-1g.log"
		check "1g: no kernel warnings" no_reports "$build/test-1g.log"
		;;
	1g-shared)
		# 4G is where QEMU's RAM above the PCI hole starts: a 1G
		# direct-map page there also maps memory outside the pool.
		boot 1g-shared "$kernel" "nokaslr gfx_pool=64M@4G" -cpu max -m 5G
		check "1g-shared: no KUnit case skipped" kunit_no_skips
		check "1g-shared: the shared 1G page was demoted once, at init" \
			grep -q 'gfx_pool: demoted the 1G direct-map page over pfn 0x100000 to 2M pages (it also maps memory outside the pool)' \
			"$build/test-1g-shared.log"
		check "1g-shared: no kernel warnings" no_reports \
			"$build/test-1g-shared.log"
		;;
	debug)
		# TTM's own suites leave their test buffer objects behind in
		# 6.12 (kmemleak reports them); they run in the other stages.
		# Two sleep cycles too, so that lockdep sees the zap and the
		# faults around it.
		GFX_POOL_GUEST_TIMEOUT=1800 boot debug "$debug_kernel" \
			"kunit.filter_glob=*gfx_pool* gfxpool_sleep=devices,core suspend.pm_test_delay=0"
		# A clean log means nothing if the checkers were not on.
		check "debug: no KUnit case skipped" kunit_no_skips
		check "debug: KASAN, lockdep and kmemleak were running" \
			all_grep "$build/test-debug.log" \
			'kasan: KernelAddressSanitizer initialized' \
			'Lock dependency validator' \
			'kmemleak: Kernel memory leak detector initialized'
		check "debug: DEBUG_VM and DEBUG_ATOMIC_SLEEP built in" \
			all_grep "$build/kunit-debug/.config" \
			'^CONFIG_DEBUG_VM=y' '^CONFIG_DEBUG_ATOMIC_SLEEP=y'
		check "debug: no KASAN, lockdep, DEBUG_VM or kmemleak report" \
			no_reports "$build/test-debug.log"
		check "debug: kmemleak scanned" grep -q '^GFXPOOL: kmemleak scanned' \
			"$build/test-debug.log"
		;;
	params)
		params_stage
		;;
	sleep)
		# Every pm_test level of suspend to RAM, then a real S3 woken
		# by the RTC: mappings zapped, refaulted, data intact.
		log=$build/test-sleep.log
		echo "=== stage sleep"
		check "sleep: guest booted and finished" \
			"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=none gfxpool_sleep=freezer,devices,platform,processors,core,mem suspend.pm_test_delay=0 no_console_suspend"
		count_selftests "$log"
		check "sleep: a real S3 cycle happened" \
			grep -aq 'ACPI: PM: Waking up from system sleep state S3' "$log"
		check "sleep: no kernel warnings" no_reports "$log"
		;;
	hibernate)
		hibernate_stage hibernate "$kernel"
		;;
	debug-hibernate)
		# The same under KASAN, lockdep, DEBUG_VM and kmemleak.
		GFX_POOL_GUEST_TIMEOUT=1800 hibernate_stage debug-hibernate \
			"$debug_kernel"
		;;
	off)
		# gfx_pool=0 must be stock 6.12: TTM's own suites pass, the
		# pool's suites skip, and TTM splits as it always did.
		boot off "$kernel" "gfx_pool=0"
		check "off: TTM's suites ran and passed" \
			grep -aqE '^ok [0-9]+ ttm_pool[[:space:]]*$' "$build/test-off.log"
		check "off: no kernel warnings" no_reports "$build/test-off.log"
		;;
	*)
		echo "unknown stage $stage" >&2
		exit 2
		;;
	esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
