// SPDX-License-Identifier: GPL-2.0-or-later
/* The ACPI table-loader script: see acpi-loader.h. */
#include "vmm/firmware/acpi-loader.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "vmm/boot/le.h"

#define NAME_LEN 56 /* fw_cfg file names in commands */
#define HDR_LEN 36 /* ACPI table header */
#define HDR_CHECKSUM 9
#define RSDP_RSDT 16
#define RSDP_XSDT 24
#define RSDP_V1_CHECKSUM 8
#define RSDP_V1_LEN 20
#define RSDP_CHECKSUM 32
#define FACS_MIN_LEN 64
#define MAX_TABLES 32

/* FADT pointer fields: offset and width */
static const struct {
	unsigned int off, size;
	bool dsdt;
} fadt_ptrs[] = {
	{ 36, 4, false }, /* FIRMWARE_CTRL (FACS) */
	{ 40, 4, true }, /* DSDT */
	{ 132, 8, false }, /* X_FIRMWARE_CTRL */
	{ 140, 8, true }, /* X_DSDT */
};

struct walk {
	struct acpi_loader *l;
	uint8_t *t;
	size_t len;
	size_t sums[MAX_TABLES]; /* tables whose checksum the script fixes */
	unsigned int nsums;
};

/* The next command, zeroed, with its type set; NULL when full. */
static uint8_t *new_cmd(struct acpi_loader *l, enum acpi_loader_cmd type)
{
	uint8_t *c;

	if (l->n == ACPI_LOADER_MAX_CMDS)
		return NULL;
	c = l->cmd[l->n++];
	memset(c, 0, ACPI_LOADER_CMD_LEN);
	put_le32(c, type);
	return c;
}

/* ALLOCATE file with alignment and zone. 0 or -ENOSPC. */
static int allocate(struct acpi_loader *l, const char *file, uint32_t align,
		    enum acpi_loader_zone zone)
{
	uint8_t *c = new_cmd(l, ACPI_LOADER_ALLOCATE);

	if (!c)
		return -ENOSPC;
	strncpy((char *)c + 4, file, NAME_LEN - 1);
	put_le32(c + 4 + NAME_LEN, align);
	c[4 + NAME_LEN + 4] = zone;
	return 0;
}

/* ADD_POINTER: dest's field at off (size bytes) += src's address. */
static int add_pointer(struct acpi_loader *l, const char *dest, const char *src,
		       uint32_t off, uint8_t size)
{
	uint8_t *c = new_cmd(l, ACPI_LOADER_ADD_POINTER);

	if (!c)
		return -ENOSPC;
	strncpy((char *)c + 4, dest, NAME_LEN - 1);
	strncpy((char *)c + 4 + NAME_LEN, src, NAME_LEN - 1);
	put_le32(c + 4 + 2 * NAME_LEN, off);
	c[4 + 2 * NAME_LEN + 4] = size;
	return 0;
}

/* ADD_CHECKSUM: file's byte at result = checksum of [start, start+len). */
static int add_checksum(struct acpi_loader *l, const char *file,
			uint32_t result, uint32_t start, uint32_t len)
{
	uint8_t *c = new_cmd(l, ACPI_LOADER_ADD_CHECKSUM);

	if (!c)
		return -ENOSPC;
	strncpy((char *)c + 4, file, NAME_LEN - 1);
	put_le32(c + 4 + NAME_LEN, result);
	put_le32(c + 4 + NAME_LEN + 4, start);
	put_le32(c + 4 + NAME_LEN + 8, len);
	return 0;
}

/* Read a pointer field of size bytes (4 or 8) at p. */
static uint64_t get_ptr(const uint8_t *p, unsigned int size)
{
	return size == 8 ? le64(p) : le32(p);
}

/*
 * Whether a table of at least min bytes starts at off and its length
 * field keeps it inside the blob (and past the RSDP slot). The length
 * goes to *tlen.
 */
static bool table_ok(const struct walk *w, uint64_t off, size_t min,
		     uint32_t *tlen)
{
	if (off < ACPI_LOADER_RSDP_LEN || off > w->len || w->len - off < min)
		return false;
	*tlen = le32(w->t + off + 4);
	return *tlen >= min && *tlen <= w->len - off;
}

