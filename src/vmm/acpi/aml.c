// SPDX-License-Identifier: GPL-2.0-or-later
/* AML encoder: see aml.h. Written from the ACPI 6.x specification. */
#include "vmm/acpi/aml.h"

#include <errno.h>
#include <string.h>

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	a->buf = buf;
	a->cap = cap;
	a->len = 0;
	a->err = 0;
}

static void aml_fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (n > a->cap - a->len) {
		aml_fail(a, -ENOSPC);
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

void aml_le16(struct aml *a, uint16_t v)
{
	uint8_t b[2] = { v & 0xff, v >> 8 };

	aml_bytes(a, b, sizeof(b));
}

void aml_le32(struct aml *a, uint32_t v)
{
	aml_le16(a, v & 0xffff);
	aml_le16(a, v >> 16);
}

void aml_le64(struct aml *a, uint64_t v)
{
	aml_le32(a, v & 0xffffffffu);
	aml_le32(a, v >> 32);
}

/*
 * Encode value in n bytes of PkgLength format: the lead byte holds n - 1
 * in bits 6-7 and the low nibble of value, each following byte the next
 * eight bits. A one-byte encoding holds six bits instead (0..63).
 */
static void encode_length_n(uint8_t out[4], uint32_t value, int n)
{
	int i;

	if (n == 1) {
		out[0] = value & 0x3f;
		return;
	}
	out[0] = ((n - 1) << 6) | (value & 0x0f);
	for (i = 1; i < n; i++)
		out[i] = (value >> (4 + 8 * (i - 1))) & 0xff;
}

/* Bytes needed to encode value as a PkgLength, or 0 if it cannot be. */
static int length_bytes(uint64_t value)
{
	if (value <= 0x3f)
		return 1;
	if (value <= 0xfff)
		return 2;
	if (value <= 0xfffff)
		return 3;
	if (value <= AML_PKGLEN_MAX)
		return 4;
	return 0;
}

int aml_encode_length(uint8_t out[4], uint32_t value)
{
	int n = length_bytes(value);

	if (!n)
		return -EINVAL;
	encode_length_n(out, value, n);
	return n;
}

int aml_pkglen_encode(uint8_t out[4], size_t body_len)
{
	int n;

	if (body_len > AML_PKGLEN_MAX)
		return -EINVAL;
	/* the encoded length includes its own bytes: find the fixed point */
	for (n = 1; n <= 4; n++) {
		if (length_bytes(body_len + n) == n) {
			encode_length_n(out, body_len + n, n);
			return n;
		}
	}
	return -EINVAL;
}

void aml_pkg_end(struct aml *a, size_t mark)
{
	uint8_t enc[4];
	size_t body;
	int n;

	if (a->err)
		return;
	if (mark > a->len) {
		aml_fail(a, -EINVAL);
		return;
	}
	body = a->len - mark;
	n = aml_pkglen_encode(enc, body);
	if (n < 0) {
		aml_fail(a, n);
		return;
	}
	if ((size_t)n > a->cap - a->len) {
		aml_fail(a, -ENOSPC);
		return;
	}
	memmove(a->buf + mark + n, a->buf + mark, body);
	memcpy(a->buf + mark, enc, n);
	a->len += n;
}

static bool name_lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return name_lead_char(c) || (c >= '0' && c <= '9');
}

/*
 * Write one NameSeg from s (up to '.' or the end), padded with '_'.
 * Returns the characters consumed, or -EINVAL for an empty, too long or
 * badly spelled segment.
 */
static int name_seg(struct aml *a, const char *s)
{
	uint8_t seg[4] = { '_', '_', '_', '_' };
	int i;

	for (i = 0; s[i] && s[i] != '.'; i++) {
		if (i == 4 || !(i ? name_char(s[i]) : name_lead_char(s[i])))
			return -EINVAL;
		seg[i] = s[i];
	}
	if (!i)
		return -EINVAL;
	aml_bytes(a, seg, sizeof(seg));
	return i;
}

