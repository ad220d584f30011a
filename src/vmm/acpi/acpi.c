// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ACPI tables for a firmware-less guest, laid out from the ACPI 6.x
 * specification, chapter 5.2 (RSDP, XSDT, FADT, MADT) and the PCI Firmware
 * specification (MCFG):
 *
 *   gpa + 0   RSDP (revision 2)
 *   then, each 16-byte aligned: XSDT, FADT, MADT, MCFG (with PCI), DSDT
 *   and with fixed_hw a 64-byte aligned FACS
 *
 * The XSDT lists FADT, MADT and MCFG; the FADT points at the DSDT (and FACS).
 */
#include "vmm/acpi/acpi.h"

#include <errno.h>
#include <string.h>

#include "vmm/acpi/aml.h"
#include "vmm/acpi/dsdt.h"

#define TABLE_ALIGN 16
#define HDR_LEN 36
#define OEM_ID "WIRT  "
#define OEM_TABLE_ID "WIRTVMM "
#define OEM_REVISION 1
#define CREATOR_ID "WIRT"
#define CREATOR_REVISION 1

#define RSDP_LEN 36
#define RSDP_V1_LEN 20
#define FADT_LEN 276
#define MADT_LEN_FIXED (HDR_LEN + 8)
#define MCFG_LEN (HDR_LEN + 8 + 16)
#define FACS_LEN 64
#define FACS_ALIGN 64

/* FADT fields (offsets from the table start) */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_SCI_INT 46
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM_TMR_BLK 76
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_PM_TMR_LEN 91
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL_REG 244
#define FADT_SLEEP_STATUS_REG 256
#define FADT_HYPERVISOR_ID 268

#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)
#define BOOT_ARCH_CMOS_RTC_NOT_PRESENT (1u << 5)

#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PWR_BUTTON (1u << 4) /* power button is a device, not fixed */
#define FADT_F_SLP_BUTTON (1u << 5) /* no fixed sleep button */
#define FADT_F_TMR_VAL_EXT (1u << 8) /* the PM timer counts 32 bits */
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_HW_REDUCED_ACPI (1u << 20)

#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

/* MADT */
#define MADT_PCAT_COMPAT 1u
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_LAPIC_NMI 4
#define MADT_LAPIC_LEN 8
#define MADT_IOAPIC_LEN 12
#define MADT_ISO_LEN 10
#define MADT_LAPIC_NMI_LEN 6
#define MADT_LAPIC_ENABLED 1u
#define MADT_ALL_PROCESSORS 0xff
#define PIT_ISA_IRQ 0
#define PIT_GSI 2

/* The fixed platform MMIO ranges no PCI window may cover. */
#define PLATFORM_MMIO_START ACPI_IOAPIC_ADDR
#define PLATFORM_MMIO_END 0xff000000ULL /* past the local APIC page */

#define ECAM_BUS_SIZE (1ULL << 20)
#define FOUR_GIB (1ULL << 32)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v & 0xffffffffu);
	put32(p + 4, v >> 32);
}

/* The byte that makes the sum of p[0..n) zero, given that it is zero now. */
static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return -sum;
}

/* Fill the common 36-byte header; the checksum is set by table_finish(). */
static void table_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	t[9] = 0;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put32(t + 24, OEM_REVISION);
	memcpy(t + 28, CREATOR_ID, 4);
	put32(t + 32, CREATOR_REVISION);
}

static void table_finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = checksum(t, len);
}

/* A Generic Address Structure for an 8-bit register in System I/O space. */
static void gas_io8(uint8_t *p, uint16_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = 8; /* register bit width */
	p[2] = 0; /* bit offset */
	p[3] = GAS_ACCESS_BYTE;
	put64(p + 4, port);
}

/* Where the tables go: buf is seen by the guest at gpa. */
struct placer {
	uint8_t *buf;
	size_t size;
	size_t next; /* first free offset */
	uint64_t gpa;
};

/*
 * Reserve len zeroed bytes at the next guest address that is a multiple of
 * align (a power of two; the padding before them is zeroed as well).
 * Returns their offset in buf, or -ENOSPC.
 */
