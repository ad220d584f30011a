#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write hostile and corrupt qcow2 images derived from a clean one.

usage: hostile.py CLEAN.qcow2 OUTDIR
Each output NAME.qcow2 must be refused (or reported by check) by wirt-img
with a clear message, never a crash.  Prints the names it wrote.
"""
import os
import struct
import sys

clean, outdir = sys.argv[1], sys.argv[2]
base = bytearray(open(clean, 'rb').read())


def hdr(b, off, fmt):
    return struct.unpack_from('>' + fmt, b, off)[0]


def put(b, off, fmt, v):
    struct.pack_into('>' + fmt, b, off, v)


cs = 1 << hdr(base, 20, 'I')
l1_off = hdr(base, 40, 'Q')
rct_off = hdr(base, 48, 'Q')
rb_off = hdr(base, rct_off, 'Q')
l2_off = hdr(base, l1_off, 'Q') & 0x00fffffffffffe00


def variant(name, fn):
    b = bytearray(base)
    fn(b)
    open(os.path.join(outdir, name + '.qcow2'), 'wb').write(b)
    print(name)


variant('version1', lambda b: put(b, 4, 'I', 1))
variant('version9', lambda b: put(b, 4, 'I', 9))
variant('cluster_bits_30', lambda b: put(b, 20, 'I', 30))
variant('cluster_bits_8', lambda b: put(b, 20, 'I', 8))
variant('size_absurd', lambda b: put(b, 24, 'Q', 1 << 63))
variant('l1_too_small', lambda b: put(b, 24, 'Q', 1 << 50))
variant('l1_huge', lambda b: put(b, 36, 'I', 0x7fffffff))
variant('l1_past_end', lambda b: put(b, 40, 'Q', 1 << 40))
variant('l1_unaligned', lambda b: put(b, 40, 'Q', l1_off + 8))
variant('rct_past_end', lambda b: put(b, 48, 'Q', 1 << 44))
variant('rct_huge', lambda b: put(b, 56, 'I', 0x40000000))
variant('rct_zero', lambda b: put(b, 56, 'I', 0))
variant('l1_overlaps_rct', lambda b: put(b, 40, 'Q', rct_off))
variant('refblock_past_end', lambda b: put(b, rct_off, 'Q', 1 << 45))
variant('refblock_on_header', lambda b: put(b, rct_off, 'Q', 0))
variant('l2_past_end', lambda b: put(b, l1_off, 'Q', (1 << 45) | (1 << 63)))
variant('l2_on_l1', lambda b: put(b, l1_off, 'Q', (1 << 63) | l1_off))
variant('l2_on_rct', lambda b: put(b, l1_off, 'Q', rct_off))
variant('l2_unaligned', lambda b: put(b, l1_off, 'Q', (l2_off + 512) | (1 << 63)))
variant('data_past_end', lambda b: put(b, l2_off, 'Q', (1 << 50) | (1 << 63)))
variant('data_unaligned', lambda b: put(b, l2_off, 'Q', (3 * cs + 512) | (1 << 63)))
variant('compressed_past_end', lambda b: put(b, l2_off, 'Q', (1 << 62) | (1 << 40)))
variant('encrypted', lambda b: put(b, 32, 'I', 1))
variant('unknown_incompat', lambda b: put(b, 72, 'Q', 1 << 40))
variant('external_data_file', lambda b: put(b, 72, 'Q', 1 << 2))
variant('refcount_order_9', lambda b: put(b, 96, 'I', 9))
variant('header_length_bad', lambda b: put(b, 100, 'I', 13))
variant('backing_name_huge', lambda b: (put(b, 8, 'Q', 512), put(b, 16, 'I', 1 << 30)))
variant('snapshots_absurd', lambda b: (put(b, 60, 'I', 0xffffffff), put(b, 64, 'Q', cs)))
variant('snapshots_past_end', lambda b: (put(b, 60, 'I', 1), put(b, 64, 'Q', 1 << 40)))
variant('ext_too_long', lambda b: (put(b, 112, 'I', 0x12345678), put(b, 116, 'I', 0x7fffffff)))
variant('compression_type_7', lambda b: (put(b, 72, 'Q', 1 << 3), b.__setitem__(104, 7)))
variant('truncated', lambda b: b.__delitem__(slice(60, None)))


def rct_repeats(b):
    """a refcount table of 8 MiB naming one refcount block 1M times"""
    n = (8 << 20) // cs
    off = (len(b) + cs - 1) // cs * cs
    b.extend(bytes(off - len(b)))
    b.extend(struct.pack('>Q', rb_off) * (n * cs // 8))
    put(b, 48, 'Q', off)
    put(b, 56, 'I', n)


def l1_repeats(b):
    """an L1 table of 32 MiB naming one L2 table 4M times"""
    off = (len(b) + cs - 1) // cs * cs
    b.extend(bytes(off - len(b)))
    b.extend(struct.pack('>Q', l2_off | (1 << 63)) * (4 << 20))
    put(b, 36, 'I', 4 << 20)
    put(b, 40, 'Q', off)


def snap_l1s_repeat(b):
    """64k snapshots sharing one 1 MiB L1 table (128k L2 references each)"""
    off = (len(b) + cs - 1) // cs * cs
    b.extend(bytes(off - len(b)))
    l1 = off
    b.extend(struct.pack('>Q', l2_off) * (128 << 10))
    tbl = len(b)
    n = 65535
    for i in range(n):
        sid = str(i + 1).encode()
        ent = struct.pack('>QIHHIIQII', l1, 128 << 10, len(sid), len(sid),
                          0, 0, 0, 0, 16)
        ent += struct.pack('>QQ', 0, hdr(b, 24, 'Q')) + sid + sid
        b.extend(ent + bytes(-len(ent) % 8))
    put(b, 60, 'I', n)
    put(b, 64, 'Q', tbl)


# complexity: must finish in bounded time (tests/img/run times them)
variant('rct_repeats_block', rct_repeats)
variant('l1_repeats_l2', l1_repeats)
variant('snap_l1s_repeat', snap_l1s_repeat)