/* Remember that the table at off gets its checksum fixed (once). */
static int want_sum(struct walk *w, size_t off)
{
	unsigned int i;

	for (i = 0; i < w->nsums; i++)
		if (w->sums[i] == off)
			return 0;
	if (w->nsums == MAX_TABLES)
		return -ENOSPC;
	w->sums[w->nsums++] = off;
	return 0;
}

/* The FADT at off: its DSDT and FACS pointers. 0 or -errno. */
static int walk_fadt(struct walk *w, size_t off, uint32_t flen)
{
	unsigned int i;
	uint32_t tlen;
	uint64_t to;
	int r = 0;

	for (i = 0; !r && i < sizeof(fadt_ptrs) / sizeof(fadt_ptrs[0]); i++) {
		if (fadt_ptrs[i].off + fadt_ptrs[i].size > flen)
			continue;
		to = get_ptr(w->t + off + fadt_ptrs[i].off, fadt_ptrs[i].size);
		if (!to)
			continue;
		if (!table_ok(w, to, fadt_ptrs[i].dsdt ? HDR_LEN : FACS_MIN_LEN,
			      &tlen))
			return -EINVAL;
		r = add_pointer(w->l, ACPI_LOADER_TABLES, ACPI_LOADER_TABLES,
				off + fadt_ptrs[i].off, fadt_ptrs[i].size);
		if (!r && fadt_ptrs[i].dsdt)
			r = want_sum(w, to);
	}
	return r;
}

/* The XSDT at off and every table it lists. 0 or -errno. */
static int walk_xsdt(struct walk *w, size_t off)
{
	uint32_t xlen, tlen;
	size_t e;
	uint64_t to;
	int r;

	if (!table_ok(w, off, HDR_LEN, &xlen) || (xlen - HDR_LEN) % 8)
		return -EINVAL;
	r = want_sum(w, off);
	for (e = off + HDR_LEN; !r && e < off + xlen; e += 8) {
		to = le64(w->t + e);
		if (!table_ok(w, to, HDR_LEN, &tlen))
			return -EINVAL;
		r = add_pointer(w->l, ACPI_LOADER_TABLES, ACPI_LOADER_TABLES, e,
				8);
		if (!r)
			r = want_sum(w, to);
		if (!r && !memcmp(w->t + to, "FACP", 4))
			r = walk_fadt(w, to, tlen);
	}
	return r;
}

/* The checksum commands, after every pointer is patched. */
static int add_sums(struct walk *w)
{
	struct acpi_loader *l = w->l;
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < w->nsums; i++) {
		size_t off = w->sums[i];

		w->t[off + HDR_CHECKSUM] = 0;
		r = add_checksum(l, ACPI_LOADER_TABLES, off + HDR_CHECKSUM, off,
				 le32(w->t + off + 4));
	}
	l->rsdp[RSDP_V1_CHECKSUM] = 0;
	l->rsdp[RSDP_CHECKSUM] = 0;
	if (!r)
		r = add_checksum(l, ACPI_LOADER_RSDP, RSDP_V1_CHECKSUM, 0,
				 RSDP_V1_LEN);
	if (!r)
		r = add_checksum(l, ACPI_LOADER_RSDP, RSDP_CHECKSUM, 0,
				 ACPI_LOADER_RSDP_LEN);
	return r;
}

int acpi_loader_build(struct acpi_loader *l, uint8_t *tables, size_t len)
{
	struct walk w = { .l = l, .t = tables, .len = len };
	int r;

	l->n = 0;
	if (len < ACPI_LOADER_RSDP_LEN || memcmp(tables, "RSD PTR ", 8))
		return -EINVAL;
	memcpy(l->rsdp, tables, ACPI_LOADER_RSDP_LEN);
	memset(tables, 0, ACPI_LOADER_RSDP_LEN);
	r = allocate(l, ACPI_LOADER_TABLES, 64, ACPI_LOADER_ZONE_HIGH);
	if (!r)
		r = allocate(l, ACPI_LOADER_RSDP, 16, ACPI_LOADER_ZONE_FSEG);
	if (!r)
		r = add_pointer(l, ACPI_LOADER_RSDP, ACPI_LOADER_TABLES,
				RSDP_XSDT, 8);
	if (!r && le32(l->rsdp + RSDP_RSDT))
		return -EINVAL; /* acpi_build makes no RSDT */
	if (!r)
		r = walk_xsdt(&w, le64(l->rsdp + RSDP_XSDT));
	if (!r)
		r = add_sums(&w);
	return r;
}
