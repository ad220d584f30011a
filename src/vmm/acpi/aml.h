/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small AML (ACPI Machine Language) encoder, written from the ACPI 6.x
 * specification, chapter 20 "ACPI Machine Language Specification", and the
 * resource descriptor formats of chapter 6.4.
 *
 * Output goes into a caller-supplied byte array that never grows: a write
 * that does not fit sets err to -ENOSPC and every later write is ignored,
 * so a caller builds a whole block and checks aml.err once at the end.
 * Objects with a PkgLength (Scope, Device, Method, If, Package, Field) are
 * opened with *_begin(), which returns a mark, and closed with
 * aml_pkg_end(mark), which inserts the encoded length in front of the body.
 */
#ifndef WIRT_VMM_AML_H
#define WIRT_VMM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opcodes and prefixes (ACPI 6.x, 20.3) used by the builder's callers. */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP 0x14
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX 0x5b
#define AML_ROOT_CHAR 0x5c
#define AML_PARENT_PREFIX 0x5e
#define AML_LOCAL0_OP 0x60
#define AML_ARG0_OP 0x68
#define AML_STORE_OP 0x70
#define AML_AND_OP 0x7b
#define AML_OR_OP 0x7d
#define AML_CREATE_DWORD_FIELD_OP 0x8a
#define AML_LNOT_OP 0x92
#define AML_NOTIFY_OP 0x86
#define AML_LEQUAL_OP 0x93
#define AML_IF_OP 0xa0
#define AML_RETURN_OP 0xa4
#define AML_ONES_OP 0xff
/* second bytes after AML_EXT_OP_PREFIX */
#define AML_EXT_OPREGION_OP 0x80
#define AML_EXT_FIELD_OP 0x81
#define AML_EXT_DEVICE_OP 0x82

/* OperationRegion spaces */
#define AML_SPACE_SYSTEM_MEMORY 0x00
#define AML_SPACE_SYSTEM_IO 0x01

/* FieldFlags: access type in bits 0-3, lock rule bit 4, update rule 5-6 */
#define AML_FIELD_ANY_ACC 0x00
#define AML_FIELD_BYTE_ACC 0x01
#define AML_FIELD_WORD_ACC 0x02
#define AML_FIELD_DWORD_ACC 0x03
#define AML_FIELD_LOCK 0x10
#define AML_FIELD_PRESERVE 0x00
#define AML_FIELD_WRITE_ONES 0x20
#define AML_FIELD_WRITE_ZEROS 0x40

/* The largest value a PkgLength can hold (28 bits). */
#define AML_PKGLEN_MAX 0x0fffffffu

struct aml {
	uint8_t *buf;
	size_t cap; /* bytes available at buf */
	size_t len; /* bytes written so far */
	int err; /* 0, -ENOSPC (out of room) or -EINVAL (bad name, length) */
};

/* aml_init - start an empty block of at most cap bytes at buf. */
void aml_init(struct aml *a, uint8_t *buf, size_t cap);

/*
 * aml_encode_length - encode value in the PkgLength format (1 to 4 bytes:
 * lead byte with the byte count in bits 6-7, then 4 + 8 + 8 + 8 bits).
 * Used as is for a field's bit width. Returns the bytes stored in out, or
 * -EINVAL if value needs more than 28 bits.
 */
int aml_encode_length(uint8_t out[4], uint32_t value);

/*
 * aml_pkglen_encode - encode the PkgLength of a package whose body (the
 * bytes after the PkgLength) is body_len long; the encoded length counts
 * the PkgLength bytes themselves. Returns the bytes stored in out (1-4), or
 * -EINVAL when the package is too large for AML.
 */
int aml_pkglen_encode(uint8_t out[4], size_t body_len);

/* Raw output: bytes, and little-endian 16/32/64-bit values. */
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_le16(struct aml *a, uint16_t v);
void aml_le32(struct aml *a, uint32_t v);
void aml_le64(struct aml *a, uint64_t v);

/*
 * aml_pkg_end - close the object opened at mark (a *_begin() return value):
 * move its body up and write the PkgLength in front of it.
 */
