# SPDX-License-Identifier: GPL-2.0
#
# reports <log> and no_reports <log>: the kernel reports a clean guest log
# must not have. Sourced by test.sh and bench.sh, which set $here to this
# directory.

# Reports that a clean run must not have. The KUnit cases that warn on
# purpose are listed, with the file that warns and the reason, in
# expected-warnings: a WARNING belongs to the case whose result line
# follows it, and is a report unless that case is listed, it is the
# case's first WARNING, and it is raised in the listed file; any other
# WARNING in the case (one of the pool's, in TTM code it called) counts.
# Every line that names our files counts.
reports() {	# reports <log>
	tr -d '\r' < "$1" |
	awk -v list="$here/expected-warnings" '
	BEGIN {
		while ((getline line < list) > 0)
			if (line !~ /^#/ && line != "") {
				split(line, f, " ")
				want[f[1]] = f[2]
			}
	}
	# The second line: errors of kmemleak itself, which print no WARNING
	# or BUG line.
	/BUG:|Oops|KASAN|WARNING:|possible circular|possible recursive|inconsistent lock|suspicious RCU|unreferenced object|Kernel panic|rcu: INFO|detected stall|blocked for more than|page allocation failure|soft lockup|hard LOCKUP|general protection fault|GFXPOOL-HOST: guest stopped/ ||
	/kmemleak: (Cannot|Freeing unknown|Partially freeing|Trying to color|Not (resetting|scanning)|Adding scan area|Scan area|Setting excess_ref|Updating stack|Found object by alias|Memory pool empty|Kernel memory leak detector disabled)/ {
		pending[++np] = $0
		warns += /WARNING:/
		next
	}
	# A KUnit result line: what was printed since belongs to this case.
	/^[[:space:]]*(not )?ok [0-9]+ / {
		name = $0
		sub(/^[[:space:]]*(not )?ok [0-9]+ /, "", name)
		sub(/ .*/, "", name)
		for (i = 1; i <= np; i++) {
			if ((name in want) && !(name in warned) &&
			    want[name] != "" && pending[i] ~ /WARNING:/ &&
			    index(pending[i], " at " want[name] ":"))
				warned[name] = 1
			else
				print pending[i]
		}
		np = 0
		if (name in want)
			ran[name] = 1
		next
	}
	/^GFXPOOL: warn_count: [0-9]+$/ { count = $3 }
	/^GFXPOOL: end/ { ended = 1 }
	/PM: Image loading done|^GFXPOOL: hibernating/ { resumed = 1 }
	END {
		for (i = 1; i <= np; i++)
			print pending[i]
		for (name in ran)
			if (!(name in warned))
				print "expected a warning in KUnit case " name ", none came"
		# A restored image brings its own count along: not comparable.
		if (count != "" && !resumed && count != warns)
			print "the kernel counted " count " warnings, the log has " warns
		# /init prints the count right before its end.
		if (ended && count == "")
			print "the guest ran to its end, but printed no warn_count"
	}'
}

no_reports() {
	local r
	r=$(reports "$1")
	[ -z "$r" ] || { echo "$r" | head -n 20; return 1; }
}
