#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   bench.sh <build-dir> <bzImage> <initramfs> <pool size> <bench args> [--plot] <boot>...
#
# What `make run` and `make bench` run: gfx_pool-bench in each <boot>,
# its guest RAM preallocated by QEMU (-mem-prealloc), so that no row pays
# for the host handing a page to the guest the first time it is touched:
#   default  default CPU (2 MiB direct map), gfx_pool=<pool size>;
#   cpu-max  -cpu max -m 5G (1 GiB pages too), the same pool;
#   no-pool  default CPU, gfx_pool=0: the same TTM device on TTM's own
#            path, the stock rows the pool's are measured against;
#   scale    five boots scale-1..5 with 4 vCPUs, the pool, and the warm
#            rows at 32768 pages with 1, 2 and 4 threads allocating at
#            once (gfx_pool-bench -s, 9 repeats), the pool's and
#            alloc_page()'s: the scaling ratios are the medians of the
#            five boots' own;
#   ttm      only TTM as a driver sees it (gfx_pool-bench -T): one ttm_tt
#            of 4K, 64K, 2M, 16M, 64M, WC and UC, cold and warm, over
#            the pool (boots ttm-1..5), each followed by the same with
#            gfx_pool=0, stock TTM (ttm-stock-1..5): the ratios are the
#            medians of the five pairs';
#   frag     TTM under fragmentation (gfx_pool-bench -G): memory taken
#            page by page, every other page given back, then a 64 MiB
#            WC ttm_tt populated 25 times, cold; frag-stock the same with
#            gfx_pool=0; p50, p99 and max;
#   warm     five more boots warm-1..5 of the rows at 32768 pages
#            (-d wc,uc,np -z, 9 repeats): a boot's speed drifts, and
#            alloc_page's more than the pool's, so the warm ratios (to
#            alloc_page, with and without __GFP_ZERO, and of zeroed NP
#            and UC pages to WC) are the medians of the five boots' own;
#            and the warm rows interleaved with alloc_page()'s, and the
#            zeroed UC and NP rows with WC's (-P), a repeat of each in
#            turn;
#   sizes    three rounds of boots size-<S>-<round> (S: 64M, 1G@1G, 8G@4G),
#            gfx_pool=<S> that does not lend, all but 12
#            of its blocks held, and only the warm WC rows that would
#            grow with the pool's size if anything walked its blocks
#            (gfx_pool-bench -F, 4096 pages, 9 repeats), and the metadata.
# Prints each boot's table, the ratios that the README quotes, what the
# idle pool costs (MemAvailable with and without it, if no-pool ran), and
# last "gfx_pool: splits outside pool: N", summed over the pool's boots.
# Writes <build-dir>/bench.csv (the rows), <build-dir>/bench-latency.csv
# (the latency rows), <build-dir>/bench-pairs.csv (the interleaved ones)
# and, with --plot, <build-dir>/bench.svg (gnuplot);
# with GFX_POOL_BENCH_NAME=run (make run), run.csv and so on instead.
set -uo pipefail
build=$1 kernel=$2 initrd=$3 pool=$4 args=$5 plot=
shift 5
[ "${1:-}" = --plot ] && { plot=1; shift; }
here=$(dirname "$(realpath "$0")")
# shellcheck source=tools/testing/gfx_pool/reports.sh
. "$here/reports.sh"
# make run names its files run-*, make bench bench-*.
name=${GFX_POOL_BENCH_NAME:-bench}
csv=$build/$name.csv lat=$build/$name-latency.csv svg=$build/$name.svg
pairs=$build/$name-pairs.csv
rc=0 splits=0

