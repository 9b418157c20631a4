#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   bisect.sh <series-tree> <test-config> <out> <jobs>
#
# `make bisect`: the series bisects. <series-tree> is the git tree that
# `make patches` made (branch gfx_pool on tag pristine); after each of its
# commits the kernel is built twice, in <out>/on with the test kernel's
# .config (<test-config>) and in <out>/off with the same but
# CONFIG_GFX_POOL=n. Each build starts from that .config again, so that a
# symbol a later patch adds is not lost to an earlier olddefconfig. The
# log of each build is <out>/<NN>-<on|off>.log; the "on" build must have
# the pool built in, the "off" one must not. Ends with a line
# "bisect: N passed, N failed".
set -uo pipefail

tree=$1 seed=$2 out=$3 jobs=$4
mkdir -p "$out/on" "$out/off"
cp "$seed" "$out/seed-on"
cp "$seed" "$out/seed-off"
"$tree/scripts/config" --file "$out/seed-off" --disable GFX_POOL
# A warning fails the build, as it does in the test kernel (COMPILE_TEST).
for cfg in on off; do
	"$tree/scripts/config" --file "$out/seed-$cfg" --enable WERROR
done

passed=0 failed=0
n=0
commits=$(git -C "$tree" rev-list --reverse pristine..gfx_pool)
[ -n "$commits" ] || { echo "bisect: no commits in pristine..gfx_pool"; exit 1; }
total=$(echo "$commits" | wc -l)
for c in $commits; do
	n=$((n + 1))
	subject=$(git -C "$tree" log -1 --format=%s "$c")
	git -C "$tree" checkout -q -f "$c" || exit 1
	for cfg in on off; do
		log=$out/$(printf %02d $n)-$cfg.log
		start=$SECONDS
		cp "$out/seed-$cfg" "$out/$cfg/.config"
		res=FAIL
		make -C "$tree" O="$out/$cfg" ARCH=x86_64 CC="ccache gcc" \
			olddefconfig > "$log" 2>&1 &&
		make -C "$tree" O="$out/$cfg" ARCH=x86_64 CC="ccache gcc" \
			-j"$jobs" >> "$log" 2>&1 && res=ok
		# The pool is built in "on" and not in "off", at every commit.
		pool=n
		grep -q '^CONFIG_GFX_POOL=y' "$out/$cfg/.config" && pool=y
		[ "$pool" = "$([ $cfg = on ] && echo y || echo n)" ] || res=FAIL
		if [ $res = ok ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
		printf '  %-4s %2d/%d %-3s (GFX_POOL=%s) %4d s  %s\n' "$res" "$n" \
			"$total" "$cfg" "$pool" $((SECONDS - start)) "$subject"
		[ $res = ok ] || grep -E 'error|Error' "$log" | head -n 10
	done
done
git -C "$tree" checkout -q -f gfx_pool
echo "bisect: $passed passed, $failed failed"
[ "$failed" = 0 ]
