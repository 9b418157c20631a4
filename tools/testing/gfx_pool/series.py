#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Make the git-am series of gfx_pool from the prepared tree.

    series.py <repo> <prepared-tree> <tarball> <work> <out>

The prepared tree (prepare-tree.sh: the overlay laid over Debian's
linux-source-6.12 and patches/ applied) is what `make test` builds, and
it is the one source of the series' final content. patches/series.d/
only says how that content is cut into commits:

  NN-slug         one commit: a "Files:" header naming the paths (globs
                  allowed) that first appear, or are first changed, in
                  this commit, with their final content; a blank line;
                  then the commit message (subject, blank, body).
  NN-slug.delta   optional: what this commit changes in paths that an
                  earlier commit owns, as a unified diff (-p1). It is
                  taken back (reverse-applied) from the final content to
                  give the earlier commits their version of those paths.
  cover-letter    the cover letter's subject, blank, and blurb (git
                  format-patch adds the shortlog and diffstat).

Every path the overlay or patches/ touches must have exactly one owner.
In <work>, a git tree of the unpacked tarball (tag "pristine") gets one
commit per series entry on branch gfx_pool; `git format-patch` writes the
series to <out>. Then the series is checked: `git am` onto pristine gives
the very tree of the last commit, that tree's touched paths hold exactly
the prepared tree's bytes, and checkpatch --strict has nothing to say
about any patch. Exit status non-zero on any mismatch or finding; with
GFX_POOL_QUIET=1 (make check) nothing is printed but findings.
"""
import atexit
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile

AUTHOR = 'gfx_pool developers <gfx_pool@localhost>'
# Fixed dates: the same content gives the same commits, hence the same
# patch files, run after run.
DATE = '2026-12-06T12:00:00+00:00'
OVERLAY_DIRS = ['Documentation', 'arch', 'include', 'lib', 'mm', 'drivers',
                'tools/testing/selftests']


QUIET = os.environ.get('GFX_POOL_QUIET') == '1'


def say(msg):
    if not QUIET:
        print(msg)


def die(msg):
    print('series: ' + msg, file=sys.stderr)
    sys.exit(1)


def git(work, *args, check=True, stdin=None):
    """git -C <work> <args>, as the series' author; its output, stripped."""
    env = dict(os.environ,
               GIT_AUTHOR_NAME='gfx_pool developers',
               GIT_AUTHOR_EMAIL='gfx_pool@localhost',
               GIT_COMMITTER_NAME='gfx_pool developers',
               GIT_COMMITTER_EMAIL='gfx_pool@localhost',
               GIT_AUTHOR_DATE=DATE, GIT_COMMITTER_DATE=DATE)
    r = subprocess.run(['git', '-C', work] + list(args), env=env, text=True,
                       input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if check and r.returncode:
        die('git %s: %s' % (' '.join(args[:2]), r.stdout.strip()))
    return r.stdout.strip()


def touched_paths(repo):
    """The overlay's files and the kernel files patches/ changes."""
    paths = set()
    for d in OVERLAY_DIRS:
        for root, _, files in os.walk(os.path.join(repo, d)):
            for f in files:
                paths.add(os.path.relpath(os.path.join(root, f), repo))
    pdir = os.path.join(repo, 'patches')
    with open(os.path.join(pdir, 'series')) as s:
        for name in s.read().split():
            with open(os.path.join(pdir, name)) as p:
                for line in p:
                    m = re.match(r'\+\+\+ b/(\S+)', line)
                    if m:
                        paths.add(m.group(1))
    return paths


def read_entries(sdir):
    entries = []
    for name in sorted(os.listdir(sdir)):
        if not re.match(r'\d\d-[\w-]+$', name):
            continue
        with open(os.path.join(sdir, name)) as f:
            text = f.read()
        head, _, msg = text.partition('\n\n')
        m = re.match(r'Files:\s*(.*)', head, re.S)
        if not m:
            die('%s: no Files: header' % name)
        delta = os.path.join(sdir, name + '.delta')
        entries.append({'name': name, 'globs': m.group(1).split(),
                        'msg': msg.strip() + '\n',
                        'delta': delta if os.path.exists(delta) else None})
    if not entries:
        die('no entries in ' + sdir)
    return entries


def assign_owners(entries, paths):
    owner = {}
    for i, e in enumerate(entries):
        used = set()
        for p in sorted(paths):
            for g in e['globs']:
                if fnmatch.fnmatchcase(p, g):
                    used.add(g)
                    if p in owner and owner[p] != i:
                        die('%s: owned by %s and %s' %
                            (p, entries[owner[p]]['name'], e['name']))
                    owner[p] = i
        for g in e['globs']:
            if g not in used:
                die('%s: %s matches no path of the overlay or patches/' %
                    (e['name'], g))
    lost = sorted(set(paths) - set(owner))
    if lost:
        die('no entry owns: ' + ' '.join(lost))
    return owner


def delta_paths(delta):
    with open(delta) as f:
        return sorted(set(re.findall(r'^\+\+\+ b/(\S+)', f.read(), re.M)))


def pristine(work, tarball):
    """A git tree of the unpacked tarball, made once and reused."""
    if os.path.isdir(os.path.join(work, '.git')) and \
       git(work, 'tag', '-l', 'pristine', check=False) == 'pristine':
        return
    say('  SERIES  git tree of %s (once)' % tarball)
    shutil.rmtree(work, ignore_errors=True)
    top = tempfile.mkdtemp(dir=os.path.dirname(work))
    subprocess.run(['tar', '-C', top, '-xf', tarball], check=True)
    (sub,) = os.listdir(top)
    os.rename(os.path.join(top, sub), work)
    os.rmdir(top)
    git(work, 'init', '-q')
    git(work, 'config', 'core.autocrlf', 'false')
    git(work, 'add', '-A', '-f')
    git(work, 'commit', '-q', '-m',
        "Debian's linux-source-6.12, as the package unpacks it")
    git(work, 'tag', 'pristine')


def state_for(entries, k, final_dir, tmp):
    """Copy of the final content with the deltas of entries after k undone."""
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(final_dir, tmp, symlinks=True)
    for e in reversed(entries[k + 1:]):
        if not e['delta']:
            continue
        with open(e['delta']) as f:
            r = subprocess.run(['patch', '-R', '-p1', '-s', '-f',
                                '--no-backup-if-mismatch', '-d', tmp],
                               stdin=f, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        if r.returncode:
            die('%s no longer undoes from the final content (update it to '
                'what the commit changes now):\n%s' %
                (os.path.basename(e['delta']), r.stdout))


def main():
    repo, tree, tarball, work, out = map(os.path.abspath, sys.argv[1:6])
    sdir = os.path.join(repo, 'patches', 'series.d')
    entries = read_entries(sdir)
    paths = touched_paths(repo)
    owner = assign_owners(entries, paths)
    for i, e in enumerate(entries):
        if not e['delta']:
            continue
        for p in delta_paths(e['delta']):
            if p not in owner or owner[p] >= i:
                die('%s changes %s, which no earlier entry owns' %
                    (os.path.basename(e['delta']), p))

    pristine(work, tarball)
    git(work, 'checkout', '-q', '-f', '-B', 'gfx_pool', 'pristine')
    git(work, 'clean', '-q', '-fdx')

    scratch = tempfile.mkdtemp(prefix='gfx_pool-series-')
    atexit.register(shutil.rmtree, scratch, True)   # die() exits too
    final_dir = os.path.join(scratch, 'final')
    for p in paths:
        src = os.path.join(tree, p)
        if not os.path.exists(src):
            die('%s is not in the prepared tree %s' % (p, tree))
        os.makedirs(os.path.dirname(os.path.join(final_dir, p)), exist_ok=True)
        shutil.copy2(src, os.path.join(final_dir, p))

    for k, e in enumerate(entries):
        state = os.path.join(scratch, 'state')
        state_for(entries, k, final_dir, state)
        for p in paths:
            if owner[p] > k:
                continue
            dst = os.path.join(work, p)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.join(state, p), dst)
        git(work, 'add', '-A', '-f', '--', *sorted({p.split('/')[0]
                                                     for p in paths}))
        if not git(work, 'diff', '--cached', '--name-only'):
            die('%s: changes nothing' % e['name'])
        msg = e['msg'] + '\nSigned-off-by: ' + AUTHOR + '\n'
        git(work, 'commit', '-q', '--cleanup=verbatim', '-F', '-', stdin=msg)

    # The series, and its cover letter.
    shutil.rmtree(out, ignore_errors=True)
    git(work, 'format-patch', '-q', '--cover-letter', '--no-signature',
        '--zero-commit', '-o', out, 'pristine..gfx_pool')
    cover = os.path.join(out, '0000-cover-letter.patch')
    with open(os.path.join(sdir, 'cover-letter')) as f:
        subject, _, blurb = f.read().partition('\n\n')
    if re.search(r'@[A-Z_]+@', blurb):
        die('cover-letter: a placeholder is left: ' +
            re.search(r'@[A-Z_]+@', blurb).group(0))
    with open(cover) as f:
        text = f.read()
    text = text.replace('*** SUBJECT HERE ***', subject.strip())
    text = text.replace('*** BLURB HERE ***', blurb.strip())
    with open(cover, 'w') as f:
        f.write(text)

    # The checks: git am gives the same tree, and that tree is the
    # prepared tree on every touched path, and nothing else changed.
    git(work, 'checkout', '-q', '-f', '-B', 'gfx_pool-am', 'pristine')
    patches = sorted(f for f in os.listdir(out)
                     if re.match(r'\d{4}-', f) and not f.startswith('0000'))
    out_am = git(work, 'am', '-q', *[os.path.join(out, p) for p in patches],
                 check=False)
    # A failed git am leaves its state in .git/rebase-apply.
    if os.path.isdir(os.path.join(work, '.git', 'rebase-apply')):
        git(work, 'am', '--abort', check=False)
        die('git am of %s onto pristine failed:\n%s' % (out, out_am))
    if git(work, 'rev-parse', 'gfx_pool-am^{tree}') != \
       git(work, 'rev-parse', 'gfx_pool^{tree}'):
        die('git am of the series gives another tree than its commits')
    changed = set(git(work, 'diff', '--name-only', 'pristine',
                      'gfx_pool').split())
    if changed != paths:
        die('the series changes %s but the overlay and patches/ %s' %
            (sorted(changed - paths), sorted(paths - changed)))
    for p in sorted(paths):
        with open(os.path.join(work, p), 'rb') as a, \
             open(os.path.join(tree, p), 'rb') as b:
            if a.read() != b.read():
                die('%s: the series and the prepared tree differ' % p)
    git(work, 'checkout', '-q', '-f', 'gfx_pool')
    say('  SERIES  %d patches and a cover letter in %s; git am gives '
        'the prepared tree' % (len(patches), out))

    # checkpatch --strict on each patch, from the tree the series makes.
    # Debian's python3 first: spdxcheck.py needs its python3-ply and
    # python3-git, which another python3 on PATH may lack.
    env = dict(os.environ, PATH='/usr/bin:' + os.environ.get('PATH', ''))
    bad = 0
    for p in patches:
        r = subprocess.run(['./scripts/checkpatch.pl', '--strict', '-q',
                            os.path.join(out, p)], cwd=work, text=True,
                           env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode or r.stdout.strip():
            print(r.stdout.rstrip())
            bad += 1
    if bad:
        die('checkpatch --strict: %d of %d patches have findings' %
            (bad, len(patches)))
    say('  SERIES  checkpatch --strict: nothing to report')


if __name__ == '__main__':
    main()