# boot <name> <kernel args> <more bench args> [qemu args...]: one bench
# boot; its table. More args that start with "=" replace the others.
boot() {
	local boot=$1 kargs=$2 more=$3 log=$build/$name-$1.log s bargs want got
	shift 3
	bargs=$args$more
	[ "${more:0:1}" = = ] && bargs=${more:1}
	echo "== $boot: $kargs $* (log: $log)"
	"$here/run-guest.sh" "$kernel" "$initrd" "$log" \
		"kunit.enable=0 gfxpool_mode=bench gfxpool_bench=$bargs $kargs" \
		-mem-prealloc "$@" || rc=1
	sed -n 's/\r$//; s/^GFXPOOL-BENCH: //p' "$log" |
		grep -v '^csv\|^gfx_pool: splits outside pool\|^exit status'
	sed -n 's/\r$//; s/^GFXPOOL-BENCH: csv,//p' "$log" |
		sed "s/^/$boot,/" >> "$csv"
	sed -n 's/\r$//; s/^GFXPOOL-BENCH: csv-latency,//p' "$log" |
		sed "s/^/$boot,/" >> "$lat"
	sed -n 's/\r$//; s/^GFXPOOL-BENCH: csv-meta,//p' "$log" |
		sed "s/^/$boot,/" >> "$meta"
	sed -n 's/\r$//; s/^GFXPOOL-BENCH: csv-pair,//p' "$log" |
		sed "s/^/$boot,/" >> "$pairs"
	s=$(sed -n 's/\r$//; s/^GFXPOOL-BENCH: gfx_pool: splits outside pool: //p' "$log")
	if [ -z "$s" ]; then
		echo "no result; see $log" >&2
		rc=1
	else
		splits=$((splits + s))
	fi
	# A row that failed (an ioctl error) fails the run, rather than
	# leaving a figure out of the ratios; so does a pool that did not
	# come up where one was asked for (the bench then runs only its
	# stock rows, and exits 0), one that came up with gfx_pool=0, and
	# any kernel report in the log.
	if ! grep -q '^GFXPOOL-BENCH: exit status 0' <(sed 's/\r$//' "$log"); then
		echo "$boot: gfx_pool-bench failed; see $log" >&2
		rc=1
	fi
	want=on got=off
	[[ " $kargs " == *" gfx_pool=0 "* ]] && want=off
	grep -q '^GFXPOOL-STATS: ' "$log" && got=on
	if [ "$want" != "$got" ]; then
		echo "$boot: the pool is $got with $kargs; see $log" >&2
		rc=1
	fi
	if ! no_reports "$log" >&2; then
		echo "$boot: kernel reports above; see $log" >&2
		rc=1
	fi
}

# ratio <what> <boot:method:domain:variant> <boot:method:domain:variant>
# The first row's median over the second's, at the largest size both have.
ratio() {
	awk -F, -v what="$1" -v a="$2" -v b="$3" '
	NR > 1 { k = $1 ":" $2 ":" $3 ":" $4
		 if (k == a) x[$5] = $6
		 if (k == b) y[$5] = $6 }
	END {	n = 0
		for (p in x)
			if ((p in y) && p + 0 > n + 0)
				n = p
		if (n && y[n])
			printf "ratio: %s: %.2fx (%d pages: %d against %d ns/page)\n",
			       what, x[n] / y[n], n, x[n], y[n] }' "$csv"
}

# median_ratio <rounds> <boot A> <row A> <boot B> <row B> [pages]: for
# each round (%d in a boot's name), row A of boot A over row B of boot B
# (rows as method:domain:variant), at [pages] or the largest size both
# have in round 1. Prints "<median of the rounds>|<each round's>|<each
# round's, with its ns/page>|<pages>", or nothing unless every round has
# both rows (a boot that failed fails the run in boot()).
median_ratio() {
	awk -F, -v nr="$1" -v ba="$2" -v ra="$3" -v bb="$4" -v rb="$5" \
	    -v pages="${6:-}" '
	NR > 1 { v[$1 ":" $2 ":" $3 ":" $4 ":" $5] = $6 }
	END {	k = 0; l = ""; lns = ""
		n = pages
		a = sprintf(ba, 1) ":" ra; b = sprintf(bb, 1) ":" rb
		if (n == "")
			for (key in v)
				if (substr(key, 1, length(a) + 1) == a ":") {
					p = substr(key, length(a) + 2)
					if ((b ":" p) in v && p + 0 > n + 0)
						n = p
				}
		for (i = 1; i <= nr; i++) {
			a = sprintf(ba, i) ":" ra; b = sprintf(bb, i) ":" rb
			x = v[a ":" n]; y = v[b ":" n]
			if (!x || !y)
				exit
			r[++k] = x / y; np = n
			l = l sprintf("%s%.2f", k > 1 ? " " : "", x / y)
			lns = lns sprintf("%s%.2f (%d/%d)", k > 1 ? " " : "", x / y, x, y)
		}
		for (i = 1; i <= k; i++)
			for (j = i; j > 1 && r[j - 1] > r[j]; j--) {
				t = r[j]; r[j] = r[j - 1]; r[j - 1] = t
			}
		m = int((k + 1) / 2)
		printf "%.2f|%s|%s|%d\n", k % 2 ? r[m] : (r[m] + r[m + 1]) / 2,
		       l, lns, np }' "$csv"
}

