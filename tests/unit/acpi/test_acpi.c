// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for acpi_build(): the tables are parsed back the way a guest
 * finds them, from the RSDP through guest physical addresses.
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
#include "vmm/acpi/aml.h"

#define GPA 0xe0000ULL
#define BUF_SIZE 0x20000
#define HDR_LEN 36

struct built {
	uint8_t *buf;
	long used;
	const uint8_t *fadt, *madt, *mcfg, *dsdt;
	unsigned int ntables;
};

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* Translate a table's gpa into buf, checking it lies in the used bytes. */
static const uint8_t *at_gpa(const struct built *b, uint64_t gpa, uint64_t len)
{
	assert_true(gpa >= GPA);
	assert_true(gpa - GPA <= (uint64_t)b->used);
	assert_true(len <= (uint64_t)b->used - (gpa - GPA));
	return b->buf + (gpa - GPA);
}

/* Check a system description table at gpa and return a pointer to it. */
static const uint8_t *check_table(const struct built *b, uint64_t gpa)
{
	const uint8_t *t = at_gpa(b, gpa, HDR_LEN);
	uint32_t len = get32(t + 4);

	assert_true(len >= HDR_LEN);
	at_gpa(b, gpa, len);
	assert_int_equal(gpa % 8, 0);
	assert_int_equal(sum(t, len), 0);
	assert_memory_equal(t + 10, "WIRT  ", 6);
	assert_memory_equal(t + 16, "WIRTVMM ", 8);
	return t;
}

/* Build for cfg into a fresh buffer and find every table from the RSDP. */
static void build(const struct acpi_config *cfg, struct built *b)
{
	const uint8_t *rsdp, *xsdt, *t;
	uint32_t xlen, i;

	memset(b, 0, sizeof(*b));
	b->buf = malloc(BUF_SIZE);
	assert_non_null(b->buf);
	memset(b->buf, 0xa5, BUF_SIZE);
	b->used = acpi_build(b->buf, BUF_SIZE, GPA, cfg);
	assert_true(b->used > 0 && b->used <= BUF_SIZE);

	rsdp = b->buf;
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(get32(rsdp + 20), 36);
	assert_int_equal(sum(rsdp, 36), 0);
	assert_memory_equal(rsdp + 9, "WIRT  ", 6);

	xsdt = check_table(b, get64(rsdp + 24));
	assert_memory_equal(xsdt, "XSDT", 4);
	xlen = get32(xsdt + 4);
	assert_int_equal((xlen - HDR_LEN) % 8, 0);
	for (i = HDR_LEN; i < xlen; i += 8) {
		t = check_table(b, get64(xsdt + i));
		b->ntables++;
		if (!memcmp(t, "FACP", 4)) {
			assert_null(b->fadt);
			b->fadt = t;
		} else if (!memcmp(t, "APIC", 4)) {
			assert_null(b->madt);
			b->madt = t;
		} else if (!memcmp(t, "MCFG", 4)) {
			assert_null(b->mcfg);
			b->mcfg = t;
		} else {
			fail_msg("unexpected table %.4s in the XSDT", t);
		}
	}
	assert_non_null(b->fadt);
	assert_non_null(b->madt);
	b->dsdt = check_table(b, get64(b->fadt + 140));
	assert_memory_equal(b->dsdt, "DSDT", 4);
	assert_int_equal(b->dsdt[8], 2);
	/* nothing past the returned size was touched */
	for (i = b->used; i < BUF_SIZE; i++)
		assert_int_equal(b->buf[i], 0xa5);
}

/* Count occurrences of needle in the DSDT's AML. */
static unsigned int aml_count(const struct built *b, const void *needle,
			      size_t n)
{
	uint32_t len = get32(b->dsdt + 4);
	unsigned int c = 0;
	uint32_t i;

	for (i = HDR_LEN; i + n <= len; i++)
		c += !memcmp(b->dsdt + i, needle, n);
	return c;
}

static void check_gas_io8(const uint8_t *g, uint16_t port)
{
	assert_int_equal(g[0], 1); /* System I/O */
	assert_int_equal(g[1], 8);
	assert_int_equal(g[2], 0);
	assert_int_equal(g[3], 1); /* byte access */
	assert_int_equal(get64(g + 4), port);
}

