#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   test.sh <build-dir> <kernel-tree> <stage>...
#
# A <stage> may also be lanes that run at once, "a,b+c,d": a then b in
# one lane, c then d in the other (run_lanes).
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
#   inject  the debug kernel with fail_gfx_pool=: each step of init that
#           can fail, failed once; the pool says why and loses nothing
#   init-on init_on_alloc=1 init_on_free=1: the pool's suites pass
#   params  bad gfx_pool= values: reported, pool off, boot goes on
#   off     gfx_pool=0: TTM's suites and the TTM selftest on the per-page path
#   kselftest  make -C tools/testing/selftests TARGETS=mm on the host, then
#           run_vmtests.sh -t gfx_pool in a guest with the pool (passes) and
#           in one with neither pool nor test driver (one clean skip)
#   numa    two nodes, a region on each: every pool suite, the NUMA cases,
#           the selftests; and gfx_pool=256M split across the nodes
#   lend    gfx_pool=512M in 1.5G, lent while idle: a process fills most of
#           memory, and the pool takes the whole region back around it
#   grow-only  gfx_pool=0 gfx_pool.grow_limit=1G: no region, the pool
#           serves from growth alone; the growth cases and the selftests
#   sleep   pm_test levels of suspend, then a real S3 woken by the RTC,
#           with faults under a driver lock that resume takes
#   hibernate  two real hibernations with KASLR, 40% of RAM in the pool
#           (region and grown blocks), each resumed from the next boot's
#           /init
#   debug-hibernate  the same with the debug kernel
#   rt      (make test-rt only) a PREEMPT_RT kernel with lockdep, built
#           by GFX_POOL_RT_BUILD: the KUnit suites and the selftests
#
# Every stage adds its KUnit cases, its selftests and its own checks to
# the totals; the last line is "N passed, N failed, N skipped".
set -uo pipefail
build=$(realpath "$1") ksrc=$(realpath "$2")
shift 2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/testing/gfx_pool/reports.sh
. "$here/reports.sh"
initrd=$build/initramfs.cpio
# The UEFI firmware of Debian's ovmf package, for the efi stage.
ovmf=/usr/share/ovmf/OVMF.fd
passed=0 failed=0 skipped=0 kunit_skipped=0
# Every failure by name, repeated at the end: CI shows only the tail.
failures=""

fail() {	# fail <name>: one failure, remembered for the summary
	echo "not ok - $1"
	failed=$((failed + 1))
	failures="$failures
  $1"
}

check() {	# check <name> <command...>: one pass or fail of our own
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		fail "$name"
	fi
}

count_kunit() {	# count_kunit <log>
	local out p f s
	local ktap=${1%.log}.ktap
	# Only KUnit's own lines: a kernel message that lands between two
	# of them (the TSC calibration, a mouse found, ...) once made the
	# parser lose a whole suite, reported as crashed cases. KTAP lines
	# are indented, or begin with KTAP, 1.., ok, not ok or "# "; the
	# kernel's own messages begin with a word at column 0.
	tr -d '\r' < "$1" | grep -aE '^([[:space:]]|KTAP |1\.\.|ok |not ok |# )' > "$ktap"
	out=$(python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$ktap" 2>&1 |
	      tr -d '\r')
	echo "$out" | grep -E '^\[[0-9:]+\] (=|\[|Testing complete|.*(FAILED|PASSED|SKIPPED|CRASHED))' |
		grep -vE '\[PASSED\]' | tail -n 40
	p=$(echo "$out" | sed -n 's/.*Testing complete\. Ran [0-9]* tests: .*passed: \([0-9]*\).*/\1/p')
	f=$(echo "$out" | sed -n 's/.*Testing complete\. Ran [0-9]* tests: .*failed: \([0-9]*\).*/\1/p')
	s=$(echo "$out" | sed -n 's/.*Testing complete\. Ran [0-9]* tests: .*skipped: \([0-9]*\).*/\1/p')
	c=$(echo "$out" | sed -n 's/.*Testing complete\. Ran [0-9]* tests: .*crashed: \([0-9]*\).*/\1/p')
	# This log's, whatever happens: never the last stage's skips.
	kunit_skipped=${s:-0}
	kunit_log=$1
	if [ -z "$p" ]; then
		fail "KUnit results missing from $1"
		return
	fi
	passed=$((passed + p))
	failed=$((failed + ${f:-0} + ${c:-0}))
	# The failed and crashed cases by name, as the parser printed them.
	if [ $((${f:-0} + ${c:-0})) -gt 0 ]; then
		failures="$failures
$(echo "$out" | grep -E '\[(FAILED|CRASHED)\]' | sed "s|^|  $(basename "$1"): |")"
	fi
	skipped=$((skipped + ${s:-0}))
	echo "KUnit: passed $p, failed ${f:-0}, crashed ${c:-0}, skipped ${s:-0}"
}

# With a pool, no KUnit case may skip: a pool that failed to come up would
# otherwise show up as skips, not failures. The one skip allowed is the
# NUMA cases' on a guest with one node (the numa stage has two, and
# allows none).
numa_skips() {	# numa_skips <log>: KUnit cases skipped for want of two nodes
	grep -ac '# SKIP needs pool regions on two nodes' "$1"
}

# A pool wholly above 4G, as in the 1g stages: a 32-bit GART reaches none
# of it, so agp_gfx_pool's 32-bit dry_midway case has nothing to run on
# (the 2m stage, with the pool below 4G, runs it).
gart_skips() {	# gart_skips <log>: KUnit cases skipped for a GART out of reach
	grep -ac '# SKIP the GART does not reach the whole pool' "$1"
}

kunit_no_skips() {
	local allowed=${1:-$(numa_skips "$kunit_log")}

	[ "$kunit_skipped" -eq "$allowed" ] ||
		{ echo "$kunit_skipped KUnit cases skipped, $allowed allowed (no second node, or a GART out of reach)"; return 1; }
}

# kunit_no_skips for a stage whose pool lies above 4G: the NUMA skips and
# exactly one out-of-reach GART case.
# Above 4G, dry_midway skips for each GART that reaches 32 bits: the
# 32-bit one, and the one whose driver does not say.
kunit_no_skips_above_4g() {
	[ "$(gart_skips "$kunit_log")" -eq 2 ] ||
		{ echo "expected the two 32-bit GART cases to skip, not $(gart_skips "$kunit_log")"; return 1; }
	kunit_no_skips $(($(numa_skips "$kunit_log") + 2))
}

# The kselftest output of one stage: every plan is met, the Totals lines
# agree with the ok/not ok lines, and every run exited 0. Skips are
# counted; pool-on stages allow none (no_selftest_skips).
selftest_skipped=0
count_selftests() {	# count_selftests <log>...
	local out=${1%.log}.selftests p f s plan tp tf ts runs exits bad
	cat "$@" | sed -n 's/\r$//; s/^GFXPOOL-KSFT: //p' > "$out"
	grep -E '^(not )?ok |^# (PASSED|FAILED|Totals)|^#  .*(FAIL|SKIP)|^# .*:[0-9]+:|^# exit status' "$out"
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out")
	f=$(grep -cE '^not ok [0-9]+ ' "$out")
	p=$(( $(grep -cE '^ok [0-9]+ ' "$out") - s ))
	selftest_skipped=$s
	if [ $((p + f + s)) -eq 0 ]; then
		fail "selftest results missing from $*"
		return
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		failures="$failures
$(grep -E '^not ok [0-9]+ ' "$out" | sed "s|^|  $(basename "$out"): |")"
	fi
	skipped=$((skipped + s))
	plan=$(awk '/^1\.\.[0-9]+$/ { n += substr($0, 4) } END { print n + 0 }' "$out")
	tp=$(total pass "$out") tf=$(total fail "$out") ts=$(total skip "$out")
	runs=$(grep -c '^1\.\.' "$out")
	exits=$(grep -c '^# exit status ' "$out")
	bad=$(grep '^# exit status ' "$out" | grep -vc '^# exit status 0$')
	check "selftests of $(basename "$1" .log): $plan planned, Totals agree, $runs runs exited 0" \
		all_true "$plan -eq $((p + f + s))" "$tp -eq $p" "$tf -eq $f" \
		"$ts -eq $s" "$exits -eq $runs" "$bad -eq 0"
}

total() {	# total <field> <file>: the sum of that field of the Totals lines
	awk -v k="$1:" '/^# Totals: / { for (i = 3; i <= NF; i++)
		if (index($i, k) == 1) n += substr($i, length(k) + 1) }
		END { print n + 0 }' "$2"
}

all_true() {	# all_true "<a> -eq <b>"...: every comparison holds
	local c
	for c in "$@"; do
		# shellcheck disable=SC2086
		[ $c ] || { echo "does not hold: $c"; return 1; }
	done
}

no_selftest_skips() {
	[ "$selftest_skipped" -eq 0 ] || { echo "$selftest_skipped selftests skipped"; return 1; }
}