void aml_name_string(struct aml *a, const char *path)
{
	const char *p = path;
	unsigned int nseg = 1;
	int n;

	if (*p == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == '^') {
			aml_byte(a, AML_PARENT_PREFIX);
			p++;
		}
	}
	if (!*p) {
		aml_byte(a, 0x00); /* NullName */
		return;
	}
	for (n = 0; p[n]; n++)
		nseg += p[n] == '.';
	if (nseg > 255) {
		aml_fail(a, -EINVAL);
		return;
	}
	if (nseg == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (nseg > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, nseg);
	}
	for (;;) {
		n = name_seg(a, p);
		if (n < 0) {
			aml_fail(a, n);
			return;
		}
		p += n;
		if (!*p)
			break;
		p++; /* the '.' */
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v == UINT64_MAX) {
		aml_byte(a, AML_ONES_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_byte(a, v);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le16(a, v);
	} else if (v <= 0xffffffffu) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le32(a, v);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le64(a, v);
	}
}

void aml_string(struct aml *a, const char *s)
{
	size_t i;

	/* AsciiCharList: 0x01-0x7f, then a NUL */
	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] > 0x7f) {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, i + 1);
}

void aml_buffer(struct aml *a, const void *data, size_t n)
{
	size_t mark;

	aml_byte(a, AML_BUFFER_OP);
	mark = a->len;
	aml_integer(a, n);
	aml_bytes(a, data, n);
	aml_pkg_end(a, mark);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse 2n hex digits (either case) at s into out; false if malformed. */
static bool parse_hex_bytes(const char *s, uint8_t *out, int n)
{
	int i, d, v;

	for (i = 0; i < 2 * n; i++) {
		v = (s[i] >= 'a' && s[i] <= 'f') ? s[i] - 'a' + 'A' : s[i];
		d = hex_digit(v);
		if (d < 0)
			return false;
		if (i & 1)
			out[i / 2] |= d;
		else
			out[i / 2] = d << 4;
	}
	return true;
}

void aml_uuid(struct aml *a, const char *uuid)
{
	/* field offsets in the string and their byte counts */
	static const int pos[5] = { 0, 9, 14, 19, 24 };
	static const int len[5] = { 4, 2, 2, 2, 6 };
	uint8_t f[16], b[16];
	int i, o = 0;

	if (strlen(uuid) != 36 || uuid[8] != '-' || uuid[13] != '-' ||
	    uuid[18] != '-' || uuid[23] != '-') {
		aml_fail(a, -EINVAL);
		return;
	}
	for (i = 0; i < 5; i++) {
		if (!parse_hex_bytes(uuid + pos[i], f + o, len[i])) {
			aml_fail(a, -EINVAL);
			return;
		}
		o += len[i];
	}
	/* Data1 (4 bytes), Data2 and Data3 (2 each) are stored little-endian */
	for (i = 0; i < 4; i++)
		b[i] = f[3 - i];
	b[4] = f[5];
	b[5] = f[4];
	b[6] = f[7];
	b[7] = f[6];
	memcpy(b + 8, f + 8, 8);
	aml_buffer(a, b, sizeof(b));
}

/* One compressed EISA letter (A-Z -> 1..26), or -1. */
static int eisa_letter(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 1 : -1;
}

uint32_t aml_eisaid(const char *id)
{
	int l[3], h[4], i;
	uint8_t b[4];

	if (strlen(id) != 7)
		return 0;
	for (i = 0; i < 3; i++) {
		l[i] = eisa_letter(id[i]);
		if (l[i] < 0)
			return 0;
	}
	for (i = 0; i < 4; i++) {
		h[i] = hex_digit(id[3 + i]);
		if (h[i] < 0)
			return 0;
	}
	/* bytes in memory order: 0LLLLLll lllLLLLL hhhhhhhh hhhhhhhh */
	b[0] = (l[0] << 2) | (l[1] >> 3);
	b[1] = ((l[1] & 7) << 5) | l[2];
	b[2] = (h[0] << 4) | h[1];
	b[3] = (h[2] << 4) | h[3];
	return b[0] | (b[1] << 8) | (b[2] << 16) | ((uint32_t)b[3] << 24);
}

void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME_OP);
	aml_name_string(a, path);
}

void aml_name_int(struct aml *a, const char *path, uint64_t v)
{
	aml_name(a, path);
	aml_integer(a, v);
}

