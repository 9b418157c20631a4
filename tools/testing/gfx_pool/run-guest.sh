#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   run-guest.sh <bzImage> <initramfs> <log> "<kernel args>" [qemu args...]
#
# Boot the test guest under QEMU with TCG (no KVM here: a guest that finds
# one hangs at boot), serial console to <log>, and wait for it to power
# off. Exit 0 if the guest reached the end of its /init.
#
# A guest that stops making progress is stopped early, with the reason:
# when its console prints nothing for GFX_POOL_GUEST_STALL seconds (300 by
# default; the debug kernel's slowest step prints within a minute), or
# when it runs longer than GFX_POOL_GUEST_TIMEOUT seconds (900). Either
# way the last lines of the log are shown and the exit status is 1.
#
# pci=noacpi: PCI interrupts are routed from the BIOS table, not by
# evaluating _PRT. Under the slow debug kernel, ACPICA gave the PIIX
# _PRT's AML loop up (AE_AML_LOOP_TIMEOUT) and the virtio disk never got
# its interrupt; the BIOS table needs no AML. ACPI itself (S3, S4, the
# RTC wake-up) is untouched. GFX_POOL_GUEST_PCI replaces it: the drm
# stages set it empty, because with pci=noacpi the kernel scans PCI
# without the host bridge's ACPI windows, then refuses every BAR inside
# them ("can't claim; address conflict with PNP0A03:00"), and the display
# devices' drivers fail to probe.
set -uo pipefail
kernel=$1 initrd=$2 log=$3 args=$4
shift 4
timeout=${GFX_POOL_GUEST_TIMEOUT:-900}
stall=${GFX_POOL_GUEST_STALL:-300}

qemu-system-x86_64 -accel tcg -machine pc -smp 2 -m 2G \
	-nodefaults -nographic -no-reboot -serial stdio \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic ${GFX_POOL_GUEST_PCI-pci=noacpi} $args" "$@" \
	< /dev/null > "$log" 2>&1 &
qemu=$!

why=""
start=$SECONDS last_size=-1 last_change=$SECONDS
while kill -0 "$qemu" 2>/dev/null; do
	sleep 2
	size=$(stat -c %s "$log" 2>/dev/null || echo 0)
	if [ "$size" != "$last_size" ]; then
		last_size=$size
		last_change=$SECONDS
	elif [ $((SECONDS - last_change)) -ge "$stall" ]; then
		why="no console output for $stall s"
		break
	fi
	if [ $((SECONDS - start)) -ge "$timeout" ]; then
		why="still running after $timeout s"
		break
	fi
done
if [ -n "$why" ]; then
	kill "$qemu" 2>/dev/null
	wait "$qemu" 2>/dev/null
	echo "GFXPOOL-HOST: guest stopped: $why" >> "$log"
	echo "guest stopped: $why; log: $log" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
wait "$qemu"
rc=$?
if [ $rc -ne 0 ]; then
	echo "qemu exited with $rc; log: $log" >&2
	tail -n 20 "$log" >&2
fi
grep -q '^GFXPOOL: end' "$log"
