// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of fw_cfg: ports, the file directory and hostile DMA. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/firmware/fwcfg.h"

#define RAM_SIZE (1u << 20)

struct env {
	struct fwcfg f;
	struct gmem mem;
	uint8_t *ram;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->ram = calloc(1, RAM_SIZE);
	e->mem.r[0] = (struct gmem_region){ 0, RAM_SIZE, e->ram };
	e->mem.n = 1;
	fwcfg_init(&e->f, &e->mem);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fwcfg_free(&e->f);
	free(e->ram);
	free(e);
	return 0;
}

static void io(struct env *e, unsigned int port, uint8_t *d, unsigned int n,
	       bool wr)
{
	fwcfg_io(&e->f, port - FW_CFG_PORT_SEL, d, n, wr);
}

static void select_key(struct env *e, uint16_t key)
{
	uint8_t d[2] = { key, key >> 8 };

	io(e, FW_CFG_PORT_SEL, d, 2, true);
}

static uint8_t data_byte(struct env *e)
{
	uint8_t b;

	io(e, FW_CFG_PORT_SEL + 1, &b, 1, false);
	return b;
}

static void put_be(uint8_t *p, uint64_t v, unsigned int n)
{
	while (n--) {
		p[n] = v;
		v >>= 8;
	}
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Run a DMA request with its descriptor at gpa (two 32-bit writes). */
static void dma(struct env *e, uint64_t desc_gpa, uint32_t ctl, uint32_t len,
		uint64_t addr)
{
	uint8_t hi[4], lo[4];

	if (desc_gpa + 16 <= RAM_SIZE) {
		put_be(e->ram + desc_gpa, ctl, 4);
		put_be(e->ram + desc_gpa + 4, len, 4);
		put_be(e->ram + desc_gpa + 8, addr, 8);
	}
	put_be(hi, desc_gpa >> 32, 4);
	put_be(lo, desc_gpa, 4);
	io(e, FW_CFG_PORT_DMA, hi, 4, true);
	io(e, FW_CFG_PORT_DMA + 4, lo, 4, true);
}

static void test_signature_and_id(void **state)
{
	struct env *e = *state;
	uint8_t sig[8];
	char s[5] = { 0 };
	unsigned int i;

	select_key(e, FW_CFG_SIGNATURE);
	for (i = 0; i < 4; i++)
		s[i] = data_byte(e);
	assert_string_equal(s, "QEMU");
	assert_int_equal(data_byte(e), 0); /* past the end: zeros */
	select_key(e, FW_CFG_ID);
	assert_int_equal(data_byte(e), 3); /* traditional and DMA */
	io(e, FW_CFG_PORT_DMA, sig, 8, false);
	assert_memory_equal(sig, "QEMU CFG", 8);
	select_key(e, 0x1234); /* no such item: zeros */
	assert_int_equal(data_byte(e), 0);
}

static void test_directory_and_dma_read(void **state)
{
	struct env *e = *state;
	const char body[] = "hello firmware";
	uint8_t *dir = e->ram + 0x2000;

	assert_int_equal(fwcfg_add_file(&e->f, "etc/test", body, sizeof(body)),
			 0);
	dma(e, 0x1000,
	    FW_CFG_FILE_DIR << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4 + 64,
	    0x2000);
	assert_int_equal(get_be32(e->ram + 0x1000), 0);
	assert_int_equal(get_be32(dir), 1);
	assert_int_equal(get_be32(dir + 4), sizeof(body));
	assert_int_equal(dir[8] << 8 | dir[9], FW_CFG_FILE_FIRST);
	assert_string_equal((char *)dir + 12, "etc/test");

	/* skip 6 bytes, read the rest and 4 more: zeros past the end */
	memset(e->ram + 0x3000, 0xaa, 32);
	dma(e, 0x1000,
	    FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_SKIP, 6,
	    0);
	dma(e, 0x1000, FW_CFG_DMA_READ, sizeof(body) - 6 + 4, 0x3000);
	assert_int_equal(get_be32(e->ram + 0x1000), 0);
	assert_memory_equal(e->ram + 0x3000, "firmware", 9);
	assert_int_equal(e->ram[0x3000 + sizeof(body) - 6 + 3], 0);
	assert_int_equal(e->ram[0x3000 + sizeof(body) - 6 + 4], 0xaa);
}

static void test_hostile_dma(void **state)
{
	struct env *e = *state;
	uint64_t before;

	fwcfg_add_file(&e->f, "etc/x", "abc", 3);
	/* buffer past the end of RAM, and one wrapping around */
	dma(e, 0x1000,
	    FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 16,
	    RAM_SIZE - 8);
	assert_int_equal(get_be32(e->ram + 0x1000), FW_CFG_DMA_ERROR);
	dma(e, 0x1000, FW_CFG_DMA_READ, 0x100, UINT64_MAX - 0x10);
	assert_int_equal(get_be32(e->ram + 0x1000), FW_CFG_DMA_ERROR);
	/* a write: no item is writable */
	dma(e, 0x1000, FW_CFG_DMA_WRITE, 3, 0x2000);
	assert_int_equal(get_be32(e->ram + 0x1000), FW_CFG_DMA_ERROR);
	/* a descriptor outside RAM or straddling its end: nothing happens */
	before = e->f.dma_count;
	dma(e, RAM_SIZE - 8, FW_CFG_DMA_READ, 3, 0x2000);
	dma(e, 0xfffffffff0ULL, FW_CFG_DMA_READ, 3, 0x2000);
	assert_int_equal(e->f.dma_count, before + 2);
	/* odd accesses to the DMA register are ignored */
	io(e, FW_CFG_PORT_DMA + 2, (uint8_t[2]){ 0, 0 }, 2, true);
}

static void test_limits(void **state)
{
	struct env *e = *state;
	char name[FW_CFG_NAME_LEN + 8];
	unsigned int i;

	memset(name, 'n', sizeof(name));
	name[FW_CFG_NAME_LEN] = 0; /* 56 bytes: one too many */
	assert_int_equal(fwcfg_add_file(&e->f, name, "", 0), -EINVAL);
	assert_int_equal(fwcfg_add_file(&e->f, "", "", 0), -EINVAL);
	for (i = 0; i < FW_CFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		assert_int_equal(fwcfg_add_file(&e->f, name, "x", 1), 0);
	}
	assert_int_equal(fwcfg_add_file(&e->f, "one-more", "x", 1), -ENOSPC);
	/* replacing an existing file still works */
	assert_int_equal(fwcfg_add_file(&e->f, "f3", "yy", 2), 0);
	assert_int_equal(fwcfg_add(&e->f, 0x30, NULL, FW_CFG_MAX_ITEM + 1),
			 -EFBIG);
}

static void test_save_load(void **state)
{
	struct env *e = *state;
	uint8_t buf[FW_CFG_STATE_LEN];

	fwcfg_add_file(&e->f, "etc/s", "state", 5);
	select_key(e, FW_CFG_FILE_FIRST);
	assert_int_equal(data_byte(e), 's');
	fwcfg_save(&e->f, buf);
	select_key(e, FW_CFG_SIGNATURE);
	assert_int_equal(fwcfg_load(&e->f, buf, sizeof(buf)), 0);
	assert_int_equal(data_byte(e), 't'); /* goes on where it was */
	assert_int_equal(fwcfg_load(&e->f, buf, sizeof(buf) - 1), -EINVAL);
	/* hostile: an offset far past the item reads zeros */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(fwcfg_load(&e->f, buf, sizeof(buf)), 0);
	assert_int_equal(e->f.sel, 0xffff & ~0x4000);
	assert_int_equal(data_byte(e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signature_and_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_directory_and_dma_read,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_dma, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
