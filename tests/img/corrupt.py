#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""corrupt.py MODE IMAGE: damage a qcow2 v3 image (16-bit refcounts) in one
known way for the check/repair tests.

leak        append a cluster and give it refcount 1 (a leak)
unref       set the refcount of the first data cluster to 0 (corruption)
corruptbit  set the corrupt bit
dirty       set the dirty bit
autoclear   set unknown autoclear bit 5, add unknown header extension
verify-autoclear  exit 0 when autoclear is 0 and the extension is kept
copied-l2   clear COPIED on the first data entry (its refcount is 1)
copied-l1   clear COPIED on L1 entry 0 (its L2 table's refcount is 1)
data-on-l1  make guest cluster 1 an owned (COPIED) data cluster on the L1
            table: a write there must not wipe the mappings
l2-unref    set the refcount of the first L2 table to 0: it must not be
            handed out as a data cluster
l1-past-end, rct-past-end, refblock-past-end
            point the header's L1 table, refcount table, or the first
            refcount table entry past the end of the file
"""
import struct
import sys

mode, path = sys.argv[1], sys.argv[2]
f = open(path, 'r+b')
b = bytearray(f.read())
cs = 1 << struct.unpack_from('>I', b, 20)[0]
l1 = struct.unpack_from('>Q', b, 40)[0]
rct = struct.unpack_from('>Q', b, 48)[0]
rb = struct.unpack_from('>Q', b, rct)[0]
EXT = 0x77777777


def set_rc(idx, v):
    struct.pack_into('>H', b, rb + 2 * idx, v)


def exts():
    o = struct.unpack_from('>I', b, 100)[0]
    while True:
        t, ln = struct.unpack_from('>II', b, o)
        yield t, o
        if t == 0:
            return
        o += 8 + (ln + 7) // 8 * 8


if mode == 'leak':
    idx = len(b) // cs
    b += bytes(cs)
    set_rc(idx, 1)
elif mode == 'unref':
    l2 = struct.unpack_from('>Q', b, l1)[0] & 0x00fffffffffffe00
    data = struct.unpack_from('>Q', b, l2)[0] & 0x00fffffffffffe00
    set_rc(data // cs, 0)
elif mode in ('corruptbit', 'dirty'):
    inc = struct.unpack_from('>Q', b, 72)[0]
    struct.pack_into('>Q', b, 72, inc | (2 if mode == 'corruptbit' else 1))
elif mode == 'autoclear':
    struct.pack_into('>Q', b, 88, 1 << 5)
    end = [o for t, o in exts() if t == 0][0]
    struct.pack_into('>II8sII', b, end, EXT, 5, b'hello\0\0\0', 0, 0)
elif mode == 'verify-autoclear':
    ac = struct.unpack_from('>Q', b, 88)[0]
    found = [o for t, o in exts() if t == EXT]
    ok = ac == 0 and found and b[found[0] + 8:found[0] + 13] == b'hello'
    sys.exit(0 if ok else 1)
elif mode in ('copied-l2', 'copied-l1', 'data-on-l1', 'l2-unref'):
    l1e = struct.unpack_from('>Q', b, l1)[0]
    l2 = l1e & 0x00fffffffffffe00
    if mode == 'copied-l1':
        struct.pack_into('>Q', b, l1, l1e & ~(1 << 63))
    elif mode == 'copied-l2':
        e = struct.unpack_from('>Q', b, l2)[0]
        struct.pack_into('>Q', b, l2, e & ~(1 << 63))
    elif mode == 'data-on-l1':
        struct.pack_into('>Q', b, l2 + 8, l1 | (1 << 63))
    else:
        set_rc(l2 // cs, 0)
elif mode == 'l1-past-end':
    struct.pack_into('>Q', b, 40, 1 << 40)
elif mode == 'rct-past-end':
    struct.pack_into('>Q', b, 48, 1 << 40)
elif mode == 'refblock-past-end':
    struct.pack_into('>Q', b, rct, 1 << 40)
else:
    sys.exit('unknown mode ' + mode)
f.seek(0)
f.write(b)
f.close()