# A boot that only a few lines of its log are checked for: it must also
# have run to the end of /init, and without a report.
ran_clean() {	# ran_clean <what> <log>
	check "$1: the guest ran to the end" grep -aq '^GFXPOOL: end' "$2"
	check "$1: no kernel warnings" no_reports "$2"
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
# message names the value. Short boots with KUnit off; a boot per value
# only where one boot cannot tell the values apart (params_stage).
stats_line() {	# stats_line <log> <line>: debugfs stats had exactly <line>
	# Not grep -q: under pipefail, a grep that stops at the first match
	# can leave tr writing to a closed pipe, and its SIGPIPE fails the
	# check (seen once, in a lane, on a line that was there).
	tr -d '\r' < "$1" | grep -xF "GFXPOOL-STATS: $2" > /dev/null
}

stats_value() {	# stats_value <log> <field>: the number debugfs stats gave it
	tr -d '\r' < "$1" | sed -n "s/^GFXPOOL-STATS: $2: \([0-9]*\)\$/\1/p"
}

# gfx_pool= values the parser refuses, each with what it says.
params_parse_list() {
	cat <<-'LIST'
	abc|ignoring gfx_pool=abc: the size is not a number; the pool stays off
	|ignoring gfx_pool=: no size given
	3M|ignoring gfx_pool=3M: the size is not a multiple of 2M
	64M@|ignoring gfx_pool=64M@: no base address after '@'
	64M@1M|ignoring gfx_pool=64M@1M: the base is not 2M aligned
	0:64M,0:64M|ignoring gfx_pool=0:64M,0:64M: a node is given twice
	0:3M|ignoring gfx_pool=0:3M: a node's size is not a multiple of 2M
	LIST
}

# Bad values of the run-time parameters: the value, the stats line of
# the default it keeps, and what it says.
params_runtime_list() {
	cat <<-'LIST'
	gfx_pool.warm_blocks=9|warm_blocks: 1|gfx_pool.warm_blocks=9: not a number of blocks from 0 to 8
	gfx_pool.warm_blocks=x|warm_blocks: 1|gfx_pool.warm_blocks=x: not a number of blocks from 0 to 8
	gfx_pool.grow_limit=3M|grow_limit_blocks: 0|gfx_pool.grow_limit=3M: not a size that is a multiple of 2M
	gfx_pool.pcp=maybe|pcp: yes|gfx_pool.pcp=maybe: not a boolean
	gfx_pool.warm_blocks=-1|warm_blocks: 1|gfx_pool.warm_blocks=-1: not a number of blocks from 0 to 8
	gfx_pool.grow_limit=-2M|grow_limit_blocks: 0|gfx_pool.grow_limit=-2M: not a size that is a multiple of 2M
	gfx_pool.grow_limit=18446744073709551615G|grow_limit_blocks: 0|gfx_pool.grow_limit=18446744073709551615G: not a size that is a multiple of 2M
	gfx_pool.lend=maybe|lends: yes|ignoring gfx_pool.lend=maybe: not a boolean
	gfx_pool.lend=|lends: yes|ignoring gfx_pool.lend=: not a boolean
	LIST
}

params_stage() {
	local value msg log args param default

	# The parser's refusals, all in one boot: gfx_pool_parse_param()
	# judges each value as it is parsed and says why at once (its KUnit
	# table checks every value's verdict). The last gfx_pool= wins, so
	# the good one in front of them must not: the pool stays off.
	log=$build/test-params-parse.log
	args="gfx_pool=64M"
	while IFS='|' read -r value msg; do
		args="$args gfx_pool=$value"
	done < <(params_parse_list)
	echo "=== stage params: $args"
	"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
		"kunit.enable=0 gfxpool_mode=none $args"
	check "params: refused by the parser: boots" grep -q '^GFXPOOL: end' "$log"
	check "params: refused by the parser: no kernel warnings" \
		no_reports "$log"
	while IFS='|' read -r value msg; do
		check "params: gfx_pool=$value says \"$msg\"" \
			grep -qF "gfx_pool: $msg" "$log"
	done < <(params_parse_list)
	check "params: a later bad gfx_pool= wins over an earlier good one" \
		not_grep 'GFXPOOL-STATS\|gfx_pool: reserved' "$log"

	# What only the machine can judge, against the gfx_pool= that won:
	# one boot each.
	while IFS='|' read -r value msg; do
		log=$build/test-params.log
		echo "=== stage params: gfx_pool=$value"
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=none gfx_pool=$value"
		check "params: gfx_pool=$value boots" grep -q '^GFXPOOL: end' "$log"
		check "params: gfx_pool=$value: no kernel warnings" \
			no_reports "$log"
		check "params: gfx_pool=$value says \"$msg\"" \
			grep -qF "gfx_pool: $msg" "$log"
		check "params: gfx_pool=$value leaves the pool off" \
			not_grep 'GFXPOOL-STATS\|gfx_pool: reserved' "$log"
	done <<-'LIST'
	0|off (gfx_pool=0)
	64M@0x200000000|ignoring gfx_pool=64M@0x200000000: the range is not all RAM
	64M@16M nokaslr|ignoring gfx_pool=64M@16M: the range is already in use
	64G|ignoring gfx_pool=64G: more than half of RAM
	5:64M|ignoring gfx_pool=5:64M: node 5 has no memory
	LIST

	# The run-time parameters refuse each bad value as it is set, with
	# a message, and keep their default: all in one boot, behind a bad
	# gfx_pool= that a later good one overrides.
	log=$build/test-params-runtime.log
	args="gfx_pool=abc gfx_pool=64M"
	while IFS='|' read -r param default msg; do
		args="$args $param"
	done < <(params_runtime_list)
	echo "=== stage params: $args"
	"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
		"kunit.enable=0 gfxpool_mode=none $args"
	check "params: run-time parameters refused: boots" \
		grep -q '^GFXPOOL: end' "$log"
	check "params: run-time parameters refused: no kernel warnings" \
		no_reports "$log"
	check "params: a later good gfx_pool= wins over an earlier bad one" \
		grep -q 'gfx_pool: reserved 64 MiB' "$log"
	while IFS='|' read -r param default msg; do
		check "params: $param says \"$msg\"" grep -qF "gfx_pool: $msg" "$log"
		check "params: $param leaves the pool on with $default" \
			stats_line "$log" "$default"
	done < <(params_runtime_list)
	# A fixed range that is 2M-aligned only: taken as it is, but not
	# lent (CMA areas start on pageblocks, 4M here); and the per-CPU
	# lists turned off at boot.
	log=$build/test-params-unaligned.log
	echo "=== stage params: gfx_pool=66M@0x10200000 gfx_pool.pcp=0"
	"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
		"kunit.enable=0 gfxpool_mode=none gfx_pool=66M@0x10200000 gfx_pool.pcp=0"
	check "params: gfx_pool=66M@0x10200000 is reserved where asked" \
		grep -q 'gfx_pool: reserved 66 MiB at 0x0000000010200000' "$log"
	# CMA takes areas on pageblocks: 2M with CONFIG_HUGETLB_PAGE (the
	# test kernel has it, as distributions do), where such a region
	# lends. (With 4M pageblocks it would not, and say why; no kernel
	# built here has them.)
	check "params: the test kernel has 2M pageblocks (CONFIG_HUGETLB_PAGE)" \
		grep -q '^CONFIG_HUGETLB_PAGE=y' "$build/kunit/.config"
	check "params: gfx_pool=66M@0x10200000 is lent (2M pageblocks)" \
		stats_line "$log" "lends: yes"
	check "params: gfx_pool.pcp=0 leaves the per-CPU lists off" \
		stats_line "$log" "pcp: no"
	ran_clean "params: gfx_pool=66M@0x10200000" "$log"
	# A fixed range across 16M, the end of ZONE_DMA: a CMA area lies in
	# one zone, so the region is the pool's for good, and says why. The
	# KUnit placement case checks that it is not lent.
	log=$build/test-params-zones.log
	echo "=== stage params: gfx_pool=64M@8M"
	"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
		"gfxpool_mode=none gfx_pool=64M@8M kunit.filter_glob=gfx_pool.gfx_pool_test_placement"
	check "params: gfx_pool=64M@8M says it spans zones and is not lent" \
		grep -qF 'gfx_pool: the region at 0x0000000000800000 spans zones or nodes; it is not lent' "$log"
	check "params: gfx_pool=64M@8M is not lent" stats_line "$log" "lends: no"
	check "params: gfx_pool=64M@8M: KUnit's placement case passed" \
		grep -aqE '^ *ok 1 gfx_pool_test_placement[[:space:]]*$' "$log"
	ran_clean "params: gfx_pool=64M@8M" "$log"
	# Above 4G there is room for 1G only at 2M alignment (memmap= holes
	# break every GiB window there), below 4G at 1G alignment: the
	# region goes above 4G all the same, and leaves 32-bit memory to
	# those who need it. nokaslr, so that the kernel stays at 16M.
	log=$build/test-params-above4g.log
	echo "=== stage params: gfx_pool=1G, GiB windows above 4G broken"
	"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
		'nokaslr gfxpool_mode=none kunit.filter_glob=gfx_pool.gfx_pool_test_placement gfx_pool=1G memmap=16M$0x110000000 memmap=16M$0x170000000 memmap=16M$0x1a0000000 memmap=16M$0x1e0000000' \
		-m 7G
	check "params: gfx_pool=1G goes above 4G, unaligned, not below at 1G" \
		grep -q 'gfx_pool: reserved 1024 MiB at 0x0000000130000000' "$log"
	check "params: gfx_pool=1G above 4G: KUnit's placement case passed" \
		grep -aqE '^ *ok 1 gfx_pool_test_placement[[:space:]]*$' "$log"
	ran_clean "params: gfx_pool=1G above 4G" "$log"
	# A fixed range across the middle of RAM, where KASLR would often
	# put the kernel: the decompressor keeps out of it, every boot.
	local where="" at
	for i in 1 2 3 4 5 6; do
		echo "=== stage params: gfx_pool=768M@256M, KASLR boot $i"
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=none gfx_pool=768M@256M"
		at=$(sed -n 's/\r$//; s/^GFXPOOL: kernel at *\([0-9a-f]*\)-.*/\1/p' "$log")
		echo "    kernel at ${at:-?}"
		where="$where ${at:-?}"
		check "params: gfx_pool=768M@256M reserved on KASLR boot $i" \
			grep -q 'gfx_pool: reserved 768 MiB at 0x0000000010000000' "$log"
		check "params: KASLR boot $i put the kernel code outside [256M, 1G)" \
			outside_range "$at" 0x10000000 0x40000000
		ran_clean "params: KASLR boot $i" "$log"
	done
	# Proof that KASLR was on at all: the kernel moved between boots.
	check "params: KASLR put the kernel at more than one address ($where )" \
		[ "$(echo "$where" | tr ' ' '\n' | grep -v '^$' | sort -u | wc -l)" -gt 1 ]
}

memtotal() {	# memtotal <log>: MemTotal in kB, as /init saw it
	sed -n 's/\r$//; s/^GFXPOOL: MemTotal: *\([0-9]*\) kB/\1/p' "$1"
}

memavailable() {	# memavailable <log>: MemAvailable in kB, as /init saw it
	sed -n 's/\r$//; s/^GFXPOOL: MemAvailable: *\([0-9]*\) kB/\1/p' "$1"
}

only_lend_skipped() {	# only_lend_skipped <log>: lending needs a region
	[ "$(grep -ac '^GFXPOOL-KSFT: ok [0-9]* .* # SKIP' "$1")" = \
	  "$(grep -ac '^GFXPOOL-KSFT: ok [0-9]* lend.round_trip # SKIP the region is not lent' "$1")" ]
}

at_least_90_percent() {	# at_least_90_percent <value> <of>
	[ -n "$1" ] && [ -n "$2" ] && [ $(($1 * 10)) -ge $(($2 * 9)) ]
}

grew_by() {	# grew_by <before> <after> <delta>: after - before == delta
	[ -n "$1" ] && [ -n "$2" ] && [ $(($2 - $1)) -eq "$3" ]
}

# Injected failures at init (CONFIG_FAIL_GFX_POOL, so the debug kernel).
# fail_gfx_pool=<n>,100,0,1 fails the n-th fallible step once, counted
# in the order gfx_pool_init() takes them: the block array, the zeroing
# slot, the node, then the 1G demotion's set_memory_wc() and _wb().
inject_stage() {
	local log on n what mt
	# gfx_pool.lend=0: the region is the pool's until init gives it back.
	local args="nokaslr kunit.enable=0 gfxpool_mode=none gfx_pool=64M gfx_pool.lend=0"

	# Malformed fail_gfx_pool= values, five in one boot: a message for
	# each that names it and its value (setup_fault_attr()'s own names
	# neither), injection left off, the pool up and whole. With nothing
	# injected, this boot is also the reference: MemTotal with the pool
	# on, for the boots below that fail it.
	log=$build/test-inject-malformed.log
	echo "=== stage inject: malformed fail_gfx_pool= values"
	"$here/run-guest.sh" "$debug_kernel" "$initrd" "$log" \
		"$args fail_gfx_pool= fail_gfx_pool=x fail_gfx_pool=1,100 fail_gfx_pool=1,100,0 fail_gfx_pool=1;100;0;1"
	check "inject: malformed fail_gfx_pool=: the boot goes on" \
		grep -q '^GFXPOOL: end' "$log"
	check "inject: malformed fail_gfx_pool=: each one refused, named with its value" \
		all_grep "$log" \
		'gfx_pool: fail_gfx_pool=: not <interval>,<probability>,<space>,<times>; no failures will be injected' \
		'gfx_pool: fail_gfx_pool=x: not <interval>' \
		'gfx_pool: fail_gfx_pool=1,100: not <interval>' \
		'gfx_pool: fail_gfx_pool=1,100,0: not <interval>' \
		'gfx_pool: fail_gfx_pool=1;100;0;1: not <interval>'
	on=$(memtotal "$log")
	check "inject: malformed fail_gfx_pool=: nothing injected, the pool up" \
		sh -c '! grep -q "FAULT_INJECTION: forcing a failure" "$1" &&
			grep -q "gfx_pool: 32 blocks of 2M ready" "$1"' sh "$log"
	check "inject: malformed fail_gfx_pool=: no failure counted" \
		all_stats "$log" 'broken_blocks: 0' 'direct_map_failures: 0'
	check "inject: malformed fail_gfx_pool=: no kernel warnings" \
		no_reports "$log"

	while read -r n what; do
		log=$build/test-inject-$n.log
		echo "=== stage inject: failing the $what"
		"$here/run-guest.sh" "$debug_kernel" "$initrd" "$log" \
			"$args fail_gfx_pool=$n,100,0,1"
		check "inject: failing the $what: the boot goes on" \
			grep -q '^GFXPOOL: end' "$log"
		check "inject: failing the $what: the failure was injected" \
			grep -q 'FAULT_INJECTION: forcing a failure' "$log"
		check "inject: failing the $what: the pool says why, stays off" \
			grep -q 'gfx_pool: no memory for the metadata of 32 blocks; the pool stays off and its memory is freed' "$log"
		mt=$(memtotal "$log")
		echo "    MemTotal ${mt:-?} kB, with the pool on ${on:-?} kB"
		check "inject: failing the $what: its 64 MiB went back to MemTotal" \
			grew_by "$on" "$mt" 65536
		check "inject: failing the $what: no kernel warnings" \
			no_reports "$log"
	done <<-'LIST'
	1 block array
	2 zeroing slot
	3 node
	LIST

	# The same failure with a lent region: CMA has had it since
	# core_initcall, so it stays lent; MemTotal counts it as it counts
	# a region given back.
	log=$build/test-inject-lend.log
	echo "=== stage inject: failing the node, region lent"
	"$here/run-guest.sh" "$debug_kernel" "$initrd" "$log" \
		"nokaslr kunit.enable=0 gfxpool_mode=none gfx_pool=64M fail_gfx_pool=3,100,0,1"
	check "inject: lent region, failing the node: the boot goes on" \
		grep -q '^GFXPOOL: end' "$log"
	check "inject: lent region, failing the node: the pool says why, stays off" \
		grep -q 'gfx_pool: no memory for the metadata of 32 blocks; the pool stays off and its memory stays lent' "$log"
	mt=$(memtotal "$log")
	echo "    MemTotal ${mt:-?} kB, with the pool on ${on:-?} kB"
	check "inject: lent region, failing the node: its 64 MiB are in MemTotal" \
		grew_by "$on" "$mt" 65536
	check "inject: lent region, failing the node: no kernel warnings" \
		no_reports "$log"

	# The demotion of the 1G page half done: set_memory_wc() worked,
	# set_memory_wb() failed. That block is taken out of use, and the
	# first case of the pool's suite repairs it (gfx_pool_test_init()),
	# so that the suite runs with the whole pool.
	#
	# la57=off: 1G pages without 5-level paging. In 6.12 identify_cpu()
	# zeroes the boot CPU's feature bits while it reads them again, so
	# pgtable_l5_enabled() says no for a moment; KASAN, asked about a
	# direct-map address in an interrupt that lands then, takes the
	# 4-level layout and reports a wild-memory-access in
	# do_raw_spin_lock() (seen once here, before the pool ran a line).
	# The plain kernel's 1g stages keep 5-level paging.
	log=$build/test-inject-demote.log
	echo "=== stage inject: failing the 1G demotion half way"
	check "inject: half-failed 1G demotion: guest booted and finished" \
		"$here/run-guest.sh" "$debug_kernel" "$initrd" "$log" \
		"nokaslr gfxpool_mode=none gfx_pool=1G gfx_pool.lend=0 fail_gfx_pool=5,100,0,1 kunit.filter_glob=gfx_pool.*" \
		-cpu max,la57=off -m 5G
	count_kunit "$log"
	check "inject: half-failed 1G demotion: no KUnit case skipped" \
		kunit_no_skips
	check "inject: half-failed 1G demotion: the block was taken out of use" \
		grep -qE 'gfx_pool: could not demote the 1G page at 0x[0-9a-f]+ \(-12\); block at pfn 0x[0-9a-f]+ taken out of use' "$log"
	check "inject: half-failed 1G demotion: the block was repaired" \
		grep -qE 'gfx_pool: block at pfn 0x[0-9a-f]+: repaired, back in use' "$log"
	check "inject: half-failed 1G demotion: debugfs counts the failure and the repair" \
		all_stats "$log" 'broken_blocks: 0' 'blocks_repaired: 1' \
		'direct_map_failures: 1'
	check "inject: half-failed 1G demotion: no kernel warnings" \
		no_reports "$log"
}

# The kdump stage's initramfs: the test guest's, and after it a second
# archive with the capture kernel (the debug bzImage) and its initrd (the
# test guest's again) under /kdump; the kernel unpacks both.
make_kdump_initrd() {	# make_kdump_initrd <out>
	local dir
	dir=$(mktemp -d)
	mkdir -p "$dir/kdump"
	cp "$debug_kernel" "$dir/kdump/bzImage"
	cp "$initrd" "$dir/kdump/initrd"
	{ cat "$initrd"; (cd "$dir" && find kdump | cpio -o -H newc --quiet); } > "$1"
	rm -rf "$dir"
}

# Split the kdump stage's log in two: the crashed kernel, up to the
# crash it asked for, and the capture kernel, from its first line.
split_kdump_log() {	# split_kdump_log <log>
	# Never last run's halves: a capture kernel that did not boot leaves
	# its half empty.
	rm -f "${1%.log}-crashed.log" "${1%.log}-capture.log"
	tr -d '\r' < "$1" | awk -v a="${1%.log}-crashed.log" -v b="${1%.log}-capture.log" '
		/sysrq: Trigger a crash/ { crashed = 1 }
		/Linux version / { boots++ }
		!crashed { print > a }
		boots >= 2 { print > b }'
	touch "${1%.log}-crashed.log" "${1%.log}-capture.log"
}

off_512m() {	# off_512m <hex address>: given, and not 512M-aligned
	echo "    region at 0x${1:-?}"
	[ -n "$1" ] && [ $((0x$1 % 0x20000000)) -ne 0 ]
}

outside_range() {	# outside_range <hex start> <lo> <hi>: not in [lo, hi)
	[ -n "$1" ] && [ "$1" != "?" ] || return 1
	[ $((0x$1)) -lt $(($2)) ] || [ $((0x$1)) -ge $(($3)) ]
}

# stress_churned <log>: the stress run converted blocks and lent and took
# back some (vmstat counts since boot; the run is all the boot did).
stress_churned() {
	local v n
	for v in gfx_pool_conversions gfx_pool_blocks_lent gfx_pool_blocks_taken_back; do
		n=$(tr -d '\r' < "$1" | sed -n "s/^GFXPOOL-MEMINFO: $v \([0-9]*\)$/\1/p")
		echo "    $v ${n:-?}"
		[ "${n:-0}" -gt 0 ] || return 1
	done
}

all_stats() {	# all_stats <log> <line>...: debugfs stats had every line
	local f=$1 l
	shift
	for l in "$@"; do
		stats_line "$f" "$l" || { echo "missing: $l"; return 1; }
	done
}

all_grep() {	# all_grep <file> <pattern>...: every pattern is there
	local f=$1 p
	shift
	for p in "$@"; do
		grep -aq -- "$p" "$f" || { echo "missing: $p"; return 1; }
	done
}

# Real hibernations to a virtio swap disk, each resumed by the next boot
# from its /init, as initramfs-tools does. The first boot fills WB, WC, UC
# and NP buffers (gfxpool_big=<pages> adds that many per domain) and
# hibernates inside the sleep test; each later boot prints where its
# kernel sits, then resumes the image, in which the same process checks
# the buffers, says the token only it knows, and hibernates again until
# <cycles> are done. With KASLR, the boot kernel and the image kernel
# sit at different physical addresses; the stage checks that they did
# at least once, and that the data came back every time.
hibernate_stage() {	# hibernate_stage <name> <bzImage> <cycles> <big> <args> [qemu...]
	local name=$1 kernel=$2 cycles=$3 big=$4 args=$5
	shift 5
	local img=$build/swap-$name.img c log prev token boot image moved=0
	local disk="-drive file=$img,if=virtio,format=raw" min_np=1

	# The default test of the hibernate mode holds NP buffers, so some
	# blocks must be mapped for the image; a named one may hold none.
	case $args in
	*gfxpool_hibernate_test=*) min_np=0 ;;
	esac

	echo "=== stage $name: $cycles cycles, $big pages per domain, $args $*"
	rm -f "$img" "$build/test-$name"-*.log
	truncate -s 3G "$img"
	log=$build/test-$name-0.log
	# shellcheck disable=SC2086
	"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
		"kunit.enable=0 gfxpool_mode=hibernate gfxpool_cycles=$cycles gfxpool_big=$big no_console_suspend $args" \
		$disk "$@"
	token=$(sed -n 's/\r$//; s/^GFXPOOL: hibernating, cycle 1, token //p' "$log")
	for ((c = 1; c <= cycles; c++)); do
		prev=$log
		check "$name: cycle $c: the image was written and the machine powered off" \
			powered_off "$prev"
		log=$build/test-$name-$c.log
		# shellcheck disable=SC2086
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=resume no_console_suspend $args" \
			$disk "$@"
		check "$name: cycle $c: the boot kernel loaded the image" \
			grep -aq 'PM: Image loading done' "$log"
		check "$name: cycle $c: the hibernated process went on (token ${token:-none})" \
			grep -aq "^GFXPOOL: resumed, cycle $c, token ${token:-none}" "$log"
		boot=$(sed -n 's/\r$//; s/^GFXPOOL: boot kernel at *//p' "$log")
		image=$(sed -n 's/\r$//; s/^GFXPOOL: image kernel at *//p' "$log" | tail -n 1)
		echo "    boot kernel: ${boot:-?}; image kernel: ${image:-?}"
		[ -n "$boot" ] && [ -n "$image" ] && [ "$boot" != "$image" ] &&
			moved=$((moved + 1))
		check "$name: cycle $c: NP blocks mapped for the image, free pages marked dirty, NP again after" \
			image_logs "$prev" "$log" "$min_np"
	done
	check "$name: the last resume ran to the end" grep -q '^GFXPOOL: end' "$log"
	case $args in
	*grow_limit*)
		# The counters come back with the image: growth happened in
		# the kernel that was hibernated, with its buffers in use.
		check "$name: the hibernated kernel had grown blocks beyond its region" \
			grep -aqE '^GFXPOOL-STATS: blocks_grown: [1-9]' "$log"
		;;
	esac
	check "$name: KASLR moved the kernel between boot and image ($moved of $cycles resumes)" \
		[ "$moved" -gt 0 ]
	count_selftests "$build/test-$name"-*.log
	check "$name: no selftest skipped" no_selftest_skips
	for ((c = 0; c <= cycles; c++)); do
		check "$name: boot $c: no kernel warnings" no_reports \
			"$build/test-$name-$c.log"
	done
	rm -f "$img"
}