# median_line <what> <label> <median_ratio args...>: the ratio line of
# a median over rounds, each round's with its ns/page after it.
median_line() {
	local what=$1 label=$2 m l n
	shift 2
	IFS='|' read -r m _ l n < <(median_ratio "$@")
	[ -z "${m:-}" ] ||
		echo "ratio: $what: ${m}x ($n pages; $label, ns/page: $l)"
}

echo "boot,method,domain,variant,pages,ns_median,ns_min,ns_max,splits_2m,splits_1g" > "$csv"
echo "boot,row,samples,p50_ns,p99_ns,max_ns" > "$lat"
meta=$build/$name-metadata.csv
echo "boot,pool_mib,metadata_bytes" > "$meta"
echo "boot,pair,pages,ratio_median,ratio_min,ratio_max,ns,against_ns" > "$pairs"
for b in "$@"; do
	case $b in
	default) boot default "gfx_pool=$pool" "" ;;
	cpu-max) boot cpu-max "gfx_pool=$pool" "" -cpu max -m 5G ;;
	no-pool) boot no-pool "gfx_pool=0" "" ;;
	# Four vCPUs, and the warm rows with 1, 2 and 4 threads at once.
	# On this two-core host a vCPU is often not running at all, and one
	# boot's 4-thread rows are a draw (single boots read 1.03x to
	# 15.50x): five boots, and the medians.
	scale) for i in 1 2 3 4 5; do
		boot "scale-$i" "gfx_pool=$pool" \
			"=-n,32768,-d,wc,-d,uc,-d,np,-r,9,-s" -smp 4
	       done ;;
	# Stock TTM is only in another boot, and under TCG a boot's speed
	# drifts by up to half between two boots (the host's load, and
	# where in guest RAM the rows' pages lie): five pairs, each pool
	# boot right before its stock one, and the median pair's ratio.
	ttm) for i in 1 2 3 4 5; do
		boot "ttm-$i" "gfx_pool=$pool" "=-T,-r,5"
		boot "ttm-stock-$i" "gfx_pool=0" "=-T,-r,5"
	     done ;;
	warm) for i in 1 2 3 4 5; do
		boot "warm-$i" "gfx_pool=$pool" "=-n,32768,-d,wc,-d,uc,-d,np,-r,9,-z,-P"
	      done ;;
	frag) boot frag "gfx_pool=$pool" "=-G" ;;
	frag-stock) boot frag-stock "gfx_pool=0" "=-G" ;;
	# The pool's size alone changes; a pool may be half of RAM at most.
	# The big ones at a fixed base, which KASLR keeps the kernel out of:
	# without one, a kernel placed mid-RAM can leave no free range of 8G
	# in 17G (one run here met it), and the pool is off. Only a boot
	# sets the size, and a boot's speed drifts: three rounds of the
	# three sizes, and the median round's ratio. Each round starts one
	# size later, so that no size is always the last boot (a run whose
	# host slowed down as it went read 8G at 1.11x, alloc_page() in the
	# same boots as much slower).
	sizes) for i in 1 2 3; do
		for s in $(echo 64M 1G 8G 64M 1G | cut -d' ' -f"$i-$((i + 2))"); do
			case $s in
			64M) boot "size-64M-$i" "gfx_pool=64M gfx_pool.lend=0" "=-F,-n,4096,-r,9" ;;
			1G) boot "size-1G-$i" "gfx_pool=1G@1G gfx_pool.lend=0" "=-F,-n,4096,-r,9" -m 3G ;;
			8G) boot "size-8G-$i" "gfx_pool=8G@4G gfx_pool.lend=0" "=-F,-n,4096,-r,9" -m 17G ;;
			esac
		done
	       done ;;
	*) echo "unknown boot $b" >&2; exit 2 ;;
	esac
done

for d in WC UC; do
	ratio "gfx_pool $d warm / alloc_page" "default:pool:$d:warm" \
		"default:per_page:WB:plain"
	ratio "gfx_pool $d warm / the same without per-CPU lists" \
		"default:pool:$d:warm" "default:pool:$d:warm_nopcp"
	ratio "gfx_pool $d cold / alloc_page+set_pages_array_${d,,}" \
		"default:pool:$d:cold" "default:per_page:$d:plain"
	ratio "TTM $d over gfx_pool / TTM $d with gfx_pool=0" \
		"default:ttm:$d:pool" "no-pool:ttm:$d:stock"
	ratio "gfx_pool $d warm, __GFP_ZERO / alloc_page, __GFP_ZERO" \
		"default:pool:$d:warm_zero" "default:per_page:WB:zero"
	ratio "a fault on a $d mapping: gfx_pool / per-page path" \
		"default:pool:$d:fault" "default:per_page:$d:fault"
	ratio "PAT's memtype of a $d page, alone: gfx_pool / per-page path" \
		"default:pool:$d:memtype" "default:per_page:$d:memtype"