static long place_aligned(struct placer *pl, size_t len, size_t align)
{
	uint64_t at = pl->gpa + pl->next;
	size_t off = pl->next + ((align - (at & (align - 1))) & (align - 1));

	if (off < pl->next || off > pl->size || len > pl->size - off)
		return -ENOSPC;
	/* zero the padding too: the output depends on cfg only */
	memset(pl->buf + pl->next, 0, off - pl->next + len);
	pl->next = off + len;
	return off;
}

/* place_aligned() at the next TABLE_ALIGN boundary. */
static long place(struct placer *pl, size_t len)
{
	return place_aligned(pl, len, TABLE_ALIGN);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/*
 * Check the PCI part of cfg and fill in its defaults.
 * Returns 0 or -EINVAL.
 */
static int resolve_pci(struct acpi_config *c)
{
	uint64_t ecam_size = ((uint64_t)c->pci_bus_end + 1) * ECAM_BUS_SIZE;
	uint64_t fixed_len = PLATFORM_MMIO_END - PLATFORM_MMIO_START;

	if (c->pci_ecam_base % ECAM_BUS_SIZE ||
	    c->pci_ecam_base > UINT64_MAX - ecam_size)
		return -EINVAL;
	if (!c->pci_mmio32_size) {
		c->pci_mmio32_base = ACPI_PCI_MMIO32_DEFAULT_BASE;
		c->pci_mmio32_size = ACPI_PCI_MMIO32_DEFAULT_SIZE;
	}
	if (!c->pci_mmio32_base || c->pci_mmio32_base >= FOUR_GIB ||
	    c->pci_mmio32_size > FOUR_GIB - c->pci_mmio32_base)
		return -EINVAL;
	if (c->pci_mmio64_size &&
	    c->pci_mmio64_base > UINT64_MAX - c->pci_mmio64_size)
		return -EINVAL;
	if (ranges_overlap(c->pci_ecam_base, ecam_size, c->pci_mmio32_base,
			   c->pci_mmio32_size) ||
	    ranges_overlap(c->pci_ecam_base, ecam_size, c->pci_mmio64_base,
			   c->pci_mmio64_size) ||
	    ranges_overlap(c->pci_mmio32_base, c->pci_mmio32_size,
			   c->pci_mmio64_base, c->pci_mmio64_size))
		return -EINVAL;
	if (ranges_overlap(PLATFORM_MMIO_START, fixed_len, c->pci_ecam_base,
			   ecam_size) ||
	    ranges_overlap(PLATFORM_MMIO_START, fixed_len, c->pci_mmio32_base,
			   c->pci_mmio32_size) ||
	    ranges_overlap(PLATFORM_MMIO_START, fixed_len, c->pci_mmio64_base,
			   c->pci_mmio64_size))
		return -EINVAL;
	return 0;
}

/* Validate cfg into *c with defaults filled in. Returns 0 or -EINVAL. */
static int resolve_config(const struct acpi_config *cfg, struct acpi_config *c)
{
	*c = *cfg;
	if (!c->ncpus || c->ncpus > 255 || c->ioapic_id > 255)
		return -EINVAL;
	if (!c->pci_ecam_base)
		return 0;
	return resolve_pci(c);
}

static void build_rsdp(uint8_t *p, uint64_t xsdt_gpa)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, OEM_ID, 6);
	p[15] = 2; /* revision: ACPI 2.0+, XSDT present */
	put32(p + 16, 0); /* no RSDT */
	put32(p + 20, RSDP_LEN);
	put64(p + 24, xsdt_gpa);
	p[8] = checksum(p, RSDP_V1_LEN);
	p[32] = checksum(p, RSDP_LEN);
}

static void build_xsdt(uint8_t *t, const uint64_t *entries, unsigned int n)
{
	uint32_t len = HDR_LEN + 8 * n;
	unsigned int i;

	table_header(t, "XSDT", len, 1);
	for (i = 0; i < n; i++)
		put64(t + HDR_LEN + 8 * i, entries[i]);
	table_finish(t, len);
}

/*
 * The fixed-hardware part of the FADT: SCI, PM1a blocks and PM timer
 * (legacy 32-bit fields; ACPICA derives the extended ones) and the FACS.
 */
