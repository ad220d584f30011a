// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ACPI table-loader script (src/vmm/firmware/acpi-loader.c), run the
 * way SeaBIOS and OVMF run it: blobs allocated at chosen addresses,
 * pointers patched, checksums recomputed (both firmware conventions).
 * The result must equal the tables acpi_build lays out directly at the
 * address the tables blob got, byte for byte, and the RSDP likewise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/acpi/acpi.h"
#include "vmm/boot/le.h"
#include "vmm/firmware/acpi-loader.h"

#define ROOM 0x20000
#define NAME 56

struct blob {
	const char *name;
	uint8_t *data;
	size_t len;
	uint64_t addr;
};

static struct blob *find(struct blob *b, const uint8_t *name)
{
	int i;

	for (i = 0; i < 2; i++)
		if (!strncmp(b[i].name, (const char *)name, NAME))
			return &b[i];
	fail_msg("the script names an unknown blob '%.56s'", name);
	return NULL;
}

/* Run the script over blobs; ovmf: checksum byte = -sum, else -= sum. */
static void run_script(const struct acpi_loader *l, struct blob *b, bool ovmf,
		       uint32_t *tables_align)
{
	unsigned int i, k, nalloc = 0;

	for (i = 0; i < l->n; i++) {
		const uint8_t *c = l->cmd[i];
		struct blob *d = find(b, c + 4);
		uint32_t off, start, len;
		uint8_t sum = 0;
		uint64_t v;

		switch (le32(c)) {
		case ACPI_LOADER_ALLOCATE:
			assert_int_equal(nalloc++, i); /* allocations first */
			if (d == &b[0])
				*tables_align = le32(c + 4 + NAME);
			break;
		case ACPI_LOADER_ADD_POINTER: {
			struct blob *s = find(b, c + 4 + NAME);
			uint8_t size = c[4 + 2 * NAME + 4];

			off = le32(c + 4 + 2 * NAME);
			assert_true(size == 4 || size == 8);
			assert_true(off + size <= d->len);
			v = size == 8 ? le64(d->data + off) :
					le32(d->data + off);
			assert_true(v < s->len); /* an offset into the source */
			v += s->addr;
			if (size == 8)
				put_le64(d->data + off, v);
			else
				put_le32(d->data + off, (uint32_t)v);
			break;
		}
		case ACPI_LOADER_ADD_CHECKSUM:
			off = le32(c + 4 + NAME);
			start = le32(c + 4 + NAME + 4);
			len = le32(c + 4 + NAME + 8);
			assert_true(start + len <= d->len && off < d->len);
			for (k = 0; k < len; k++)
				sum += d->data[start + k];
			if (ovmf)
				d->data[off] = (uint8_t)-sum;
			else
				d->data[off] -= sum;
			break;
		default:
			fail_msg("unknown command %u", le32(c));
		}
	}
}

/* Build, script, run, compare with a direct build at the same address. */
static void check(const struct acpi_config *c, bool ovmf)
{
	uint8_t *t = calloc(1, ROOM), *direct = calloc(1, ROOM);
	struct acpi_loader l;
	struct blob b[2];
	uint64_t at = 0x7ffc0000; /* where the firmware put the tables */
	uint32_t align = 0;
	long n, m;

	assert_non_null(t);
	assert_non_null(direct);
	n = acpi_build(t, ROOM, 0, c);
	assert_true(n > 0);
	assert_int_equal(acpi_loader_build(&l, t, n), 0);
	b[0] = (struct blob){ ACPI_LOADER_TABLES, t, n, at };
	b[1] = (struct blob){ ACPI_LOADER_RSDP, l.rsdp, sizeof(l.rsdp),
			      0xf5a40 };
	run_script(&l, b, ovmf, &align);
	assert_int_equal(align, 64); /* the FACS needs 64 */

	m = acpi_build(direct, ROOM, at, c);
	assert_int_equal(m, n);
	/* the RSDP moved to its own blob: its slot is zeros */
	for (int i = 0; i < ACPI_LOADER_RSDP_LEN; i++)
		assert_int_equal(t[i], 0);
	assert_memory_equal(t + ACPI_LOADER_RSDP_LEN,
			    direct + ACPI_LOADER_RSDP_LEN,
			    n - ACPI_LOADER_RSDP_LEN);
	assert_memory_equal(l.rsdp, direct, ACPI_LOADER_RSDP_LEN);
	free(t);
	free(direct);
}

static void test_firmware_tables(void **state)
{
	struct acpi_config c = { .ncpus = 4,
				 .ioapic_id = 4,
				 .cmos_rtc = true,
				 .fixed_hw = true,
				 .pci_ecam_base = 0xe0000000ULL,
				 .pci_bus_end = 0 };

	(void)state;
	check(&c, false); /* SeaBIOS */
	check(&c, true); /* OVMF */
}

static void test_reduced_tables(void **state)
{
	struct acpi_config c = { .ncpus = 1, .ioapic_id = 1 };

	(void)state;
	check(&c, false);
	check(&c, true);
}

/* Pointers that leave the blob and a missing RSDP are refused. */
static void test_bad_tables(void **state)
{
	struct acpi_config c = { .ncpus = 1, .ioapic_id = 1 };
	uint8_t *t = calloc(1, ROOM);
	struct acpi_loader l;
	long n;

	(void)state;
	assert_non_null(t);
	assert_int_equal(acpi_loader_build(&l, t, 64), -EINVAL); /* no RSDP */
	n = acpi_build(t, ROOM, 0, &c);
	assert_true(n > 0);
	put_le64(t + 24, n); /* the XSDT past the end */
	assert_int_equal(acpi_loader_build(&l, t, n), -EINVAL);
	n = acpi_build(t, ROOM, 0, &c);
	put_le32(t + le64(t + 24) + 4, ROOM); /* an XSDT longer than all */
	assert_int_equal(acpi_loader_build(&l, t, n), -EINVAL);
	n = acpi_build(t, ROOM, 0, &c);
	put_le64(t + le64(t + 24) + 36, 8); /* an entry in the RSDP slot */
	assert_int_equal(acpi_loader_build(&l, t, n), -EINVAL);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firmware_tables),
		cmocka_unit_test(test_reduced_tables),
		cmocka_unit_test(test_bad_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