done
for d in UC NP; do
	ratio "gfx_pool $d warm, __GFP_ZERO / gfx_pool WC warm, __GFP_ZERO" \
		"default:pool:$d:warm_zero" "default:pool:WC:warm_zero"
done
# The same row across boots of different pool sizes, as it is: no other
# way to compare sizes. (Against each boot's alloc_page() it would be
# worse: under TCG that floor moves by up to 40% between boots, more
# than the pool's rows do; the tables show it.) The median of the
# rounds' ratios, the rounds' own after it.
for big in 1G 8G; do
	for v in warm warm_nopcp warm_o10; do
		median_line "gfx_pool WC $v, pool of $big / pool of 64M" rounds \
			3 "size-$big-%d" "pool:WC:$v" "size-64M-%d" "pool:WC:$v"
	done
done
# The warm rows of each warm-<i> boot against its alloc_page() rows, and
# zeroed NP and UC pages against zeroed WC ones: the median boot's ratio,
# each boot's after it.
warm_ratio() {	# warm_ratio <what> <row A> <row B>
	median_line "$1, median of five boots" boots 5 "warm-%d" "$2" \
		"warm-%d" "$3"
}
for d in WC UC; do
	warm_ratio "gfx_pool $d warm / alloc_page" "pool:$d:warm" \
		"per_page:WB:plain"
	warm_ratio "gfx_pool $d warm, __GFP_ZERO / alloc_page, __GFP_ZERO" \
		"pool:$d:warm_zero" "per_page:WB:zero"
done
for d in UC NP; do
	warm_ratio "gfx_pool $d warm, __GFP_ZERO / gfx_pool WC warm, __GFP_ZERO" \
		"pool:$d:warm_zero" "pool:WC:warm_zero"
done
# The same warm rows interleaved with alloc_page()'s, and the zeroed UC
# and NP rows with WC's, in each warm-<i> boot (gfx_pool-bench -P): the
# median boot's median ratio, each boot's after it.
pair_line() {	# pair_line <what> <pair in bench-pairs.csv>
	awk -F, -v what="$1" -v pair="$2" '
	NR > 1 && $1 ~ /^warm-[0-9]+$/ && $2 == pair {
		r[++k] = $4; l = l sprintf("%s%.2f (%d/%d)", k > 1 ? " " : "", $4, $7, $8)
		n = $3 }
	END {	if (k != 5)
			exit
		for (i = 1; i <= k; i++)
			for (j = i; j > 1 && r[j - 1] > r[j]; j--) {
				t = r[j]; r[j] = r[j - 1]; r[j - 1] = t
			}
		printf "ratio: %s, interleaved, median of five boots: %.2fx (%d pages; boots, ns/page: %s)\n",
		       what, r[3], n, l }' "$pairs"
}
for d in WC UC; do
	pair_line "gfx_pool $d warm / alloc_page" "$d/alloc_page"
done
for d in UC NP; do
	pair_line "gfx_pool $d warm, __GFP_ZERO / gfx_pool WC warm, __GFP_ZERO" \
		"${d}_zero/WC_zero"
done
# Per-thread cost with 2 and 4 threads over one thread's, the pool's
# and, as the floor the vCPUs set, alloc_page()'s: the median boot's
# ratio, each boot's after it.
if [[ " $* " == *" scale "* ]]; then
	for t in 2 4; do
		for d in WC UC NP; do
			median_line "gfx_pool $d warm, per thread, $t threads / 1 thread, median of five boots" \
				boots 5 "scale-%d" "pool:$d:warm_${t}t" \
				"scale-%d" "pool:$d:warm_1t"
		done
		median_line "alloc_page, per thread, $t threads / 1 thread, median of five boots" \
			boots 5 "scale-%d" "per_page:WB:plain_${t}t" \
			"scale-%d" "per_page:WB:plain_1t"
	done
