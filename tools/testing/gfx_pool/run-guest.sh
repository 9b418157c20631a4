#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   run-guest.sh <bzImage> <initramfs> <log> "<kernel args>" [qemu args...]
#
# Boot the test guest under QEMU with TCG (no KVM here: a guest that finds
# one hangs at boot), serial console to <log>, and wait for it to power
# off. Exit 0 if the guest reached the end of its /init.
set -uo pipefail
kernel=$1 initrd=$2 log=$3 args=$4
shift 4
timeout "${GFX_POOL_GUEST_TIMEOUT:-900}" \
	qemu-system-x86_64 -accel tcg -machine pc -smp 2 -m 2G \
	-nodefaults -nographic -no-reboot -serial stdio \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic $args" "$@" \
	< /dev/null > "$log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	echo "qemu exited with $rc (124: timed out); log: $log" >&2
	tail -n 20 "$log" >&2
fi
grep -q '^GFXPOOL: end' "$log"