static void check_fadt(const struct built *b, bool rtc)
{
	const uint8_t *f = b->fadt;
	uint32_t flags = get32(f + 112);
	uint16_t arch = get16(f + 109);
	uint64_t dsdt_gpa = GPA + (b->dsdt - b->buf);

	assert_int_equal(get32(f + 4), 276);
	assert_int_equal(f[8], 6);
	assert_true(flags & (1u << 20)); /* HW_REDUCED_ACPI */
	assert_true(flags & (1u << 10)); /* RESET_REG_SUP */
	assert_true(flags & (1u << 4)); /* power button is a device */
	assert_int_equal(get16(f + 46), 0); /* SCI_INT */
	assert_false(arch & (1u << 1)); /* no 8042: Linux must not probe */
	assert_true(arch & (1u << 2)); /* VGA not present */
	assert_false(arch & (1u << 3)); /* MSI must stay enabled */
	assert_int_equal(!!(arch & (1u << 5)), !rtc); /* CMOS RTC absent */
	check_gas_io8(f + 116, ACPI_RESET_PORT);
	assert_int_equal(f[128], ACPI_RESET_VALUE);
	check_gas_io8(f + 244, ACPI_SLEEP_CTL_PORT);
	check_gas_io8(f + 256, ACPI_SLEEP_STS_PORT);
	assert_int_equal(get64(f + 140), dsdt_gpa);
	assert_int_equal(get32(f + 40), dsdt_gpa);
	assert_int_equal(get32(f + 36), 0); /* no FACS */
	assert_int_equal(get64(f + 132), 0);
	assert_memory_equal(f + 268, "WIRTVMM", 8);
}

static void check_madt(const struct built *b, const struct acpi_config *c)
{
	const uint8_t *m = b->madt, *e;
	uint32_t len = get32(m + 4), off;
	unsigned int nlapic = 0, nioapic = 0, niso = 0, nnmi = 0;

	assert_int_equal(get32(m + 36), ACPI_LAPIC_ADDR);
	assert_int_equal(get32(m + 40), 1); /* PCAT_COMPAT */
	for (off = 44; off < len; off += e[1]) {
		e = m + off;
		assert_true(off + 2 <= len);
		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], nlapic); /* UID */
			assert_int_equal(e[3], nlapic); /* APIC id */
			assert_int_equal(get32(e + 4), 1);
			nlapic++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], c->ioapic_id);
			assert_int_equal(get32(e + 4), ACPI_IOAPIC_ADDR);
			assert_int_equal(get32(e + 8), 0);
			nioapic++;
			break;
		case 2:
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0); /* ISA */
			assert_int_equal(e[3], 0); /* IRQ 0 */
			assert_int_equal(get32(e + 4), 2); /* to GSI 2 */
			niso++;
			break;
		case 4:
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);
			assert_int_equal(e[5], 1); /* LINT1 */
			nnmi++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(nlapic, c->ncpus);
	assert_int_equal(nioapic, 1);
	assert_int_equal(niso, 1);
	assert_int_equal(nnmi, 1);
}

static void check_dsdt(const struct built *b, const struct acpi_config *c)
{
	static const uint8_t s5[] = { 0x08,
				      '\\',
				      '_',
				      'S',
				      '5',
				      '_',
				      0x12,
				      0x07,
				      0x04,
				      0x0a,
				      ACPI_SLP_TYP_S5,
				      0x00,
				      0x00,
				      0x00 };
	uint8_t eisa[5] = { AML_DWORD_PREFIX };
	uint32_t pwrb = aml_eisaid("PNP0C0C");

	assert_int_equal(aml_count(b, s5, sizeof(s5)), 1);
	assert_int_equal(aml_count(b, "\x5b\x82", 2) >= 5, true);
	memcpy(eisa + 1, &pwrb, 4); /* little-endian host */
	assert_int_equal(aml_count(b, eisa, 5), 1);
	assert_int_equal(aml_count(b, "PWRB", 4), 2); /* device + Notify */
	assert_int_equal(aml_count(b,
				   "\x0d"
				   "ACPI0013",
				   10),
			 1);
	assert_int_equal(aml_count(b, "_EVT", 4), 1);
	assert_int_equal(aml_count(b, "GEVT", 4), 2);
	assert_int_equal(aml_count(b, "\x86\\\x2e_SB_PWRB\x0a\x80", 13), 1);
	assert_int_equal(aml_count(b, "COM1", 4), 1);
	assert_int_equal(aml_count(b, "MBRS", 4), 1);
	assert_int_equal(aml_count(b,
				   "\x0d"
				   "ACPI0007",
				   10),
			 c->ncpus);
	/* the GED interrupt: edge, active high, consumer, GSI 9 */
	assert_int_equal(
		aml_count(b, "\x89\x06\x00\x03\x01\x09\x00\x00\x00", 9), 1);
	assert_int_equal(aml_count(b, "PCI0", 4), c->pci_ecam_base ? 1 : 0);
	/* Method (_OSC, 4, NotSerialized) */
	assert_int_equal(aml_count(b, "_OSC\x04", 5), c->pci_ecam_base ? 1 : 0);
}