static void fadt_fixed_hw(uint8_t *t, uint64_t facs_gpa)
{
	put16(t + FADT_SCI_INT, ACPI_SCI_IRQ);
	/* SMI_CMD stays zero: the platform is always in ACPI mode */
	put32(t + FADT_PM1A_EVT_BLK, ACPI_PM1_EVT_PORT);
	put32(t + FADT_PM1A_CNT_BLK, ACPI_PM1_CNT_PORT);
	t[FADT_PM1_EVT_LEN] = ACPI_PM1_EVT_LEN;
	t[FADT_PM1_CNT_LEN] = ACPI_PM1_CNT_LEN;
	put32(t + FADT_PM_TMR_BLK, ACPI_PM_TMR_PORT);
	t[FADT_PM_TMR_LEN] = ACPI_PM_TMR_LEN;
	if (facs_gpa < FOUR_GIB)
		put32(t + FADT_FIRMWARE_CTRL, facs_gpa);
	put64(t + FADT_X_FIRMWARE_CTRL, facs_gpa);
}

static void build_fadt(uint8_t *t, uint64_t dsdt_gpa, uint64_t facs_gpa,
		       const struct acpi_config *c)
{
	/*
	 * No 8042 flag: wirt-vmm's i8042 only takes the reset command, and
	 * with the flag Linux spends seconds probing for a keyboard.
	 */
	uint16_t boot_arch =
		BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT;
	uint32_t flags = FADT_F_WBINVD | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON |
			 FADT_F_RESET_REG_SUP;

	if (!c->cmos_rtc)
		boot_arch |= BOOT_ARCH_CMOS_RTC_NOT_PRESENT;
	table_header(t, "FACP", FADT_LEN, 6);
	if (dsdt_gpa < FOUR_GIB)
		put32(t + FADT_DSDT, dsdt_gpa);
	if (c->fixed_hw) {
		fadt_fixed_hw(t, facs_gpa);
		flags |= FADT_F_TMR_VAL_EXT;
	} else {
		flags |= FADT_F_HW_REDUCED_ACPI; /* no SCI, no PM1 blocks */
	}
	put16(t + FADT_IAPC_BOOT_ARCH, boot_arch);
	put32(t + FADT_FLAGS, flags);
	gas_io8(t + FADT_RESET_REG, ACPI_RESET_PORT);
	t[FADT_RESET_VALUE] = ACPI_RESET_VALUE;
	t[FADT_MINOR_VERSION] = 0; /* ACPI 6.0 */
	put64(t + FADT_X_DSDT, dsdt_gpa);
	gas_io8(t + FADT_SLEEP_CONTROL_REG, ACPI_SLEEP_CTL_PORT);
	gas_io8(t + FADT_SLEEP_STATUS_REG, ACPI_SLEEP_STS_PORT);
	memcpy(t + FADT_HYPERVISOR_ID, "WIRTVMM", 8);
	table_finish(t, FADT_LEN);
}

/* FACS (no checksum): signature, length, version 2, nothing else. */
static void build_facs(uint8_t *t)
{
	memcpy(t, "FACS", 4);
	put32(t + 4, FACS_LEN);
	t[32] = 2; /* version */
}

static uint32_t madt_len(unsigned int ncpus)
{
	return MADT_LEN_FIXED + ncpus * MADT_LAPIC_LEN + MADT_IOAPIC_LEN +
	       MADT_ISO_LEN + MADT_LAPIC_NMI_LEN;
}