# The kernel's own messages that an image was written and the machine
# entered S4, and QEMU exited by itself (the watchdog did not stop it).
powered_off() {	# powered_off <log>
	all_grep "$1" 'PM: Image saving done' \
		'ACPI: PM: Preparing to enter system sleep state S4' &&
		not_grep 'GFXPOOL-HOST: guest stopped' "$1"
}

# The pool's own messages around one image: made in <before>, restored
# in <after>.
# The free pages marked dirty right after the restore (syscore); the NP
# blocks freeze_late mapped for the last image of <before>, and that
# restore_early put back to NP in <after>: the same number.
image_logs() {	# image_logs <before> <after> <least NP blocks mapped>
	local mapped unmapped

	all_grep "$1" 'gfx_pool gfx_pool: [0-9]* pages in use go into the image' &&
		all_grep "$2" 'gfx_pool: caches written back, free pages marked dirty after the snapshot' \
			'gfx_pool gfx_pool: restored: [0-9]* NP blocks unmapped' ||
		return 1
	mapped=$(sed -n 's/\r$//; s/.*gfx_pool gfx_pool: [0-9]* pages in use go into the image; \([0-9]*\) NP blocks mapped for it$/\1/p' "$1" | tail -n 1)
	unmapped=$(sed -n 's/\r$//; s/.*gfx_pool gfx_pool: restored: \([0-9]*\) NP blocks unmapped$/\1/p' "$2" | head -n 1)
	[ -n "$mapped" ] && [ "$mapped" -ge "$3" ] && [ "$mapped" = "$unmapped" ] ||
		{ echo "NP blocks: ${mapped:-?} mapped for the image, ${unmapped:-?} unmapped after the restore"; return 1; }
}

