// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the AHCI controller (vmm/sata/ahci.c, ahci-cmd.c) on a
 * fake guest memory and an image file: registers, IDENTIFY PACKET
 * DEVICE, READ(10) through a scattered PRDT, and hostile command lists
 * (addresses outside guest memory) failing the command cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/boot/le.h"
#include "vmm/sata/ahci.h"

#define MEM_SIZE (1u << 20)
#define CLB 0x1000
#define FB 0x2000
#define CTBA 0x3000
#define BLOCKS 20

static uint8_t *ram;
static struct gmem mem;
static int irqs;
static int iso_fd;

static void count_irq(void *opaque)
{
	(void)opaque;
	irqs++;
}

static uint32_t rd(struct ahci *h, unsigned int off)
{
	uint8_t d[4];

	ahci_mmio(h, off, d, 4, false);
	return le32(d);
}

static void wr(struct ahci *h, unsigned int off, uint32_t v)
{
	uint8_t d[4];

	put_le32(d, v);
	ahci_mmio(h, off, d, 4, true);
}

/* An image whose every byte of block i is i. */
static int setup(void **state)
{
	char path[] = "/tmp/wirt-test-ahci-XXXXXX";
	uint8_t blk[ATAPI_BLOCK];
	unsigned int i;

	(void)state;
	iso_fd = mkstemp(path);
	assert_true(iso_fd >= 0);
	unlink(path);
	for (i = 0; i < BLOCKS; i++) {
		memset(blk, i, sizeof(blk));
		assert_int_equal(write(iso_fd, blk, sizeof(blk)), sizeof(blk));
	}
	ram = calloc(1, MEM_SIZE);
	mem.n = 1;
	mem.r[0] = (struct gmem_region){ 0, MEM_SIZE, ram };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(iso_fd);
	free(ram);
	return 0;
}

/* A controller with port 0 started, FIS receive and interrupts on. */
static void start(struct ahci *h)
{
	memset(ram, 0, MEM_SIZE);
	ahci_init(h, &mem, iso_fd, BLOCKS, count_irq, NULL);
	irqs = 0;
	wr(h, 0x100 + 0x00, CLB);
	wr(h, 0x100 + 0x08, FB);
	wr(h, 0x100 + 0x18, PORT_CMD_FRE | PORT_CMD_ST);
	wr(h, 0x100 + 0x14, 0xffffffff);
	wr(h, 0x04, 1u << 1);
}

/* Put a command in slot 0: FIS command cmd, CDB cdb (may be NULL), PRDs. */
static void command(struct ahci *h, uint8_t cmd, const uint8_t *cdb,
		    const uint64_t *addr, const uint32_t *len, unsigned int n)
{
	uint8_t *hdr = ram + CLB, *t = ram + CTBA;
	unsigned int i;

	memset(t, 0, 0x80 + n * 16);
	put_le32(hdr, 5 | (cdb ? 1u << 5 : 0) | n << 16);
	put_le32(hdr + 4, 0);
	put_le64(hdr + 8, CTBA);
	t[0] = 0x27;
	t[1] = 0x80;
	t[2] = cmd;
	if (cdb)
		memcpy(t + 0x40, cdb, ATAPI_CDB_LEN);
	for (i = 0; i < n; i++) {
		put_le64(t + 0x80 + i * 16, addr[i]);
		put_le32(t + 0x80 + i * 16 + 12, len[i] - 1);
	}
	wr(h, 0x100 + 0x38, 1);
}

static void test_registers(void **state)
{
	struct ahci h;

	(void)state;
	start(&h);
	assert_int_equal(rd(&h, 0x00) >> 8 & 0x1f, 31); /* 32 slots */
	assert_true(rd(&h, 0x00) & (1u << 31)); /* 64-bit */
	assert_int_equal(rd(&h, 0x0c), 1);
	assert_int_equal(rd(&h, 0x10), 0x00010300);
	assert_true(rd(&h, 0x04) & (1u << 31));
	assert_int_equal(rd(&h, 0x100 + 0x24), ATAPI_SIGNATURE);
	assert_int_equal(rd(&h, 0x100 + 0x28), 0x113);
	/* FR and CR follow FRE and ST */
	assert_int_equal(rd(&h, 0x100 + 0x18) & 0xc011, 0xc011);
	/* COMRESET: link down while DET is 1 */
	wr(&h, 0x100 + 0x2c, 1);
	assert_int_equal(rd(&h, 0x100 + 0x28), 0);
	wr(&h, 0x100 + 0x2c, 0);
	assert_int_equal(rd(&h, 0x100 + 0x28), 0x113);
	assert_int_equal(ram[FB + 0x40], 0x34); /* the signature FIS */
	assert_int_equal(ram[FB + 0x46], 0xeb);
	/* HBA reset */
	wr(&h, 0x04, 1);
	assert_int_equal(rd(&h, 0x04), 1u << 31);
	assert_int_equal(rd(&h, 0x100 + 0x18) & 1, 0);
	/* a sub-dword read of CAP's top byte */
	uint8_t b;
	ahci_mmio(&h, 3, &b, 1, false);
	assert_int_equal(b, rd(&h, 0) >> 24);
}