static void build_madt(uint8_t *t, const struct acpi_config *c)
{
	uint32_t len = madt_len(c->ncpus);
	uint8_t *e = t + MADT_LEN_FIXED;
	unsigned int i;

	table_header(t, "APIC", len, 4);
	put32(t + HDR_LEN, ACPI_LAPIC_ADDR);
	put32(t + HDR_LEN + 4, MADT_PCAT_COMPAT);
	for (i = 0; i < c->ncpus; i++, e += MADT_LAPIC_LEN) {
		e[0] = MADT_LAPIC;
		e[1] = MADT_LAPIC_LEN;
		e[2] = i; /* ACPI processor UID, matches the DSDT's _UID */
		e[3] = i; /* APIC id */
		put32(e + 4, MADT_LAPIC_ENABLED);
	}
	e[0] = MADT_IOAPIC;
	e[1] = MADT_IOAPIC_LEN;
	e[2] = c->ioapic_id;
	put32(e + 4, ACPI_IOAPIC_ADDR);
	put32(e + 8, 0); /* GSI base */
	e += MADT_IOAPIC_LEN;

	e[0] = MADT_ISO;
	e[1] = MADT_ISO_LEN;
	e[2] = 0; /* ISA */
	e[3] = PIT_ISA_IRQ;
	put32(e + 4, PIT_GSI);
	put16(e + 8, 0); /* polarity and trigger conform to the bus */
	e += MADT_ISO_LEN;

	e[0] = MADT_LAPIC_NMI;
	e[1] = MADT_LAPIC_NMI_LEN;
	e[2] = MADT_ALL_PROCESSORS;
	put16(e + 3, 0);
	e[5] = 1; /* LINT1 */
	table_finish(t, len);
}

static void build_mcfg(uint8_t *t, const struct acpi_config *c)
{
	uint8_t *e = t + HDR_LEN + 8;

	table_header(t, "MCFG", MCFG_LEN, 1);
	put64(e, c->pci_ecam_base);
	put16(e + 8, 0); /* segment */
	e[10] = 0; /* start bus */
	e[11] = c->pci_bus_end;
	table_finish(t, MCFG_LEN);
}

/*
 * Build the DSDT at the next free place: header, then AML up to the end
 * of buf. Returns its offset, or -ENOSPC / -EINVAL.
 */
static long build_dsdt(struct placer *pl, const struct acpi_config *c)
{
	long off = place(pl, HDR_LEN);
	struct aml a;
	uint32_t len;
	int r;

	if (off < 0)
		return off;
	aml_init(&a, pl->buf + pl->next, pl->size - pl->next);
	r = dsdt_aml(&a, c);
	if (r < 0)
		return r;
	if (a.len > UINT32_MAX - HDR_LEN)
		return -EINVAL;
	len = HDR_LEN + a.len;
	pl->next += a.len;
	/* revision 2: integers are 64 bits wide */
	table_header(pl->buf + off, "DSDT", len, 2);
	table_finish(pl->buf + off, len);
	return off;
}

long acpi_build(uint8_t *buf, size_t buf_size, uint64_t gpa,
		const struct acpi_config *cfg)
{
	struct placer pl = { buf, buf_size, 0, gpa };
	long rsdp, xsdt, fadt, madt, mcfg = 0, dsdt, facs = -1;
	struct acpi_config c;
	uint64_t entries[3];
	unsigned int n = 0;
	int r;

	r = resolve_config(cfg, &c);
	if (r < 0)
		return r;
	if (gpa % TABLE_ALIGN || gpa > UINT64_MAX - buf_size)
		return -EINVAL;

	rsdp = place(&pl, RSDP_LEN);
	xsdt = place(&pl, HDR_LEN + 8 * (c.pci_ecam_base ? 3 : 2));
	fadt = place(&pl, FADT_LEN);
	madt = place(&pl, madt_len(c.ncpus));
	if (c.pci_ecam_base)
		mcfg = place(&pl, MCFG_LEN);
	if (rsdp < 0 || xsdt < 0 || fadt < 0 || madt < 0 || mcfg < 0)
		return -ENOSPC;
	dsdt = build_dsdt(&pl, &c);
	if (dsdt < 0)
		return dsdt;

	if (c.fixed_hw) {
		facs = place_aligned(&pl, FACS_LEN, FACS_ALIGN);
		if (facs < 0)
			return facs;
		build_facs(buf + facs);
	}
	build_fadt(buf + fadt, gpa + dsdt, facs < 0 ? 0 : gpa + facs, &c);
	build_madt(buf + madt, &c);
	entries[n++] = gpa + fadt;
	entries[n++] = gpa + madt;
	if (c.pci_ecam_base) {
		build_mcfg(buf + mcfg, &c);
		entries[n++] = gpa + mcfg;
	}
	build_xsdt(buf + xsdt, entries, n);
	build_rsdp(buf + rsdp, gpa + xsdt);
	return pl.next;
}