above_4g() {	# above_4g <log>: the pool's base, as reserved, is at 4G or more
	local base
	base=$(sed -n 's/.*gfx_pool: reserved [0-9]* MiB at \(0x[0-9a-f]*\).*/\1/p' "$1")
	echo "pool at ${base:-?}"
	[ -n "$base" ] && [ $((base)) -ge $((1 << 32)) ]
}

not_grep() {
	! grep -q "$@"
}

kernel=$build/kunit/arch/x86/boot/bzImage
debug_kernel=$build/kunit-debug/arch/x86/boot/bzImage
rt_kernel=$build/kunit-rt/arch/x86/boot/bzImage

# The stages that boot the debug kernel.
needs_debug_kernel() {	# needs_debug_kernel <stage>
	case $1 in
	debug|inject|debug-stress|debug-hibernate|kdump) return 0 ;;
	esac
	return 1
}

# make test has the debug kernel built here, in the background, while the
# stages on the plain kernel boot (GFX_POOL_DEBUG_BUILD is the command): a
# TCG guest mostly keeps one of its two vCPUs busy, and the build, at the
# lowest priority, takes the core that is left. The first stage that
# needs the debug kernel waits for it. From a fresh clone that is ten
# minutes less than building both kernels first.
debug_build_pid="" debug_build_rc=0
debug_build_log=$build/kernel-debug.out
stop_debug_build() {
	[ -n "$debug_build_pid" ] && kill -- "-$debug_build_pid" 2>/dev/null
}
if [ -n "${GFX_POOL_DEBUG_BUILD:-}" ]; then
	# Lanes too: the stages of "a,b+c,d".
	for stage in ${*//[+,]/ }; do
		needs_debug_kernel "$stage" || continue
		echo "=== building the debug kernel in the background (log: $debug_build_log)"
		debug_build_t0=$SECONDS
		setsid nice -n 19 bash -c "$GFX_POOL_DEBUG_BUILD" \
			> "$debug_build_log" 2>&1 < /dev/null &
		debug_build_pid=$!
		trap stop_debug_build EXIT
		break
	done
fi

wait_debug_build() {
	local t0=$SECONDS

	[ -n "$debug_build_pid" ] || return 0
	echo "=== waiting for the debug kernel, started $((SECONDS - debug_build_t0)) s ago"
	wait "$debug_build_pid"
	debug_build_rc=$?
	debug_build_pid=""
	echo "    (waited $((SECONDS - t0)) s)"
	cat "$debug_build_log"
	check "the debug kernel built" [ "$debug_build_rc" -eq 0 ]
}

debug_kernel_ready() {
	wait_debug_build
	[ "$debug_build_rc" -eq 0 ] && [ -f "$debug_kernel" ] ||
		{ fail "$stage: no debug kernel to boot"; return 1; }
}

# The kernel's own selftest machinery (patch 0015): the mm Makefile builds
# gfx_pool-tests with the rest of mm's tests, on the host; in the guest,
# run_vmtests.sh runs it as its gfx_pool category, with the gfx_pool-tests
# that the same Makefile built statically for the initramfs. It passes
# with the pool, and skips once, cleanly, on a kernel with neither the
# pool nor its test driver (gfx_pool=0, and the driver's initcall left
# out, as a kernel without CONFIG_TEST_GFX_POOL has none).
ksft_build() {	# ksft_build <out>: make headers, then TARGETS=mm, as documented
	{ make -s -C "$ksrc" O="$1" headers &&
	  make -s -C "$ksrc/tools/testing/selftests" TARGETS=mm O="$1" \
		-j"$(nproc)"; } > "$build/ksft-build.log" 2>&1 ||
		{ tail -n 20 "$build/ksft-build.log"; return 1; }
}

kselftest_stage() {
	local out=$build/ksft log=$build/test-kselftest.log
	local off=$build/test-kselftest-off.log

	echo "=== stage kselftest: make -C tools/testing/selftests TARGETS=mm; run_vmtests.sh -t gfx_pool"
	rm -rf "$out"
	check "kselftest: make -C tools/testing/selftests TARGETS=mm builds" \
		ksft_build "$out"
	check "kselftest: it built gfx_pool-tests" \
		test -x "$out/kselftest/mm/gfx_pool-tests"
	check "kselftest: with no warning in our file" \
		bash -c "! grep -q 'gfx_pool[-_a-z]*\.[ch]:' '$build/ksft-build.log'"
	check "kselftest: run_vmtests.sh -h names the gfx_pool category" \
		grep -qx -- '- gfx_pool' <(bash "$ksrc/tools/testing/selftests/mm/run_vmtests.sh" -h)
	check "kselftest: guest booted and finished" \
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
		"kunit.enable=0 gfxpool_mode=vmtests"
	count_selftests "$log"
	check "kselftest: no selftest skipped" no_selftest_skips
	check "kselftest: run_vmtests.sh counted the category as passed" \
		grep -aq '^GFXPOOL-KSFT: SUMMARY: PASS=1 SKIP=0 FAIL=0' "$log"
	check "kselftest: no kernel warnings" no_reports "$log"
	check "kselftest-off: guest booted and finished" \
		"$here/run-guest.sh" "$kernel" "$initrd" "$off" \
		"kunit.enable=0 gfxpool_mode=vmtests gfx_pool=0 initcall_blacklist=test_gfx_pool_init"
	check "kselftest-off: one clean skip without the pool and its driver" \
		all_grep "$off" \
		'^GFXPOOL-KSFT: 1\.\.0 # SKIP /dev/test_gfx_pool: no such device' \
		'^GFXPOOL-KSFT: \[SKIP\]' \
		'^GFXPOOL-KSFT: SUMMARY: PASS=0 SKIP=1 FAIL=0' \
		'^GFXPOOL-KSFT: # exit status 4'
	check "kselftest-off: no kernel warnings" no_reports "$off"
}

# A boot with emulated devices for the selftests that init runs after
# none (gfxpool_mode=none, KUnit off), its results counted, none skipped.
# Without pci=noacpi: with it, the kernel scans PCI without the host
# bridge's ACPI windows and refuses every BAR inside them (the display
# devices of the drm stage never probed). Sets log for the stage's checks.
device_stage() {	# device_stage <stage> "<kernel args>" [qemu args...]
	local stage=$1 args=$2
	shift 2
	log=$build/test-$stage.log
	echo "=== stage $stage: $args $*"
	GFX_POOL_GUEST_PCI='' check "$stage: guest booted and finished" \
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
		"kunit.enable=0 gfxpool_mode=none $args" "$@"
	count_selftests "$log"
	check "$stage: no selftest skipped" no_selftest_skips
}

run_stage() {	# run_stage <stage>
	stage=$1
	if needs_debug_kernel "$stage"; then
		debug_kernel_ready || return
	fi
	case $stage in
	2m)
		boot 2m "$kernel" ""
		check "2m: no KUnit case skipped" kunit_no_skips
		# So that np_keeps_global compared a global bit, not two 0s.
		check "2m: the direct map is global (no PTI)" \
			grep -aq 'gfx_pool_test_np_keeps_global: the direct map is global here' \
			"$build/test-2m.log"
		check "2m: a refused call names its caller" \
			grep -aq 'gfx_pool: gfx_pool_test_misuse+0x[0-9a-f]*/0x[0-9a-f]*: freeing pfn 0x[0-9a-f]*, which the pool does not own' \
			"$build/test-2m.log"
		check "2m: no selftest skipped" no_selftest_skips
		check "2m: no kernel warnings" no_reports "$build/test-2m.log"
		;;
	1g)
		# nokaslr: where KASLR puts the kernel decides which GiB of
		# the direct map keep their 1G pages.
		boot 1g "$kernel" "nokaslr gfx_pool=1G" -cpu max -m 5G
		check "1g: no KUnit case skipped but the 32-bit GARTs'" \
			kunit_no_skips_above_4g
		check "1g: no selftest skipped" no_selftest_skips
		check "1g: without a base the pool went above 4G" \
			above_4g "$build/test-1g.log"
		check "1g: the 1G direct-map page over the pool was demoted once" \
			test "$(grep -c 'gfx_pool: demoted the 1G direct-map page over pfn 0x100000 to 2M pages' "$build/test-1g.log")" = 1
		# A whole, GiB-aligned pool: the 1G page it demoted mapped
		# nothing else, so no memory outside it lost its 1G entry.
		# (Growth demotes other 1G pages: "to grow", never shared.)
		# The 1g-shared stage sees the message this looks for.
		check "1g: a whole-GiB pool shares no 1G page with other memory" \
			not_grep 'it also maps memory outside the pool' \
			"$build/test-1g.log"
		# Growth demotes more (the KUnit growth cases): each 1G page
		# demoted is said once and counted once.
		check "1g: a block grown under a 1G page demoted it" \
			grep -aq 'gfx_pool: demoted the 1G direct-map page over pfn 0x[0-9a-f]* to 2M pages to grow' \
			"$build/test-1g.log"
		check "1g: every 1G demotion is in the log and in debugfs's gbpage_demotions" \
			test "$(grep -ac 'gfx_pool: demoted the 1G direct-map page over pfn' "$build/test-1g.log")" = \
			"$(stats_value "$build/test-1g.log" gbpage_demotions)"
		check "1g: no kernel warnings" no_reports "$build/test-1g.log"
		;;
	1g-shared)
		# 4G is where QEMU's RAM above the PCI hole starts: a 1G
		# direct-map page there also maps memory outside the pool.
		boot 1g-shared "$kernel" "nokaslr gfx_pool=64M@4G" -cpu max -m 5G
		check "1g-shared: no KUnit case skipped but the 32-bit GARTs'" \
			kunit_no_skips_above_4g
		check "1g-shared: no selftest skipped" no_selftest_skips
		# Once: at init, or (lent region) when the first block of it
		# is taken back.
		check "1g-shared: the shared 1G page was demoted once" \
			test "$(grep -c 'gfx_pool: demoted the 1G direct-map page over pfn 0x100000 to 2M pages' "$build/test-1g-shared.log")" = 1
		check "1g-shared: the demotion says the 1G page maps memory outside the pool" \
			grep -q 'gfx_pool: demoted the 1G direct-map page over pfn 0x100000 to 2M pages .*(it also maps memory outside the pool)' \
			"$build/test-1g-shared.log"
		check "1g-shared: no kernel warnings" no_reports \
			"$build/test-1g-shared.log"
		# Not lent: the pool's for good, so its 1G page is demoted at
		# init, once, and said so. The KUnit case of a shrinker that
		# has nothing to give back runs here.
		log=$build/test-1g-shared-nolend.log
		echo "=== stage 1g-shared: gfx_pool.lend=0"
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.filter_glob=gfx_pool_pcp.gfx_pool_pcp_test_shrink_counts_lists gfxpool_mode=none nokaslr gfx_pool=64M@4G gfx_pool.lend=0" \
			-cpu max -m 5G
		count_kunit "$log"
		# Passed, not skipped, and on the branch with nothing to give
		# back (no lending region, no grown block), which it says.
		check "1g-shared: gfx_pool.lend=0: KUnit's shrinker case passed with nothing to give back" \
			sh -c 'tr -d "\r" < "$1" > "$1.plain" &&
				grep -qE "^[[:space:]]*ok [0-9]+ gfx_pool_pcp_test_shrink_counts_lists[[:space:]]*$" "$1.plain" &&
				grep -qE "node [0-9]+ has nothing to give back: [1-9][0-9]* pages on its lists" "$1.plain"' sh "$log"
		check "1g-shared: gfx_pool.lend=0: not lent" \
			stats_line "$log" "lends: no"
		check "1g-shared: gfx_pool.lend=0: the shared 1G page was demoted at init, once" \
			test "$(grep -ac 'gfx_pool: demoted the 1G direct-map page over pfn 0x100000 to 2M pages (it also maps memory outside the pool)' "$log")" = 1
		check "1g-shared: gfx_pool.lend=0: and counted" \
			stats_line "$log" "gbpage_demotions: 1"
		check "1g-shared: gfx_pool.lend=0: no kernel warnings" \
			no_reports "$log"
		# hugetlb_cma=1G may go anywhere; asked first, it would take
		# [4G, 5G). So would the default CMA area, which cma= places
		# from 4G up. A fixed base is reserved before both, so they go
		# around the pool.
		log=$build/test-1g-shared-hugetlb.log
		echo "=== stage 1g-shared: hugetlb_cma=1G cma=64M"
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=none nokaslr gfx_pool=64M@4G hugetlb_cma=1G cma=64M" \
			-cpu max -m 5G
		check "1g-shared: hugetlb_cma=1G: the pool is at its base" \
			grep -aq 'gfx_pool: 32 blocks of 2M ready at 0x0000000100000000' "$log"
		check "1g-shared: hugetlb_cma=1G: and hugetlb's CMA area elsewhere" \
			grep -aq 'hugetlb_cma: reserved 1024 MiB on node 0' "$log"
		check "1g-shared: cma=64M: the default CMA area elsewhere" \
			sh -c 'a=$(sed -n "s/.*cma: Reserved 64 MiB at \(0x[0-9a-f]*\).*/\1/p" "$1") &&
				echo "default CMA area at ${a:-?}" && [ -n "$a" ] &&
				{ [ $((a + (64 << 20))) -le $((1 << 32)) ] ||
				  [ $((a)) -ge $(((1 << 32) + (64 << 20))) ]; }' sh "$log"
		ran_clean "1g-shared: hugetlb_cma=1G" "$log"
		;;
	debug)
		# TTM's own suites leave their test buffer objects behind in
		# 6.12 (kmemleak reports them); they run in the other stages.
		# Two sleep cycles too, so that lockdep sees the zap and the
		# faults around it.
		# Then, last, memory_failure() through the hwpoison injector.
		GFX_POOL_GUEST_TIMEOUT=1800 boot debug "$debug_kernel" \
			"kunit.filter_glob=*gfx_pool* gfxpool_sleep=devices,core suspend.pm_test_delay=0 gfxpool_hwpoison=1"
		# A clean log means nothing if the checkers were not on.
		check "debug: no KUnit case skipped" kunit_no_skips
		check "debug: no selftest skipped" no_selftest_skips
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
		# memory_failure() on pool pages (CONFIG_MEMORY_FAILURE is
		# in debug.config only).
		check "debug: the hwpoison cases ran and passed" \
			all_grep "$build/test-debug.ktap" \
			'^ *ok [0-9]* gfx_pool_test_hwpoison$' \
			'^ *ok [0-9]* gfx_pool_test_hwpoison_free_block$' \
			'^ *ok [0-9]* gfx_pool_test_hwpoison_warm$' \
			'^ *ok [0-9]* gfx_pool_pcp_test_hwpoison$' \
			'^ *ok [0-9]* gfx_pool_grow_test_hwpoison$' \
			'^ *ok [0-9]* gfx_pool_lend_test_hwpoison$'
		# Not skipped: a skip prints "ok N ... # SKIP ...".
		check "debug: the hwpoison selftest ran and passed" \
			sh -c "tr -d '\\r' < \"\$1\" | grep -q '^GFXPOOL-KSFT: ok [0-9]* hwpoison\\.in_use_and_free\$'" \
			sh "$build/test-debug.log"
		check "debug: two pages kept for poison, at the end" \
			stats_line "$build/test-debug.log" "hwpoison_pages: 2"
		# fail_gfx_pool at run time: the pool's work with injected
		# failures, under the checkers above (CONFIG_FAIL_GFX_POOL).
		check "debug: the gfx_pool_inject suite ran and passed" \
			grep -aq '^ok [0-9]* gfx_pool_inject$' "$build/test-debug.ktap"
		;;
	params)
		params_stage
		;;
	inject)
		inject_stage
		;;
	init-on)
		# init_on_alloc=1 init_on_free=1: the pool honours both, NP
		# and atomic allocations included.
		boot init-on "$kernel" \
			"init_on_alloc=1 init_on_free=1 kunit.filter_glob=*gfx_pool*"
		check "init-on: no KUnit case skipped" kunit_no_skips
		check "init-on: no selftest skipped" no_selftest_skips
		check "init-on: both options were on" \
			grep -aq 'mem auto-init: stack:.*heap alloc:on, heap free:on' \
			"$build/test-init-on.log"
		check "init-on: no kernel warnings" no_reports \
			"$build/test-init-on.log"
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
		check "sleep: no selftest skipped" no_selftest_skips
		check "sleep: a real S3 cycle happened" \
			grep -aq 'ACPI: PM: Waking up from system sleep state S3' "$log"
		# Memory kept its contents: no cache write-back, no marking;
		# only said of a boot that really woke from S3.
		check "sleep: no write-back of the caches after suspend to RAM" \
			sh -c 'grep -aq "ACPI: PM: Waking up from system sleep state S3" "$1" &&
				! grep -aq "caches written back, free pages marked dirty" "$1"' sh "$log"
		check "sleep: no kernel warnings" no_reports "$log"
		;;
	hibernate)
		# Two cycles with about 40% of guest RAM in use in the pool,
		# 300 MiB in each domain: more than the region, so that grown
		# blocks go through the image too.
		hibernate_stage hibernate "$kernel" 2 76800 \
			"gfx_pool=1024M gfx_pool.grow_limit=512M" -m 3G
		;;
	debug-hibernate)
		# The same under KASAN, lockdep, DEBUG_VM and kmemleak, with
		# small buffers and one cycle: the debug kernel is slow.
		GFX_POOL_GUEST_TIMEOUT=1800 hibernate_stage debug-hibernate \
			"$debug_kernel" 1 0 ""
		;;
	drm)
		# Real TTM-based drivers, not written here: bochs-drm (-device
		# VGA, the VRAM helpers) and qxl (-device qxl), built in. A
		# process maps a dumb buffer of each through /dev/dri/card*,
		# then goes through the pm_test levels that suspend devices
		# and a real S3 cycle. Each time the pool's zap leaves none of
		# the buffers' pages mapped, they fault back in through the
		# driver's own handler with every word intact, and no driver
		# hangs.
		device_stage drm \
			"gfx_pool=64M gfxpool_drm=devices,platform,processors,core,mem suspend.pm_test_delay=0" \
			-device VGA -device qxl
		check "drm: bochs-drm and qxl bound their devices" all_grep "$log" \
			'Initialized bochs-drm ' 'Initialized qxl '
		check "drm: the dumb-buffer test passed at all five cycles" \
			test "$(tr -d '\r' < "$log" | grep -c '^GFXPOOL-KSFT: ok [0-9]* drm\.dumb_buffer_through_sleep$')" = 5
		check "drm: both drivers' buffers zapped by S3, faulted back, intact" \
			all_grep "$log" 'bochs-drm: mem, zapped and faulted back, data intact' \
			'qxl: mem, zapped and faulted back, data intact'
		check "drm: no kernel warnings" no_reports "$log"
		;;
	vfio)
		# VFIO's type1 IOMMU driver must not map pool pages for DMA:
		# they are reserved, but the pool hands them out and takes
		# them back. q35 with QEMU's intel-iommu and its edu device,
		# which the selftest binds to vfio-pci. The intel-iommu of
		# TCG remaps no interrupts, which type1 wants unless told.
		device_stage vfio \
			"gfx_pool=64M gfxpool_vfio=0000:00:05.0 vfio_iommu_type1.allow_unsafe_interrupts=1" \
			-machine q35 -device intel-iommu -device edu,addr=05.0
		check "vfio: DMA remapping was on" \
			grep -aq 'DMAR: Intel(R) Virtualization Technology for Directed I/O' "$log"
		# Not skipped: a skip prints "ok N ... # SKIP ...".
		check "vfio: the selftest ran and passed" \
			sh -c "tr -d '\\r' < \"\$1\" | grep -q '^GFXPOOL-KSFT: ok [0-9]* vfio\\.no_dma_to_pool_pages\$'" \
			sh "$log"
		check "vfio: no kernel warnings" no_reports "$log"
		;;
	drm-hibernate)
		# The same dumb buffers through a real hibernation: the test
		# hibernates in the first boot, and the resumed process checks
		# them in the second.
		GFX_POOL_GUEST_PCI= hibernate_stage drm-hibernate "$kernel" 1 0 \
			"gfx_pool=64M gfxpool_hibernate_test=drm.dumb_buffer_through_sleep" \
			-device VGA -device qxl
		check "drm-hibernate: both drivers' buffers zapped by hibernation, faulted back, intact" \
			all_grep "$build/test-drm-hibernate-1.log" \
			'bochs-drm: disk, zapped and faulted back, data intact' \
			'qxl: disk, zapped and faulted back, data intact'
		;;
	kdump)
		# A crash dump over the pool, under the debug kernel (it has
		# kexec_file_load(), CRASH_DUMP and sysrq): the crashing
		# kernel holds WB, WC, UC and NP pool pages, filled through
		# user mappings, and crashes; the capture kernel (the same
		# bzImage, in the crashkernel= reservation beside the pool's
		# region, with no pool of its own though its command line asks
		# for one) reads them back from
		# /proc/vmcore, every word, and reports nothing.
		kdump_initrd=$build/initramfs-kdump.cpio
		make_kdump_initrd "$kdump_initrd"
		log=$build/test-kdump.log
		# The capture kernel gets gfx_pool= as kdump-tools would pass
		# it, from the crashed kernel's command line, and ignores it.
		capture=console=ttyS0,panic=-1,oops=panic,pci=noacpi,nr_cpus=1,irqpoll,reset_devices,kunit.enable=0,gfx_pool=64M,gfx_pool.grow_limit=64M,gfxpool_mode=vmcore
		echo "=== stage kdump: crashkernel=512M gfx_pool=64M, a crash, the capture kernel"
		GFX_POOL_GUEST_TIMEOUT=1200 check "kdump: both kernels booted, the capture kernel finished" \
			"$here/run-guest.sh" "$debug_kernel" "$kdump_initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=kdump crashkernel=512M gfx_pool=64M gfxpool_capture=$capture"
		tr -d '\r' < "$log" | sed -n 's/^GFXPOOL-KDUMP: /    /p'
		check "kdump: the crashkernel= and the pool's reservations side by side" \
			all_grep "$log" 'crashkernel reserved: ' 'gfx_pool: reserved 64 MiB at '
		check "kdump: crashed with pool pages of every domain in use" \
			grep -aq '^GFXPOOL-KDUMP: gfx_pool-kdump: crashing with 8 pool pages in use in each domain' "$log"
		check "kdump: every word of those pages intact in /proc/vmcore" \
			grep -aq '^GFXPOOL-KDUMP: gfx_pool-kdump: ok pages=32' "$log"
		split_kdump_log "$log"
		check "kdump: no kernel warnings before the crash" \
			no_reports "${log%.log}-crashed.log"
		check "kdump: the capture kernel's log is there" \
			[ -s "${log%.log}-capture.log" ]
		check "kdump: no kernel warnings in the capture kernel" \
			no_reports "${log%.log}-capture.log"
		check "kdump: the capture kernel left gfx_pool=64M off" \
			grep -aq 'gfx_pool: gfx_pool=64M: a kdump kernel; the pool stays off' "${log%.log}-capture.log"
		check "kdump: and gfx_pool.grow_limit=64M" \
			grep -aq 'gfx_pool: gfx_pool.grow_limit=64M: a kdump kernel; the pool stays off' "${log%.log}-capture.log"
		;;
	lend)
		# The region lent while idle (CMA), in a small guest: with
		# the pool idle, nearly all of it is available; a process
		# fills 90% of that, keeps half, and the pool takes its
		# whole region back around it (the lend selftest).
		log=$build/test-lend-ref.log
		echo "=== stage lend: gfx_pool=0 -m 1536M (reference)"
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=none gfx_pool=0" -m 1536M
		ran_clean "lend: reference boot" "$log"
		ref=$(memavailable "$log")
		boot lend "$kernel" "gfx_pool=512M kunit.filter_glob=gfx_pool_lend.*" \
			-m 1536M
		log=$build/test-lend.log
		avail=$(memavailable "$log")
		echo "    MemAvailable ${avail:-?} kB with gfx_pool=512M lent, ${ref:-?} kB with gfx_pool=0"
		check "lend: the idle pool leaves at least 90% of the memory available without it" \
			at_least_90_percent "$avail" "$ref"
		check "lend: the region was lent at boot" \
			grep -q 'gfx_pool: 256 blocks of 2M ready at .*, lent until needed' "$log"
		check "lend: the lend selftest ran" \
			grep -aq 'GFXPOOL-KSFT: ok [0-9]* lend.round_trip' "$log"
		check "lend: no KUnit case skipped" kunit_no_skips
		check "lend: no selftest skipped" no_selftest_skips
		check "lend: no kernel warnings" no_reports "$log"
		# A region that does not lend is outside MemTotal: TTM counts
		# its pages apart from ttm_pages_limit, and its swapout passes
		# over a BO wholly of them (the same cases read "system
		# memory" in every lending boot).
		log=$build/test-lend-off.log
		echo "=== stage lend: gfx_pool.lend=0, TTM's count and swapout"
		check "lend: gfx_pool.lend=0: guest booted and finished" \
			"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"gfxpool_mode=none gfx_pool=64M gfx_pool.lend=0 kunit.filter_glob=ttm_gfx_pool.ttm_gfx_pool_populate_*"
		count_kunit "$log"
		check "lend: gfx_pool.lend=0: the region was not lent" \
			grep -q 'gfx_pool: 32 blocks of 2M ready at [^,]* on node 0' "$log"
		check "lend: gfx_pool.lend=0: TTM counted a tt's pages apart" \
			grep -aq '# ttm_gfx_pool_populate_count: 64 of 64 pages outside MemTotal' "$log"
		check "lend: gfx_pool.lend=0: TTM's swapout met a BO outside MemTotal" \
			grep -aq "# ttm_gfx_pool_populate_swapout: the tt's pages are outside MemTotal" "$log"
		check "lend: gfx_pool.lend=0: no KUnit case skipped" kunit_no_skips
		check "lend: gfx_pool.lend=0: no kernel warnings" no_reports "$log"
		# Both 512M-aligned windows taken (memmap= below, the initrd
		# at the top of RAM): the region goes where it fits, aligned
		# to a pageblock, and still lends. (Where KASLR put the kernel
		# in the middle window, a 2M-aligned fallback once lost
		# lending: CMA areas need 4M here.)
		log=$build/test-lend-fallback.log
		echo "=== stage lend: gfx_pool=512M, its aligned windows taken"
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			'kunit.enable=0 gfxpool_mode=none nokaslr gfx_pool=512M memmap=64M$0x30000000' \
			-m 1536M
		check "lend: the fallback region is off 512M alignment" \
			off_512m "$(sed -n 's/\r$//; s/.*gfx_pool: reserved 512 MiB at 0x\([0-9a-f]*\).*/\1/p' "$log")"
		check "lend: the fallback region lends" \
			grep -q 'gfx_pool: 256 blocks of 2M ready at .*, lent until needed' "$log"
		ran_clean "lend: fallback boot" "$log"
		;;
	grow-only)
		# No region: every page comes from blocks grown from the page
		# allocator. Only the growth cases: the others count blocks
		# of a region.
		boot grow-only "$kernel" \
			"gfx_pool=0 gfx_pool.grow_limit=1G kunit.filter_glob=*.*grow*"
		log=$build/test-grow-only.log
		check "grow-only: no KUnit case skipped" kunit_no_skips
		check "grow-only: no selftest skipped but lend (no region)" \
			only_lend_skipped "$log"
		check "grow-only: the pool came up with no region" \
			grep -q 'gfx_pool: may grow by up to 512 blocks of 2M' "$log"
		check "grow-only: KUnit ran the growth cases" \
			all_grep "$log" '^ok [0-9]* gfx_pool_grow' \
			'^ *ok [0-9]* ttm_gfx_pool_grow'
		check "grow-only: no kernel warnings" no_reports "$log"
		;;
	stress|debug-stress)
		# gfx_pool-stress on 4 vCPUs over two nodes, with a small pool
		# on each that lends and may grow a little, so that blocks are
		# converted, lent, taken back, grown and given back all the
		# time: frees in process, softirq and hardirq context, a
		# suspend cycle at a pm_test level every 15 s (freezer,
		# devices, processors, core in turn), the shrinker
		# every 5 s. `make stress` runs it for GFX_POOL_STRESS_SECONDS
		# (600); make test runs 60 s under the debug kernel.
		# Then gfx_pool-fuzz, in the same boot: random ioctls, maps,
		# faults, forks and closes, the pool whole after them.
		if [ "$stage" = stress ]; then
			k=$kernel secs=${GFX_POOL_STRESS_SECONDS:-600} steps=300000
		else
			k=$debug_kernel secs=60 steps=20000
		fi
		log=$build/test-$stage.log
		stress_qemu="-smp 4,sockets=2,cores=2,threads=1
			-object memory-backend-ram,id=m0,size=1G
			-object memory-backend-ram,id=m1,size=1G
			-numa node,nodeid=0,cpus=0-1,memdev=m0
			-numa node,nodeid=1,cpus=2-3,memdev=m1"
		echo "=== stage $stage: $secs s on 4 vCPUs, two nodes"
		# shellcheck disable=SC2086
		GFX_POOL_GUEST_TIMEOUT=$((secs * 3 + 900)) check "$stage: guest booted and finished" \
			"$here/run-guest.sh" "$k" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=stress gfx_pool=0:64M,1:64M gfx_pool.grow_limit=64M gfxpool_stress=-s,$secs,-p,15,-d,5 gfxpool_fuzz=-n,$steps suspend.pm_test_delay=0" \
			$stress_qemu
		tr -d '\r' < "$log" | sed -n 's/^GFXPOOL-\(STRESS\|FUZZ\): /    /p'
		check "$stage: the pool ended whole, no page corrupted, suspend cycles done" \
			grep -aq '^GFXPOOL-STRESS: gfx_pool-stress: ok .* sleeps=[1-9]' "$log"
		# Counted by the timer and the irq_work themselves, each only
		# if it ran in its context.
		check "$stage: frees ran in softirq and hardirq context" \
			grep -aqE '^GFXPOOL-STRESS: gfx_pool-stress: ok .* freed_soft=[1-9][0-9]* freed_hard=[1-9]' "$log"
		check "$stage: blocks were converted, lent and taken back" \
			stress_churned "$log"
		check "$stage: fuzzing left the pool whole" \
			grep -aq "^GFXPOOL-FUZZ: gfx_pool-fuzz: ok steps=$steps whole=yes" "$log"
		check "$stage: no kernel warnings" no_reports "$log"
		if [ "$stage" = debug-stress ]; then
			check "debug-stress: kmemleak scanned" \
				grep -q '^GFXPOOL: kmemleak scanned' "$log"
		fi
		;;
	numa)
		# Two nodes of 1 GiB: a region on each, every pool and TTM
		# suite over both, the NUMA cases (node-local pages at every
		# order, __GFP_THISNODE never served by the other node, a TTM
		# device on node 1 at order 10), and the selftests.
		# A socket a node: a CPU's cache siblings on its own node.
		numa_qemu="-smp 2,sockets=2,cores=1,threads=1
			-object memory-backend-ram,id=m0,size=1G
			-object memory-backend-ram,id=m1,size=1G
			-numa node,nodeid=0,cpus=0,memdev=m0
			-numa node,nodeid=1,cpus=1,memdev=m1"
		# shellcheck disable=SC2086
		boot numa "$kernel" "gfx_pool=0:128M,1:128M kunit.filter_glob=*gfx_pool*" \
			$numa_qemu
		log=$build/test-numa.log
		check "numa: no KUnit case skipped, the NUMA cases included" \
			kunit_no_skips 0
		check "numa: no selftest skipped" no_selftest_skips
		check "numa: a region on each node" all_grep "$log" \
			'gfx_pool: 64 blocks of 2M ready at .* on node 0' \
			'gfx_pool: 64 blocks of 2M ready at .* on node 1'
		check "numa: KUnit ran the NUMA cases" all_grep "$log" \
			'^ *ok [0-9]* gfx_pool_numa_test_node_full' \
			'^ *ok [0-9]* ttm_gfx_pool_numa'
		check "numa: no kernel warnings" no_reports "$log"
		# One size, split across the nodes.
		log=$build/test-numa-split.log
		echo "=== stage numa: gfx_pool=256M, two nodes"
		# shellcheck disable=SC2086
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=none gfx_pool=256M" $numa_qemu
		check "numa: gfx_pool=256M puts 128 MiB on each node" all_grep "$log" \
			'gfx_pool: reserved 128 MiB at .* on node 0' \
			'gfx_pool: reserved 128 MiB at .* on node 1'
		ran_clean "numa: gfx_pool=256M" "$log"
		# Unequal nodes: a share over half of a node's memory is
		# refused on that node, and the others keep theirs.
		log=$build/test-numa-unequal.log
		echo "=== stage numa: gfx_pool=768M, nodes of 1.5G and 512M"
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=none gfx_pool=768M" \
			-smp 2,sockets=2,cores=1,threads=1 \
			-object memory-backend-ram,id=m0,size=1536M \
			-object memory-backend-ram,id=m1,size=512M \
			-numa node,nodeid=0,cpus=0,memdev=m0 \
			-numa node,nodeid=1,cpus=1,memdev=m1
		check "numa: gfx_pool=768M on unequal nodes: the guest ran to the end" \
			grep -aq '^GFXPOOL: end' "$log"
		check "numa: gfx_pool=768M: node 1's share is refused, node 0 keeps its own" \
			all_grep "$log" \
			"gfx_pool: gfx_pool=768M: 384 MiB is more than half of node 1's memory; no region there" \
			'gfx_pool: reserved 384 MiB at .* on node 0'
		check "numa: gfx_pool=768M: no region on node 1" \
			not_grep 'gfx_pool: reserved .* on node 1' "$log"
		check "numa: gfx_pool=768M on unequal nodes: no kernel warnings" \
			no_reports "$log"
		# No room on node 1 for its share (two memmap= holes leave
		# it no free 400M, though 400M is under half of what it has):
		# said so, no region there, node 0 keeps its own.
		log=$build/test-numa-noroom.log
		echo "=== stage numa: gfx_pool=0:64M,1:400M, two holes in node 1"
		# shellcheck disable=SC2086
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			'kunit.enable=0 gfxpool_mode=none gfx_pool=0:64M,1:400M memmap=100M$0x50000000 memmap=100M$0x68000000' \
			$numa_qemu
		check "numa: no room for node 1's share: the guest ran to the end" \
			grep -aq '^GFXPOOL: end' "$log"
		check "numa: no room for node 1's share: said, and node 0 keeps its own" \
			all_grep "$log" \
			'gfx_pool: gfx_pool=0:64M,1:400M: no free range of 400 MiB on node 1; no region there' \
			'gfx_pool: reserved 64 MiB at .* on node 0'
		check "numa: no room for node 1's share: no region on node 1" \
			not_grep 'gfx_pool: reserved .* on node 1' "$log"
		check "numa: no room for node 1's share: no kernel warnings" \
			no_reports "$log"
		;;
	efi)
		# OVMF boots the kernel through its EFI stub, which places it
		# itself: the decompressor, and its list of ranges to keep
		# the kernel out of, never runs. With gfx_pool=<size>@<base>
		# the stub turns physical KASLR off, as for memmap=, so that
		# the kernel never lands in the range; with a size alone it
		# leaves it on. Two short boots, KUnit off.
		log=$build/test-efi.log
		echo "=== stage efi: OVMF, gfx_pool=64M@1G"
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=none gfx_pool=64M@1G" \
			-bios "$ovmf"
		check "efi: gfx_pool=64M@1G: the stub turned physical KASLR off" \
			grep -aq 'EFI stub: gfx_pool=<size>@<base> detected on the kernel command line - disabling physical KASLR' \
			"$log"
		check "efi: gfx_pool=64M@1G: the region is at 1G" grep -aq \
			'gfx_pool: 32 blocks of 2M ready at 0x0000000040000000' "$log"
		ran_clean "efi: gfx_pool=64M@1G" "$log"
		log=$build/test-efi-placed.log
		echo "=== stage efi: OVMF, gfx_pool=64M"
		"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
			"kunit.enable=0 gfxpool_mode=none gfx_pool=64M" \
			-bios "$ovmf"
		check "efi: gfx_pool=64M: the EFI stub booted the kernel" \
			grep -aq 'EFI stub: Loaded initrd' "$log"
		check "efi: gfx_pool=64M: physical KASLR stays on" \
			not_grep 'disabling physical KASLR' "$log"
		check "efi: gfx_pool=64M: the region is placed" grep -aq \
			'gfx_pool: 32 blocks of 2M ready at' "$log"
		ran_clean "efi: gfx_pool=64M" "$log"
		;;
	nopat)
		# No PAT: a WC mapping is UC- (pgprot_writecombine() gives
		# UC-'s bits), in the direct map and in user space alike.
		# Every suite and selftest as in 2m, PAT's memtype one aside.
		boot nopat "$kernel" "nopat"
		log=$build/test-nopat.log
		check "nopat: PAT is off" grep -aq \
			'x86/PAT: PAT support disabled via boot option' "$log"
		check "nopat: no KUnit case skipped" kunit_no_skips
		check "nopat: only the memtype selftest skipped" \
			all_true "$selftest_skipped -eq 1" \
			"$(grep -c '^ok [0-9]* gfx_pool.memtype_lookup # SKIP no PAT' \
				"${log%.log}.selftests") -eq 1"
		check "nopat: no kernel warnings" no_reports "$log"
		;;
	kselftest)
		kselftest_stage
		;;
	rt)
		# make test-rt, not make test: a third kernel. Its build is
		# GFX_POOL_RT_BUILD, run here, so that the stage never boots an
		# older kernel than the tree.
		echo "=== stage rt: building the PREEMPT_RT kernel"
		if [ -z "${GFX_POOL_RT_BUILD:-}" ] ||
		   ! bash -c "$GFX_POOL_RT_BUILD"; then
			fail "rt: the PREEMPT_RT kernel built"
			return
		fi
		boot rt "$rt_kernel" ""
		check "rt: the kernel is PREEMPT_RT" \
			grep -aq 'Linux version .* PREEMPT_RT ' "$build/test-rt.log"
		# Passed, not merely absent from the failures: a boot whose
		# suites never ran must fail here.
		check "rt: the pool's and TTM's suites ran and passed" \
			all_grep "$build/test-rt.ktap" '^ok [0-9]* gfx_pool_pcp$' \
			'^ok [0-9]* gfx_pool_pm$' '^ok [0-9]* ttm_gfx_pool$'
		check "rt: no KUnit case skipped" kunit_no_skips
		check "rt: no selftest skipped" no_selftest_skips
		check "rt: no kernel warnings" no_reports "$build/test-rt.log"
		;;
	off)
		# gfx_pool=0 must be unpatched 6.12: TTM's own suites pass, the
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
}