static void test_identify(void **state)
{
	const uint64_t addr[] = { 0x10000 };
	const uint32_t len[] = { 512 };
	struct ahci h;

	(void)state;
	start(&h);
	command(&h, 0xa1, NULL, addr, len, 1);
	assert_int_equal(rd(&h, 0x100 + 0x38), 0); /* done */
	assert_int_equal(le32(ram + CLB + 4), 512); /* PRDBC */
	assert_int_equal(le16(ram + 0x10000), 0x85c0);
	assert_int_equal(rd(&h, 0x100 + 0x10) & 3, 3); /* DHRS, PSS */
	assert_int_equal(ram[FB + 0x40], 0x34);
	assert_int_equal(ram[FB + 0x42], 0x50);
	assert_int_equal(rd(&h, 0x100 + 0x20) & 0xff, 0x50);
	assert_int_equal(irqs, 1);
	assert_int_equal(rd(&h, 0x08), 1);
	/* IDENTIFY DEVICE: aborted, with the ATAPI signature */
	wr(&h, 0x100 + 0x10, 0xffffffff);
	command(&h, 0xec, NULL, addr, len, 1);
	assert_int_equal(ram[FB + 0x42], 0x51);
	assert_int_equal(ram[FB + 0x43], 0x04);
	assert_int_equal(ram[FB + 0x45], 0x14);
	assert_int_equal(ram[FB + 0x46], 0xeb);
}

static void test_read_scattered(void **state)
{
	const uint8_t cdb[ATAPI_CDB_LEN] = { 0x28, 0, 0, 0, 0, 3, 0, 0, 3 };
	const uint64_t addr[] = { 0x20000, 0x30000 };
	const uint32_t len[] = { 2048, 4096 };
	struct ahci h;

	(void)state;
	start(&h);
	command(&h, 0xa0, cdb, addr, len, 2);
	assert_int_equal(rd(&h, 0x100 + 0x38), 0);
	assert_int_equal(rd(&h, 0x100 + 0x20) & 0xff, 0x50);
	assert_int_equal(le32(ram + CLB + 4), 3 * 2048);
	assert_int_equal(ram[0x20000], 3);
	assert_int_equal(ram[0x20000 + 2047], 3);
	assert_int_equal(ram[0x30000], 4);
	assert_int_equal(ram[0x30000 + 4095], 5);
	assert_int_equal(ram[0x30000 + 4096], 0);
}