void aml_name_str(struct aml *a, const char *path, const char *s)
{
	aml_name(a, path);
	aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *path, const char *id)
{
	uint32_t v = aml_eisaid(id);

	if (!v) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_name(a, path);
	/* always a DWord, as ASL's EISAID() produces */
	aml_byte(a, AML_DWORD_PREFIX);
	aml_le32(a, v);
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
	size_t mark;

	aml_byte(a, AML_SCOPE_OP);
	mark = a->len;
	aml_name_string(a, path);
	return mark;
}

size_t aml_device_begin(struct aml *a, const char *path)
{
	size_t mark;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_EXT_DEVICE_OP);
	mark = a->len;
	aml_name_string(a, path);
	return mark;
}

size_t aml_method_begin(struct aml *a, const char *path, unsigned int nargs,
			bool serialized)
{
	size_t mark;

	if (nargs > 7)
		aml_fail(a, -EINVAL);
	aml_byte(a, AML_METHOD_OP);
	mark = a->len;
	aml_name_string(a, path);
	/* MethodFlags: ArgCount bits 0-2, SerializeFlag bit 3, SyncLevel 0 */
	aml_byte(a, (nargs & 7) | (serialized ? 0x08 : 0));
	return mark;
}

size_t aml_if_begin(struct aml *a)
{
	aml_byte(a, AML_IF_OP);
	return a->len;
}

size_t aml_package_begin(struct aml *a, unsigned int nelem)
{
	size_t mark;

	if (nelem > 255)
		aml_fail(a, -EINVAL);
	aml_byte(a, AML_PACKAGE_OP);
	mark = a->len;
	aml_byte(a, nelem);
	return mark;
}

size_t aml_field_begin(struct aml *a, const char *region, uint8_t flags)
{
	size_t mark;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_EXT_FIELD_OP);
	mark = a->len;
	aml_name_string(a, region);
	aml_byte(a, flags);
	return mark;
}

void aml_field_entry(struct aml *a, const char *name, uint32_t bits)
{
	uint8_t enc[4];
	int n;

	/* NamedField: a bare NameSeg (no prefixes), then its bit width */
	if (strchr(name, '.') || name[0] == '\\' || name[0] == '^') {
		aml_fail(a, -EINVAL);
		return;
	}
	n = aml_encode_length(enc, bits);
	if (n < 0 || !bits) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_name_string(a, name);
	aml_bytes(a, enc, n);
}

void aml_opregion(struct aml *a, const char *name, uint8_t space,
		  uint64_t offset, uint64_t len)
{
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_EXT_OPREGION_OP);
	aml_name_string(a, name);
	aml_byte(a, space);
	aml_integer(a, offset);
	aml_integer(a, len);
}

void aml_notify(struct aml *a, const char *path, uint64_t value)
{
	aml_byte(a, AML_NOTIFY_OP);
	aml_name_string(a, path);
	aml_integer(a, value);
}

/* Resource descriptors (ACPI 6.x, 6.4.2 small and 6.4.3 large items). */
#define RES_IO 0x47 /* small item 0x08, length 7 */
#define RES_IRQ_NOFLAGS 0x22 /* small item 0x04, length 2 */
#define RES_END 0x79 /* small item 0x0f, length 1 */
#define RES_MEM32_FIXED 0x86
#define RES_DWORD_ADDR 0x87
#define RES_WORD_ADDR 0x88
#define RES_EXT_IRQ 0x89
#define RES_QWORD_ADDR 0x8a

#define ADDR_TYPE_MEM 0
#define ADDR_TYPE_IO 1
#define ADDR_TYPE_BUS 2
/* general flags: bit 0 consumer, bit 1 subtractive decode, 2 MinFixed,
 * 3 MaxFixed */
#define ADDR_CONSUMER 0x01
#define ADDR_MIN_FIXED 0x04
#define ADDR_MAX_FIXED 0x08
#define ADDR_IO_ENTIRE_RANGE 0x03 /* IO type flags, _RNG */
#define ADDR_MEM_RW 0x01 /* memory type flags, _RW; _MEM 0: non-cacheable */