# Lanes: "a,b+c,d" runs the stages a then b in one lane and c then d in
# another, both at once. A TCG guest mostly keeps one of its vCPUs busy
# (KUnit, the selftests and kmemleak's scans run on one CPU), so on two
# cores two guests take little longer than one. Each lane's output is
# kept apart and printed whole, lane by lane, once all have ended; its
# counts are added to the totals then. Stages in a lane must not share
# files: each writes only logs and images named after itself.
run_lanes() {	# run_lanes <lane>+<lane>...
	local lane i=0 n pids=() outs=() counts=()
	local p f s fl

	# Only this shell can wait for the build: before the lanes start.
	for stage in ${1//[+,]/ }; do
		needs_debug_kernel "$stage" && wait_debug_build
	done
	for lane in ${1//+/ }; do
		outs[i]=$build/lane-$i.out counts[i]=$build/lane-$i.counts
		rm -f "${outs[i]}" "${counts[i]}"
		(
			passed=0 failed=0 skipped=0 failures=""
			for stage in ${lane//,/ }; do
				run_stage "$stage"
			done
			{
				echo "$passed $failed $skipped"
				echo -n "$failures"
			} > "${counts[i]}"
		) > "${outs[i]}" 2>&1 &
		pids[i]=$!
		i=$((i + 1))
	done
	echo "=== lanes: $1 (${#pids[@]} at once)"
	for ((n = 0; n < i; n++)); do
		wait "${pids[n]}"
		cat "${outs[n]}"
		if ! read -r p f s < "${counts[n]}"; then
			fail "lane $n of $1 ended without its counts"
			continue
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
		fl=$(tail -n +2 "${counts[n]}")
		[ -z "$fl" ] || failures="$failures$fl"
	done
}

for stage in "$@"; do
	case $stage in
	*+*) run_lanes "$stage" ;;
	*) run_stage "$stage" ;;
	esac
done

if [ "$failed" -gt 0 ]; then
	echo "failed:$failures"
	# Each stage's guest log stays under $build; their tails say most.
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