static void test_hostile(void **state)
{
	const uint8_t cdb[ATAPI_CDB_LEN] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1 };
	const uint8_t past[ATAPI_CDB_LEN] = { 0x28, 0, 0, 0, 0, 19, 0, 0, 2 };
	const uint64_t bad[] = { MEM_SIZE - 1024 }, wrap[] = { ~0ULL - 10 };
	const uint64_t good[] = { 0x20000 };
	const uint32_t len[] = { 2048 };
	struct ahci h;

	(void)state;
	start(&h);
	command(&h, 0xa0, cdb, bad, len, 1); /* runs past guest memory */
	assert_int_equal(rd(&h, 0x100 + 0x20) & 0xff, 0x51);
	assert_true(rd(&h, 0x100 + 0x10) & PORT_IS_TFES);
	/* halted until ST is cleared */
	command(&h, 0xa0, cdb, good, len, 1);
	assert_int_equal(rd(&h, 0x100 + 0x38), 0);
	assert_int_equal(ram[0x20000], 0);
	wr(&h, 0x100 + 0x18, PORT_CMD_FRE);
	wr(&h, 0x100 + 0x18, PORT_CMD_FRE | PORT_CMD_ST);
	command(&h, 0xa0, cdb, wrap, len, 1);
	assert_int_equal(rd(&h, 0x100 + 0x20) & 0xff, 0x51);
	wr(&h, 0x100 + 0x18, PORT_CMD_FRE);
	wr(&h, 0x100 + 0x18, PORT_CMD_FRE | PORT_CMD_ST);
	command(&h, 0xa0, past, good, len, 1); /* past the medium's end */
	assert_int_equal(rd(&h, 0x100 + 0x20), 0x5451); /* ILLEGAL REQUEST */
	wr(&h, 0x100 + 0x18, PORT_CMD_FRE);
	/* a command list outside guest memory */
	wr(&h, 0x100 + 0x00, MEM_SIZE);
	wr(&h, 0x100 + 0x18, PORT_CMD_FRE | PORT_CMD_ST);
	wr(&h, 0x100 + 0x38, 1);
	assert_int_equal(rd(&h, 0x100 + 0x20) & 0xff, 0x51);
	assert_int_equal(rd(&h, 0x100 + 0x38), 0);
	/* ... and a good one again */
	wr(&h, 0x100 + 0x18, PORT_CMD_FRE);
	wr(&h, 0x100 + 0x00, CLB);
	wr(&h, 0x100 + 0x18, PORT_CMD_FRE | PORT_CMD_ST);
	command(&h, 0xa0, cdb, good, len, 0); /* no PRD: nothing moved */
	assert_int_equal(le32(ram + CLB + 4), 0);
	/* with ST clear, PxCI stays 0 and nothing runs */
	wr(&h, 0x100 + 0x18, PORT_CMD_FRE);
	command(&h, 0xa0, cdb, good, len, 1);
	assert_int_equal(rd(&h, 0x100 + 0x38), 0);
	assert_int_equal(ram[0x20000], 0);
}

static void test_save_load(void **state)
{
	uint32_t w[AHCI_STATE_WORDS];
	struct ahci h, h2;

	(void)state;
	start(&h);
	ahci_save(&h, w);
	ahci_init(&h2, &mem, iso_fd, BLOCKS, count_irq, NULL);
	assert_int_equal(ahci_load(&h2, w), 0);
	assert_int_equal(rd(&h2, 0x100 + 0x00), CLB);
	assert_int_equal(rd(&h2, 0x100 + 0x18) & 0xc011, 0xc011);
	w[16] = 7; /* halted is a flag */
	assert_int_equal(ahci_load(&h2, w), -22);
}

/*
 * A hostile guest: random bytes in guest memory (command headers, tables,
 * PRDTs, CDBs) and random register writes, command lists near the end of
 * memory. Nothing may be touched outside guest memory (ASan) and the
 * registers stay consistent.
 */
static void test_random_guest(void **state)
{
	static const unsigned int regs[] = {
		0x04,	      0x08,	    0x100,	  0x100 + 0x08,
		0x100 + 0x10, 0x100 + 0x14, 0x100 + 0x18, 0x100 + 0x2c,
		0x100 + 0x30, 0x100 + 0x34, 0x100 + 0x38
	};
	unsigned int i, j, seed = 1;
	struct ahci h;

	(void)state;
	start(&h);
	for (i = 0; i < 20000; i++) {
		uint32_t v = (uint32_t)rand_r(&seed) << 16 ^ rand_r(&seed);
		unsigned int reg = regs[rand_r(&seed) % 11];

		if (i % 500 == 0)
			for (j = 0; j < MEM_SIZE; j += 4)
				put_le32(ram + j, rand_r(&seed));
		if (reg == 0x100 || reg == 0x100 + 0x08)
			v = MEM_SIZE - (v % 0x4000); /* near the end */
		if (reg == 0x100 + 0x18)
			v |= PORT_CMD_ST; /* mostly started */
		wr(&h, reg, v);
		if (rand_r(&seed) % 2) {
			/* keep tables inside, PRDTs anywhere */
			wr(&h, 0x100, CLB);
			put_le64(ram + CLB + (v % 32) * 32 + 8, CTBA);
			wr(&h, 0x100 + 0x38, v);
		}
		assert_int_equal(rd(&h, 0x100 + 0x18) >> 15 & 1,
				 rd(&h, 0x100 + 0x18) & 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_read_scattered),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_random_guest),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
