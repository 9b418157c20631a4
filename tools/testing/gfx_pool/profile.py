#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where a bench row's time goes in the guest kernel, under TCG.

   profile.py <bzImage> <initramfs> <System.map> <pool size> <bench args> <out>

The guest's console goes to profile-guest.log beside <out>. With
PROFILE_DETAIL=<function>[,<function>...] in the environment, samples in
those functions are counted per offset (<function>+0x<offset>), to see
where in a function its time goes (objdump -d vmlinux names the
instruction).

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
import signal
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
    detail = set(filter(None, os.environ.get('PROFILE_DETAIL', '').split(',')))
    here = os.path.dirname(os.path.realpath(__file__))
    log = os.path.join(os.path.dirname(os.path.abspath(out)),
                       'profile-guest.log')
    samples, rows = [], []

    def name_of(pc):
        i = bisect.bisect_right(addrs, pc) - 1
        if i < 0:
            return '(user)'     # below the kernel's text
        if names[i] in detail:
            return f'{names[i]}+{pc - addrs[i]:#x}'
        return names[i]

    with tempfile.TemporaryDirectory(prefix='gfx_pool-profile.') as tmp:
        sock_path = os.path.join(tmp, 'monitor.sock')
        # A session of its own: run-guest.sh runs QEMU in the background,
        # and an error here must stop both.
        guest = subprocess.Popen(
            [os.path.join(here, 'run-guest.sh'), kernel, initrd, log,
             'nokaslr kunit.enable=0 gfxpool_mode=bench '
             f'gfxpool_bench={bench_args} gfx_pool={pool}',
             '-mem-prealloc', '-smp', '1',
             '-monitor', f'unix:{sock_path},server,nowait'],
            start_new_session=True)
        try:
            sample(guest, sock_path, log, name_of, samples, rows)
        finally:
            if guest.poll() is None:
                try:
                    os.killpg(guest.pid, signal.SIGTERM)
                except ProcessLookupError:
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
    if not rows:
        print('no bench rows: see the guest log', file=sys.stderr)
        return 1
    return rc


def sample(guest, sock_path, log, name_of, samples, rows):
    """Sample the vCPU's RIP until the guest powers off; read its rows."""
    for _ in range(300):
        if os.path.exists(sock_path) or guest.poll() is not None:
            break
        time.sleep(0.1)
    if not os.path.exists(sock_path):
        print('no QEMU monitor socket: see the guest log', file=sys.stderr)
        return
    mon = socket.socket(socket.AF_UNIX)
    try:
        mon.connect(sock_path)
    except OSError as e:
        print(f'QEMU monitor: {e}: see the guest log', file=sys.stderr)
        mon.close()
        return
    buf = b''

    def prompt():
        """What the monitor printed up to its next prompt."""
        nonlocal buf
        while b'(qemu) ' not in buf:
            data = mon.recv(65536)
            if not data:
                raise EOFError
            buf += data
        reply, _, buf = buf.partition(b'(qemu) ')
        return reply.decode(errors='replace')

    pending, logf = '', None

    def read_rows(now):
        """The bench's lines the log has now, each ended."""
        nonlocal pending, logf
        if logf is None and os.path.exists(log):
            logf = open(log, errors='replace')
        if logf is None:
            return
        # A line QEMU is still writing waits for its end.
        pending += logf.read()
        *lines, pending = pending.split('\n')
        for line in lines:
            line = line.strip()
            if line.startswith('GFXPOOL-BENCH: ') and 'csv' not in line:
                rows.append((now, line[len('GFXPOOL-BENCH: '):]))

    try:
        prompt()        # the banner
        while True:
            mon.sendall(b'info registers\n')
            rip = re.search(r'RIP=([0-9a-f]+)', prompt())
            now = time.monotonic()
            if rip:
                samples.append((now, name_of(int(rip.group(1), 16))))
            read_rows(now)
            time.sleep(0.002)
    except (EOFError, ConnectionResetError, BrokenPipeError):
        pass
    finally:
        mon.close()
    # The guest is gone: what it printed last.
    guest.wait()
    read_rows(time.monotonic())
    if logf:
        logf.close()


if __name__ == '__main__':
    sys.exit(main())
