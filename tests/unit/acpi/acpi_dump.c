// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi_dump - build wirt's ACPI tables and write each one to a file, found
 * by following the pointers from the RSDP as a guest would, so that
 * iasl -d can disassemble them (see iasl_check.sh).
 *
 * Usage: acpi_dump OUTDIR NCPUS [pci]
 * Writes OUTDIR/rsdp.dat and OUTDIR/<signature in lower case>.dat for
 * every table reachable from the XSDT, plus dsdt.dat. Exits 1 on error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/acpi/acpi.h"

#define GPA 0xe0000ULL
#define BUF_SIZE 0x20000

static uint8_t buf[BUF_SIZE];

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Write len bytes at gpa to dir/name. Returns 0 or -1 (message printed). */
static int dump(const char *dir, const char *name, uint64_t gpa, uint64_t len,
		long used)
{
	char path[4096];
	int fd, r = -1;

	if (gpa < GPA || gpa - GPA > (uint64_t)used ||
	    len > (uint64_t)used - (gpa - GPA)) {
		fprintf(stderr,
			"acpi_dump: table %s at 0x%llx len %llu lies "
			"outside the %ld bytes built\n",
			name, (unsigned long long)gpa, (unsigned long long)len,
			used);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && write_full(fd, buf + (gpa - GPA), len) == (ssize_t)len)
		r = 0;
	if (r)
		fprintf(stderr, "acpi_dump: cannot write %s: %s\n", path,
			strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

/* Dump the table at gpa under its lower-cased signature. */
static int dump_table(const char *dir, uint64_t gpa, long used)
{
	char name[5];
	const uint8_t *t;
	int i;

	if (gpa < GPA || gpa - GPA + 36 > (uint64_t)used)
		return dump(dir, "bad", gpa, 36, used);
	t = buf + (gpa - GPA);
	for (i = 0; i < 4; i++)
		name[i] = (t[i] >= 'A' && t[i] <= 'Z') ? t[i] - 'A' + 'a' : '_';
	name[4] = 0;
	return dump(dir, name, gpa, get32(t + 4), used);
}

int main(int argc, char **argv)
{
	struct acpi_config cfg = { 0 };
	uint64_t xsdt, fadt, dsdt;
	uint32_t xlen, i;
	long used;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: acpi_dump OUTDIR NCPUS [pci]\n");
		return 1;
	}
	cfg.ncpus = strtoul(argv[2], NULL, 0);
	cfg.ioapic_id = cfg.ncpus;
	if (argc == 4 && !strcmp(argv[3], "pci")) {
		cfg.pci_ecam_base = 0xe0000000ULL;
		cfg.pci_bus_end = 255;
		cfg.pci_mmio64_base = 0x8000000000ULL;
		cfg.pci_mmio64_size = 0x4000000000ULL;
	}
	used = acpi_build(buf, sizeof(buf), GPA, &cfg);
	if (used < 0) {
		fprintf(stderr, "acpi_dump: acpi_build: %s\n", strerror(-used));
		return 1;
	}
	if (dump(argv[1], "rsdp", GPA, 36, used))
		return 1;
	xsdt = get64(buf + 24);
	if (dump_table(argv[1], xsdt, used))
		return 1;
	xlen = get32(buf + (xsdt - GPA) + 4);
	for (i = 36; i + 8 <= xlen; i += 8) {
		uint64_t t = get64(buf + (xsdt - GPA) + i);

		if (dump_table(argv[1], t, used))
			return 1;
		if (!memcmp(buf + (t - GPA), "FACP", 4)) {
			fadt = t;
			dsdt = get64(buf + (fadt - GPA) + 140);
			if (dump_table(argv[1], dsdt, used))
				return 1;
		}
	}
	printf("acpi_dump: %ld bytes of tables for %u CPUs%s\n", used,
	       cfg.ncpus, cfg.pci_ecam_base ? " with PCI" : "");
	return 0;
}
