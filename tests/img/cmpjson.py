#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""cmpjson.py OURS QEMU: compare wirt-img and qemu-img JSON output.

Every field wirt-img prints must exist in qemu-img's output with the same
value (recursively); the core fields must be present.  Exit 1 on a
difference, printing it.
"""
import json
import sys

CORE = {'virtual-size', 'filename', 'format'}
CHECK_CORE = {'image-end-offset', 'total-clusters', 'check-errors', 'filename'}


def cmp(a, b, path):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if k not in b:
                return '%s/%s: not in qemu-img output' % (path, k)
            r = cmp(a[k], b[k], path + '/' + k)
            if r:
                return r
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return '%s: %d entries, qemu-img has %d' % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            r = cmp(x, y, '%s[%d]' % (path, i))
            if r:
                return r
        return None
    return None if a == b else '%s: %r != qemu-img %r' % (path, a, b)


ours = json.load(open(sys.argv[1]))
theirs = json.load(open(sys.argv[2]))
err = cmp(ours, theirs, '')
for o in (ours if isinstance(ours, list) else [ours]):
    need = CHECK_CORE if 'check-errors' in o else CORE
    if not need <= set(o):
        err = err or 'missing core fields %s' % (need - set(o))
if err:
    print(err)
    sys.exit(1)