static void check_one(unsigned int ncpus, bool pci)
{
	struct acpi_config c = { .ncpus = ncpus, .ioapic_id = ncpus };
	struct built b;

	if (pci) {
		c.pci_ecam_base = 0xe0000000ULL;
		c.pci_bus_end = 15;
	}
	build(&c, &b);
	assert_int_equal(b.ntables, pci ? 3 : 2);
	check_fadt(&b, false);
	check_madt(&b, &c);
	check_dsdt(&b, &c);
	if (pci) {
		assert_non_null(b.mcfg);
		assert_int_equal(get32(b.mcfg + 4), 60);
		assert_int_equal(get64(b.mcfg + 44), 0xe0000000ULL);
		assert_int_equal(get16(b.mcfg + 52), 0);
		assert_int_equal(b.mcfg[54], 0);
		assert_int_equal(b.mcfg[55], 15);
	} else {
		assert_null(b.mcfg);
	}
	free(b.buf);
}

static void test_cpus_1(void **state)
{
	(void)state;
	check_one(1, false);
	check_one(1, true);
}

static void test_cpus_2(void **state)
{
	(void)state;
	check_one(2, false);
	check_one(2, true);
}

static void test_cpus_4(void **state)
{
	(void)state;
	check_one(4, false);
	check_one(4, true);
}

static void test_cpus_255(void **state)
{
	(void)state;
	check_one(255, false);
	check_one(255, true);
}

static void test_rtc_flag(void **state)
{
	struct acpi_config c = { .ncpus = 1, .ioapic_id = 1, .cmos_rtc = true };
	struct built b;

	(void)state;
	build(&c, &b);
	check_fadt(&b, true);
	free(b.buf);
}

/*
 * fixed_hw (firmware boot): not hardware-reduced, so Linux initialises the
 * 8259 the BIOS left running; SCI, PM1a blocks, PM timer, a 64-byte
 * aligned FACS. The reset and sleep registers stay.
 */
static void test_fixed_hw(void **state)
{
	struct acpi_config c = {
		.ncpus = 1, .ioapic_id = 1, .cmos_rtc = true, .fixed_hw = true
	};
	const uint8_t *f, *facs;
	uint64_t facs_gpa;
	uint32_t flags;
	struct built b;

	(void)state;
	build(&c, &b);
	f = b.fadt;
	flags = get32(f + 112);
	assert_false(flags & (1u << 20)); /* not HW_REDUCED_ACPI */
	assert_true(flags & (1u << 8)); /* 32-bit PM timer */
	assert_true(flags & (1u << 10)); /* RESET_REG_SUP */
	assert_true(flags & (1u << 4)); /* power button is a device */
	assert_int_equal(get16(f + 46), ACPI_SCI_IRQ);
	assert_int_not_equal(ACPI_SCI_IRQ, ACPI_GED_IRQ);
	assert_int_equal(get32(f + 48), 0); /* no SMI_CMD: always ACPI mode */
	assert_int_equal(get32(f + 56), ACPI_PM1_EVT_PORT);
	assert_int_equal(f[88], 4);
	assert_int_equal(get32(f + 64), ACPI_PM1_CNT_PORT);
	assert_int_equal(f[89], 2);
	assert_int_equal(get32(f + 76), ACPI_PM_TMR_PORT);
	assert_int_equal(f[91], 4);
	assert_int_equal(get32(f + 80), 0); /* no GPE0 block */
	check_gas_io8(f + 116, ACPI_RESET_PORT);
	facs_gpa = get32(f + 36);
	assert_int_equal(get64(f + 132), facs_gpa);
	assert_int_equal(facs_gpa % 64, 0);
	facs = at_gpa(&b, facs_gpa, 64);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(get32(facs + 4), 64);
	assert_int_equal(facs[32], 2);
	assert_int_equal(sum(f, get32(f + 4)), 0);
	free(b.buf);
}

/* PCI windows: the defaults, and the 64-bit window when asked for. */
static void test_pci_windows(void **state)
{
	static const uint8_t dword_default[] = { 0x87, 0x17, 0x00, 0x00, 0x0c,
						 0x01, 0,    0,	   0,	 0,
						 0x00, 0x00, 0x00, 0xc0, 0xff,
						 0xff, 0xff, 0xdf };
	static const uint8_t qword_head[] = {
		0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x01
	};
	struct acpi_config c = { .ncpus = 2,
				 .ioapic_id = 2,
				 .pci_ecam_base = 0xb0000000ULL,
				 .pci_bus_end = 255 };
	struct built b;

	(void)state;
	build(&c, &b);
	assert_int_equal(aml_count(&b, dword_default, sizeof(dword_default)),
			 1);
	assert_int_equal(aml_count(&b, qword_head, sizeof(qword_head)), 0);
	free(b.buf);

	c.pci_mmio32_base = 0x80000000ULL;
	c.pci_mmio32_size = 0x10000000ULL;
	c.pci_mmio64_base = 0x8000000000ULL;
	c.pci_mmio64_size = 0x1000000000ULL;
	build(&c, &b);
	assert_int_equal(aml_count(&b, dword_default, sizeof(dword_default)),
			 0);
	assert_int_equal(aml_count(&b, "\x00\x00\x00\x80\xff\xff\xff\x8f", 8),
			 1);
	assert_int_equal(aml_count(&b, qword_head, sizeof(qword_head)), 1);
	free(b.buf);
}