fi
# Under fragmentation: the pool's populate latency against stock TTM's.
if [[ " $* " == *" frag "* && " $* " == *" frag-stock "* ]]; then
	awk -F, '
	NR > 1 && $2 == "ttm_frag" { p50[$1] = $4; p99[$1] = $5; max[$1] = $6 }
	END {	if (p50["frag"] && p50["frag-stock"])
			printf "ratio: TTM WC 64M populate, fragmented, gfx_pool / stock: p50 %.2fx (%d against %d ns), p99 %.2fx (%d against %d), max %.2fx (%d against %d)\n",
			       p50["frag"] / p50["frag-stock"], p50["frag"], p50["frag-stock"],
			       p99["frag"] / p99["frag-stock"], p99["frag"], p99["frag-stock"],
			       max["frag"] / max["frag-stock"], max["frag"], max["frag-stock"] }' "$lat"
fi
# The TTM matrix: over the pool against stock TTM, per size, warm and
# cold. Each pair of boots gives a ratio; printed is the median of the
# pairs' ratios, the pairs' own after it.
if [[ " $* " == *" ttm "* ]]; then
	for d in WC UC; do
		for n in 1 16 512 4096 16384; do
			IFS='|' read -r mw lw _ < <(median_ratio 5 "ttm-%d" \
				"ttm:$d:pool_warm" "ttm-stock-%d" "ttm:$d:stock_warm" "$n")
			IFS='|' read -r mc lc _ < <(median_ratio 5 "ttm-%d" \
				"ttm:$d:pool_cold" "ttm-stock-%d" "ttm:$d:stock_cold" "$n")
			[ -n "${mw:-}" ] && [ -n "${mc:-}" ] &&
				echo "ratio: TTM $d, a tt of $n pages, over gfx_pool / stock: warm ${mw}x (boots: $lw), cold ${mc}x (boots: $lc)"
		done
	done
fi
if [ "$(wc -l < "$meta")" -gt 1 ]; then
	awk -F, 'NR > 1 && $1 !~ /-[2-9]$/ { printf "metadata: %s MiB pool: %d bytes, %.4f%%\n", $2, $3, 100 * $3 / ($2 * 1048576) }' "$meta"
fi
if [[ " $* " == *" no-pool "* && " $* " == *" default "* ]]; then
	avail() {	# avail <log>: MemAvailable in kB as /init saw it
		sed -n 's/\r$//; s/^GFXPOOL: MemAvailable: *\([0-9]*\) kB/\1/p' "$1"
	}
	on=$(avail "$build/$name-default.log")
	off=$(avail "$build/$name-no-pool.log")
	[ -n "$on" ] && [ -n "$off" ] &&
		echo "idle pool: MemAvailable $on kB with gfx_pool=$pool, $off kB with gfx_pool=0: it costs $(((off - on) / 1024)) MiB$( ((off < on)) && echo " (less than the noise between two boots)")"
fi
echo "csv: $csv $lat $meta"

if [ -n "$plot" ]; then
	# ns/page against N, a line per row of the default-CPU and stock
	# boots; beside it, the latency percentiles of one WC page.
	gnuplot <<-EOF && echo "svg: $svg" || rc=1
	set terminal svg size 1200,500 dynamic font "sans,10"
	set termoption noenhanced
	set output "$svg"
	set datafile separator ","
	set multiplot layout 1,2
	set title "ns per page (median of the repeats), default CPU"
	set logscale xy
	set xlabel "pages"
	set ylabel "ns/page"
	set key outside bottom center horizontal maxrows 4
	series = system("awk -F, 'NR > 1 && \$1 != \"cpu-max\" && \$1 !~ /^(size|warm|scale)-|-[2-9]\$/ { print \$1 \":\" \$2 \":\" \$3 \":\" \$4 }' $csv | sort -u | tr '\n' ' '")
	plot for [s in series] \
		sprintf("< awk -F, -v k='%s' '\$1 \":\" \$2 \":\" \$3 \":\" \$4 == k' $csv", s) \
		using 5:6 with linespoints title s
	set title "one WC page: allocation latency, default CPU"
	unset logscale x
	set logscale y
	set xlabel ""
	set ylabel "ns"
	set style data histograms
	set style histogram cluster gap 1
	set style fill solid 0.8
	set key inside top left vertical
	plot "< awk -F, '\$1 == \"default\"' $lat" \
		using 4:xtic(2) title "p50", '' using 5 title "p99", \
		'' using 6 title "max"
	unset multiplot
	EOF
fi
echo "gfx_pool: splits outside pool: $splits"
exit $rc
