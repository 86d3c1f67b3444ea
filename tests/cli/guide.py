#!/usr/bin/env python3
"""guide.py -- every example of docs/guide.md is output the program prints today.

The guide's ```console blocks are sessions: a line "$ command" is run, the
lines after it (up to the next "$ ") are what it must print. The commands run
in order, in one shell environment, against a cetsd of this test's own (a
fresh market with the trading date 2026-11-30, sessions not enforced) and
with this build's cets first on PATH, so the guide's story -- the operator
sets up a market, members trade, negotiate blocks, bid, surrender -- is
replayed exactly as written.

What changes from run to run is masked on both sides before comparing: wall
clock times ("2026-11-30 10:31:05", ISO times), tokens, and timings; in an
expected line "…" matches anything, and a line "..." any number of lines
(an abridged output). The variables $START and $END are a window from a
minute ago to a few seconds ahead (an auction's), $WORK the test's directory.

Usage: guide.py CETS GUIDE [--record | --fill]   (--record prints what the
commands print; --fill writes it into the guide's console blocks, to write
the guide with: abridge long outputs by hand afterwards)
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import datetime
import urllib.request

MASKS = [
    (re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z'), '<iso>'),
    (re.compile(r'(?<!\d)(20\d\d-\d\d-\d\d \d\d:\d\d:\d\d)(?!\d)'), '<time>'),
    (re.compile(r'[0-9a-f]{64}'), '<token>'),
    (re.compile(r'[0-9a-f]{8}…[0-9a-f]{8}'), '<token>'),
    (re.compile(r'127\.0\.0\.1:\d+'), '127.0.0.1:<port>'),
]


def mask(line):
    for rx, rep in MASKS:
        line = rx.sub(rep, line)
    return line.rstrip()


def sessions(path):
    """[(line number, command, [expected lines])] of every console block."""
    out, cmd, exp, inblock, at = [], None, [], False, 0
    for n, line in enumerate(open(path, encoding='utf-8'), 1):
        line = line.rstrip('\n')
        if not inblock and line.strip() == '```console':
            inblock = True
            continue
        if inblock and line.strip() == '```':
            if cmd is not None:
                out.append((at, cmd, exp))
            cmd, exp, inblock = None, [], False
            continue
        if not inblock:
            continue
        if line.startswith('$ '):
            if cmd is not None:
                out.append((at, cmd, exp))
            cmd, exp, at = line[2:], [], n
        elif cmd is not None:
            exp.append(line)
    return out


def matches(expected, actual):
    """Whether the masked actual lines match the expected ones ("..." and "…")."""
    exp = [mask(e) for e in expected]
    act = [mask(a) for a in actual]

    def line_ok(e, a):
        if '…' not in e:
            return e == a
        parts = [re.escape(p) for p in e.split('…')]
        return re.fullmatch('.*'.join(parts), a) is not None

    def walk(i, j):
        while i < len(exp):
            if exp[i] == '...':
                return any(walk(i + 1, k) for k in range(j, len(act) + 1))
            if j >= len(act) or not line_ok(exp[i], act[j]):
                return False
            i, j = i + 1, j + 1
        return j == len(act)
    return walk(0, 0)


def write_filled(path, filled):
    """The guide with each command's output replaced by what it printed."""
    lines = open(path, encoding='utf-8').read().split('\n')
    out, skipping = [], False
    for n, line in enumerate(lines, 1):
        if n in filled:
            out.append(line)
            out.extend(filled[n])
            skipping = True
            continue
        if skipping and (line.startswith('$ ') or line.strip() == '```'):
            skipping = False
        if not skipping:
            out.append(line)
    open(path, 'w', encoding='utf-8').write('\n'.join(out))


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    cets, guide = os.path.abspath(sys.argv[1]), sys.argv[2]
    record = '--record' in sys.argv
    fill = '--fill' in sys.argv
    filled = {}
    cetsd = os.path.join(os.path.dirname(cets), 'cetsd')
    work = tempfile.mkdtemp(prefix='cets-guide-', dir=os.environ.get('CETS_TEST_TMP'))
    bindir = os.path.join(work, 'bin')
    os.makedirs(bindir)
    os.symlink(cets, os.path.join(bindir, 'cets'))
    port = free_port()
    conf = os.path.join(work, 'cetsd.conf')
    with open(conf, 'w') as f:
        f.write(f'enforce_sessions = false\nstart_date = 2026-11-30\nlog_level = warn\n'
                f'listen = 127.0.0.1:{port}\ndata_dir = {work}/data\n')
    log = open(os.path.join(work, 'cetsd.log'), 'w')
    env = dict(os.environ, CETSD_ADMIN_PASSWORD='admin-password')
    server = subprocess.Popen([cetsd, '--config', conf], stdout=log, stderr=log, env=env)
    fails = 0
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        shell_env = dict(os.environ, PATH=f'{bindir}:{os.environ["PATH"]}', CETS_PROFILE=f'{work}/profile',
                         CETS_SERVER=f'http://127.0.0.1:{port}', WORK=work, TZ='UTC')
        for k in ('CETS_TOKEN', 'CETS_PASSWORD'):
            shell_env.pop(k, None)
        steps = sessions(guide)
        for at, cmd, expected in steps:
            # $START and $END: a window from a minute ago to a few seconds after this very
            # command (not after the run's start: on a loaded machine the steps before it
            # may take longer than the window)
            now = datetime.datetime.utcnow() + datetime.timedelta(hours=8)
            shell_env['START'] = (now - datetime.timedelta(minutes=1)).strftime('%Y-%m-%dT%H:%M')
            shell_env['END'] = (now + datetime.timedelta(seconds=8)).strftime('%Y-%m-%d %H:%M:%S')
            r = subprocess.run(['bash', '-c', cmd], cwd=work, env=shell_env, capture_output=True, text=True,
                               timeout=300)
            actual = (r.stdout + r.stderr).splitlines()
            if record:
                print(f'$ {cmd}')
                print('\n'.join(actual))
                continue
            if fill:
                filled[at] = actual
                continue
            if not matches(expected, actual):
                fails += 1
                print(f'FAIL: {guide}:{at}: $ {cmd}')
                print('  the guide says:')
                print('\n'.join('    ' + e for e in expected[:40]))
                print('  the program printed:')
                print('\n'.join('    ' + a for a in actual[:40]))
        if fill:
            write_filled(guide, filled)
        elif not record:
            print(f'guide: {len(steps) - fails} of {len(steps)} examples print what the guide says')
            if len(steps) < 40:
                print(f'FAIL: only {len(steps)} examples found in {guide}')
                fails += 1
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if fails else 0)


if __name__ == '__main__':
    main()