/* Every size below the needed one fails with -ENOSPC and stays in bounds. */
static void check_nospc(unsigned int ncpus, bool pci)
{
	struct acpi_config c = { .ncpus = ncpus, .ioapic_id = ncpus };
	uint8_t *buf = malloc(BUF_SIZE);
	long need, r;
	size_t size, i;

	assert_non_null(buf);
	if (pci)
		c.pci_ecam_base = 0xe0000000ULL;
	need = acpi_build(buf, BUF_SIZE, GPA, &c);
	assert_true(need > 0);
	for (size = 0; size < (size_t)need; size++) {
		memset(buf, 0x5a, need + 64);
		r = acpi_build(buf, size, GPA, &c);
		assert_int_equal(r, -ENOSPC);
		for (i = size; i < (size_t)need + 64; i++)
			assert_int_equal(buf[i], 0x5a);
	}
	assert_int_equal(acpi_build(buf, need, GPA, &c), need);
	free(buf);
}

static void test_nospc(void **state)
{
	(void)state;
	check_nospc(1, false);
	check_nospc(4, true);
	check_nospc(255, true);
}

static void expect_einval(const struct acpi_config *c, uint64_t gpa)
{
	uint8_t *buf = malloc(BUF_SIZE);

	assert_non_null(buf);
	assert_int_equal(acpi_build(buf, BUF_SIZE, gpa, c), -EINVAL);
	free(buf);
}

static void test_einval(void **state)
{
	struct acpi_config ok = { .ncpus = 1, .ioapic_id = 1 };
	struct acpi_config c;

	(void)state;
	c = ok;
	c.ncpus = 0;
	expect_einval(&c, GPA);
	c.ncpus = 256;
	expect_einval(&c, GPA);
	c.ncpus = 100000;
	expect_einval(&c, GPA);
	c = ok;
	c.ioapic_id = 256;
	expect_einval(&c, GPA);
	expect_einval(&ok, GPA + 4); /* RSDP must be 16-byte aligned */
	expect_einval(&ok, UINT64_MAX - 15);

	ok.pci_ecam_base = 0xe0000000ULL;
	c = ok;
	c.pci_ecam_base = 0xe0080000ULL; /* not 1 MiB aligned */
	expect_einval(&c, GPA);
	c = ok;
	c.pci_ecam_base = UINT64_MAX - 0xfffff; /* wraps */
	expect_einval(&c, GPA);
	c = ok;
	c.pci_mmio32_base = 0xdff00000ULL; /* overlaps ECAM */
	c.pci_mmio32_size = 0x00200000ULL;
	expect_einval(&c, GPA);
	c = ok;
	c.pci_mmio32_base = 0xfff00000ULL; /* crosses 4 GiB */
	c.pci_mmio32_size = 0x00200000ULL;
	expect_einval(&c, GPA);
	c = ok;
	c.pci_mmio32_base = 0xf0000000ULL; /* covers the IOAPIC */
	c.pci_mmio32_size = 0x0f000000ULL;
	expect_einval(&c, GPA);
	c = ok;
	c.pci_mmio64_base = 0xd0000000ULL; /* overlaps the 32-bit window */
	c.pci_mmio64_size = 0x100000000ULL;
	expect_einval(&c, GPA);
	c = ok;
	c.pci_mmio64_base = UINT64_MAX - 0xfff; /* wraps */
	c.pci_mmio64_size = 0x2000;
	expect_einval(&c, GPA);
}

/* The same config gives the same bytes (no stale buffer content leaks). */
static void test_deterministic(void **state)
{
	struct acpi_config c = { .ncpus = 4, .ioapic_id = 4 };
	uint8_t *a = malloc(BUF_SIZE), *b = malloc(BUF_SIZE);
	long na, nb;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	memset(a, 0x00, BUF_SIZE);
	memset(b, 0xff, BUF_SIZE);
	na = acpi_build(a, BUF_SIZE, GPA, &c);
	nb = acpi_build(b, BUF_SIZE, GPA, &c);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	/* every byte, padding included, is written by the builder */
	assert_memory_equal(a, b, na);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpus_1),
		cmocka_unit_test(test_cpus_2),
		cmocka_unit_test(test_cpus_4),
		cmocka_unit_test(test_cpus_255),
		cmocka_unit_test(test_rtc_flag),
		cmocka_unit_test(test_fixed_hw),
		cmocka_unit_test(test_pci_windows),
		cmocka_unit_test(test_nospc),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