void aml_res_io(struct aml *r, uint16_t base, uint8_t len)
{
	aml_byte(r, RES_IO);
	aml_byte(r, 0x01); /* decodes 16 address bits */
	aml_le16(r, base); /* _MIN */
	aml_le16(r, base); /* _MAX */
	aml_byte(r, 1); /* _ALN */
	aml_byte(r, len); /* _LEN */
}

void aml_res_irq_noflags(struct aml *r, unsigned int irq)
{
	if (irq > 15) {
		aml_fail(r, -EINVAL);
		return;
	}
	aml_byte(r, RES_IRQ_NOFLAGS);
	aml_le16(r, 1u << irq);
}

void aml_res_mem32_fixed(struct aml *r, uint32_t base, uint32_t len, bool rw)
{
	aml_byte(r, RES_MEM32_FIXED);
	aml_le16(r, 9);
	aml_byte(r, rw ? 0x01 : 0x00);
	aml_le32(r, base);
	aml_le32(r, len);
}

void aml_res_interrupt(struct aml *r, uint32_t gsi, bool edge, bool active_low)
{
	uint8_t flags = 0x01; /* consumer, exclusive, not wake capable */

	if (edge)
		flags |= 0x02;
	if (active_low)
		flags |= 0x04;
	aml_byte(r, RES_EXT_IRQ);
	aml_le16(r, 6); /* flags, count, one 32-bit interrupt number */
	aml_byte(r, flags);
	aml_byte(r, 1);
	aml_le32(r, gsi);
}

/* The head shared by the Word, DWord and QWord address descriptors. */
static void addr_head(struct aml *r, uint8_t tag, uint16_t len, uint8_t type,
		      uint8_t gflags, uint8_t tflags)
{
	aml_byte(r, tag);
	aml_le16(r, len);
	aml_byte(r, type);
	aml_byte(r, gflags);
	aml_byte(r, tflags);
}

/* Word address descriptor: granularity, min, max, translation, length. */
static void word_addr(struct aml *r, uint8_t type, uint8_t tflags, uint16_t min,
		      uint16_t max)
{
	if (max < min) {
		aml_fail(r, -EINVAL);
		return;
	}
	addr_head(r, RES_WORD_ADDR, 13, type, ADDR_MIN_FIXED | ADDR_MAX_FIXED,
		  tflags);
	aml_le16(r, 0);
	aml_le16(r, min);
	aml_le16(r, max);
	aml_le16(r, 0);
	aml_le16(r, max - min + 1);
}

void aml_res_word_bus(struct aml *r, uint16_t min, uint16_t max)
{
	word_addr(r, ADDR_TYPE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *r, uint16_t min, uint16_t max)
{
	word_addr(r, ADDR_TYPE_IO, ADDR_IO_ENTIRE_RANGE, min, max);
}

void aml_res_dword_mem(struct aml *r, uint32_t min, uint32_t max)
{
	if (max < min || (min == 0 && max == UINT32_MAX)) {
		aml_fail(r, -EINVAL);
		return;
	}
	addr_head(r, RES_DWORD_ADDR, 23, ADDR_TYPE_MEM,
		  ADDR_MIN_FIXED | ADDR_MAX_FIXED, ADDR_MEM_RW);
	aml_le32(r, 0);
	aml_le32(r, min);
	aml_le32(r, max);
	aml_le32(r, 0);
	aml_le32(r, max - min + 1);
}

void aml_res_qword_mem(struct aml *r, uint64_t min, uint64_t max, bool producer)
{
	uint8_t gflags = ADDR_MIN_FIXED | ADDR_MAX_FIXED;

	if (max < min || (min == 0 && max == UINT64_MAX)) {
		aml_fail(r, -EINVAL);
		return;
	}
	if (!producer)
		gflags |= ADDR_CONSUMER;
	addr_head(r, RES_QWORD_ADDR, 43, ADDR_TYPE_MEM, gflags, ADDR_MEM_RW);
	aml_le64(r, 0);
	aml_le64(r, min);
	aml_le64(r, max);
	aml_le64(r, 0);
	aml_le64(r, max - min + 1);
}

void aml_res_end(struct aml *r)
{
	aml_byte(r, RES_END);
	aml_byte(r, 0);
}
