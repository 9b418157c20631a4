#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where a bench row's time goes in the guest kernel, under TCG.

   profile.py <bzImage> <initramfs> <System.map> <pool size> <bench args> <out>

Boots the bench guest as bench.sh does (-mem-prealloc), with one vCPU,
nokaslr (so that System.map names the addresses) and QEMU's monitor on a
socket; asks the monitor for the vCPU's registers every 2 ms while the
bench runs, and gives each row the samples taken between the line before
it and its own (gfx_pool-bench prints a row when it is done). Writes, and
prints, each row with the functions its samples fell in, most first.

There is no PMU under TCG, and no profiler plugin in Debian's QEMU; this
is the poor man's one. What it can and cannot say:
  - A sample is where the vCPU stopped for the monitor: at the start of a
    translation block, or at an exception. Rows that take an exception a
    page (the fault rows) show the user instruction that faulted, not the
    kernel's fault path: use it for allocation rows, not those.
  - Samples are a leaf profile: a function's callees are not in its count.
  - A row's samples are all those since the line before it, its untimed
    set-up included: a warm row's first untimed run (which may take
    blocks back and convert them) counts with it.
  - Two milliseconds between samples: a row needs a second or more for a
    profile worth reading (-r 20 or more at 32768 pages).
"""

import bisect
import collections
import os
import re
import socket
import subprocess
import sys
import tempfile
import time


def load_symbols(path):
    """Text symbols of System.map, sorted by address."""
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in 'tTwW':
                syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__.split('\n\n')[1])
    kernel, initrd, sysmap, pool, bench_args, out = sys.argv[1:]
    addrs, names = load_symbols(sysmap)
    here = os.path.dirname(os.path.realpath(__file__))
    tmp = tempfile.mkdtemp(prefix='gfx_pool-profile.')
    sock_path = os.path.join(tmp, 'monitor.sock')
    log = os.path.join(tmp, 'guest.log')

    guest = subprocess.Popen(
        [os.path.join(here, 'run-guest.sh'), kernel, initrd, log,
         'nokaslr kunit.enable=0 gfxpool_mode=bench '
         f'gfxpool_bench={bench_args} gfx_pool={pool}',
         '-mem-prealloc', '-smp', '1',
         '-monitor', f'unix:{sock_path},server,nowait'])
    for _ in range(300):
        if os.path.exists(sock_path) or guest.poll() is not None:
            break
        time.sleep(0.1)
    mon = socket.socket(socket.AF_UNIX)
    mon.connect(sock_path)
    buf = b''

    def ask(command):
        nonlocal buf
        mon.sendall(command.encode() + b'\n')
        while b'(qemu) ' not in buf:
            data = mon.recv(65536)
            if not data:
                raise EOFError
            buf += data
        reply, _, buf = buf.partition(b'(qemu) ')
        return reply.decode(errors='replace')

    samples, rows, logf = [], [], None
    try:
        ask('')
        while True:
            rip = re.search(r'RIP=([0-9a-f]+)', ask('info registers'))
            now = time.monotonic()
            if rip:
                pc = int(rip.group(1), 16)
                i = bisect.bisect_right(addrs, pc) - 1
                # Below the kernel's text: user space.
                samples.append((now, names[i] if i >= 0 else '(user)'))
            if logf is None and os.path.exists(log):
                logf = open(log, errors='replace')
            if logf:
                for line in logf.readlines():
                    line = line.strip()
                    if (line.startswith('GFXPOOL-BENCH: ') and
                            'csv' not in line):
                        rows.append((now, line[len('GFXPOOL-BENCH: '):]))
            time.sleep(0.002)
    except (EOFError, ConnectionResetError, BrokenPipeError):
        pass
    rc = guest.wait()

    # A row is a line with its figures; the table's header comes only
    # right before the first row's, so the samples before a line that is
    # not a row go to the next row. Those before the bench's first line
    # are the boot's.
    is_row = re.compile(r'\s\d+\s+\d+\s+\d+')
    with open(out, 'w') as f:
        j, count = 0, collections.Counter()
        for i, (t, row) in enumerate(rows):
            while j < len(samples) and samples[j][0] <= t:
                count[samples[j][1]] += 1
                j += 1
            if not i:
                count.clear()
            if not is_row.search(row):
                continue
            n = sum(count.values())
            f.write(f'{row}\n    {n} samples\n')
            for name, k in count.most_common(15):
                f.write(f'    {100.0 * k / n:5.1f}% {name}\n')
            count.clear()
    with open(out) as f:
        sys.stdout.write(f.read())
    print(f'guest log: {log}')
    return rc


if __name__ == '__main__':
    sys.exit(main())