void aml_pkg_end(struct aml *a, size_t mark);

/*
 * aml_name_string - encode an ASL path such as "\\_SB.PWRB", "^PCI0",
 * "GED" (segments shorter than four characters are padded with '_'),
 * "\\" alone is the root. A bad character or segment sets err = -EINVAL.
 */
void aml_name_string(struct aml *a, const char *path);

/* Data objects: the shortest encoding of an integer, a string, a buffer. */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
void aml_buffer(struct aml *a, const void *data, size_t n);

/*
 * aml_uuid - a 16-byte Buffer as ASL's ToUUID("xxxxxxxx-xxxx-xxxx-xxxx-
 * xxxxxxxxxxxx") makes it: the first three fields little-endian, the rest
 * in string order. A malformed string sets err = -EINVAL.
 */
void aml_uuid(struct aml *a, const char *uuid);

/*
 * aml_eisaid - compress a 7-character EISA id ("PNP0C0C": three letters,
 * four hex digits) into the 32-bit value ASL's EISAID() yields. Returns 0
 * for a malformed id (0 is never a valid compressed id).
 */
uint32_t aml_eisaid(const char *id);

/* Name(path, ...) helpers: the NameOp and name; the data object follows. */
void aml_name(struct aml *a, const char *path);
void aml_name_int(struct aml *a, const char *path, uint64_t v);
void aml_name_str(struct aml *a, const char *path, const char *s);
void aml_name_eisaid(struct aml *a, const char *path, const char *id);

/* Openers for PkgLength objects; each returns the mark for aml_pkg_end. */
size_t aml_scope_begin(struct aml *a, const char *path);
size_t aml_device_begin(struct aml *a, const char *path);
size_t aml_method_begin(struct aml *a, const char *path, unsigned int nargs,
			bool serialized);
/* the predicate (a TermArg) is written by the caller right after this */
size_t aml_if_begin(struct aml *a);
/* the caller writes exactly nelem data objects before aml_pkg_end */
size_t aml_package_begin(struct aml *a, unsigned int nelem);
/* then aml_field_entry() for each field unit */
size_t aml_field_begin(struct aml *a, const char *region, uint8_t flags);

/* A named field unit of bits width (name: one NameSeg, e.g. "GEVT"). */
void aml_field_entry(struct aml *a, const char *name, uint32_t bits);

/* OperationRegion(name, space, offset, len). */
void aml_opregion(struct aml *a, const char *name, uint8_t space,
		  uint64_t offset, uint64_t len);

/* Notify(path, value). */
void aml_notify(struct aml *a, const char *path, uint64_t value);

/*
 * Resource descriptors (ACPI 6.x, 6.4), written into a struct aml that
 * holds a ResourceTemplate; finish it with aml_res_end() and emit it with
 * aml_buffer().
 */
/* IO(Decode16, base, base, 1, len) */
void aml_res_io(struct aml *r, uint16_t base, uint8_t len);
/* IRQNoFlags(){irq}, irq 0..15 */
void aml_res_irq_noflags(struct aml *r, unsigned int irq);
/* Memory32Fixed(ReadWrite or ReadOnly, base, len) */
void aml_res_mem32_fixed(struct aml *r, uint32_t base, uint32_t len, bool rw);
/* Interrupt(ResourceConsumer, Edge or Level, ActiveHigh or Low, Exclusive) */
void aml_res_interrupt(struct aml *r, uint32_t gsi, bool edge, bool active_low);
/* WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, min-max) */
void aml_res_word_bus(struct aml *r, uint16_t min, uint16_t max);
/* WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange) */
void aml_res_word_io(struct aml *r, uint16_t min, uint16_t max);
/* DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed,
 * NonCacheable, ReadWrite, min-max) */
void aml_res_dword_mem(struct aml *r, uint32_t min, uint32_t max);
/* QWordMemory(ResourceConsumer or Producer, ..., NonCacheable, ReadWrite) */
void aml_res_qword_mem(struct aml *r, uint64_t min, uint64_t max,
		       bool producer);
/* EndTag with a zero checksum ("treat as correct"). */
void aml_res_end(struct aml *r);

#endif
