// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: disk I/O accounting (query-blockstats counters), the mapping
 * of virtio-blk requests onto it, --disk id= and the VM's disk list.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/vm-disks.h"
#include "vmm/disk/disk.h"
#include "vmm/disk/stats.h"
#include "vmm/virtio/blk.h"
#include "vmm/vm.h"

static void test_account(void **state)
{
	struct blk_stats s = { 0 };
	struct blk_stats_snap v;

	blk_stats_read(&s, 1000, &v);
	assert_false(v.has_idle);
	assert_int_equal(v.ops[BLK_ACCT_READ], 0);

	blk_stats_account(&s, BLK_ACCT_READ, 4096, 8192, 100, 350, BLK_ACCT_OK);
	blk_stats_account(&s, BLK_ACCT_READ, 512, 512, 400, 410, BLK_ACCT_OK);
	blk_stats_account(&s, BLK_ACCT_WRITE, 1024, 65536, 500, 600,
			  BLK_ACCT_OK);
	blk_stats_account(&s, BLK_ACCT_WRITE, 512, 4096, 600, 601,
			  BLK_ACCT_OK); /* lower: highest stays */
	blk_stats_account(&s, BLK_ACCT_WRITE, 4096, 1 << 30, 700, 750,
			  BLK_ACCT_FAILED); /* no bytes, no highest, time */
	blk_stats_account(&s, BLK_ACCT_READ, 4096, 1 << 30, 0, 800,
			  BLK_ACCT_INVALID); /* counted only as invalid */
	blk_stats_account(&s, BLK_ACCT_FLUSH, 0, 0, 800, 900, BLK_ACCT_OK);
	blk_stats_account(&s, BLK_ACCT_UNMAP, 1 << 20, 2 << 20, 900, 905,
			  BLK_ACCT_OK);
	blk_stats_account(&s, BLK_ACCT_NONE, 9, 9, 900, 5000, BLK_ACCT_OK);
	blk_stats_read(&s, 1905, &v);

	assert_int_equal(v.ops[BLK_ACCT_READ], 2);
	assert_int_equal(v.bytes[BLK_ACCT_READ], 4608);
	assert_int_equal(v.total_ns[BLK_ACCT_READ], 260);
	assert_int_equal(v.invalid[BLK_ACCT_READ], 1);
	assert_int_equal(v.failed[BLK_ACCT_READ], 0);
	assert_int_equal(v.ops[BLK_ACCT_WRITE], 2);
	assert_int_equal(v.bytes[BLK_ACCT_WRITE], 1536);
	assert_int_equal(v.failed[BLK_ACCT_WRITE], 1);
	assert_int_equal(v.total_ns[BLK_ACCT_WRITE], 151);
	assert_int_equal(v.wr_highest, 65536);
	assert_int_equal(v.ops[BLK_ACCT_FLUSH], 1);
	assert_int_equal(v.total_ns[BLK_ACCT_FLUSH], 100);
	assert_int_equal(v.ops[BLK_ACCT_UNMAP], 1);
	assert_int_equal(v.bytes[BLK_ACCT_UNMAP], 1 << 20);
	assert_true(v.has_idle);
	assert_int_equal(v.idle_ns, 1000); /* BLK_ACCT_NONE left no trace */
	/* an end before the start counts no time */
	blk_stats_account(&s, BLK_ACCT_FLUSH, 0, 0, 50, 10, BLK_ACCT_OK);
	blk_stats_read(&s, 1905, &v);
	assert_int_equal(v.total_ns[BLK_ACCT_FLUSH], 100);
	assert_int_equal(v.ops[BLK_ACCT_FLUSH], 2);
	assert_true(blk_stats_now() > 0);
}

/* A request as vblk_parse leaves it. */
static struct vblk_parsed req(uint32_t type, uint64_t sector, size_t len)
{
	struct vblk_parsed p;

	memset(&p, 0, sizeof(p));
	p.type = type;
	p.sector = sector;
	p.data_len = len;
	return p;
}

static void test_vblk_mapping(void **state)
{
	struct blk_stats s = { 0 };
	struct blk_stats_snap v;
	struct vblk_parsed p;
	uint64_t t0 = blk_stats_now();

	p = req(VIRTIO_BLK_T_IN, 8, 4096);
	vblk_account(&s, &p, VIRTIO_BLK_S_OK, t0);
	p = req(VIRTIO_BLK_T_OUT, 100, 2048);
	vblk_account(&s, &p, VIRTIO_BLK_S_OK, t0);
	p = req(VIRTIO_BLK_T_OUT, 0, 512); /* backend error */
	vblk_account(&s, &p, VIRTIO_BLK_S_IOERR, t0);
	p = req(VIRTIO_BLK_T_OUT, 1 << 30, 512); /* refused by vblk_parse */
	vblk_account(&s, &p, VIRTIO_BLK_S_IOERR, 0);
	p = req(VIRTIO_BLK_T_FLUSH, 77, 0);
	vblk_account(&s, &p, VIRTIO_BLK_S_OK, t0);
	p = req(VIRTIO_BLK_T_GET_ID, 0, 20);
	vblk_account(&s, &p, VIRTIO_BLK_S_OK, t0);
	p = req(99, 0, 0);
	vblk_account(&s, &p, VIRTIO_BLK_S_UNSUPP, 0);
	p = req(VIRTIO_BLK_T_DISCARD, 0, 16); /* not negotiated */
	vblk_account(&s, &p, VIRTIO_BLK_S_UNSUPP, 0);

	/* write-zeroes: two ranges, the second the highest */
	p = req(VIRTIO_BLK_T_WRITE_ZEROES, 0, 32);
	p.nranges = 2;
	p.range[0] = (struct vblk_range){ .sector = 1000, .num_sectors = 8 };
	p.range[1] = (struct vblk_range){ .sector = 2000, .num_sectors = 4 };
	vblk_account(&s, &p, VIRTIO_BLK_S_OK, t0);
	p = req(VIRTIO_BLK_T_DISCARD, 0, 16);
	p.nranges = 1;
	p.range[0] = (struct vblk_range){ .sector = 4096, .num_sectors = 2048 };
	vblk_account(&s, &p, VIRTIO_BLK_S_OK, t0);
	blk_stats_read(&s, blk_stats_now(), &v);

	assert_int_equal(v.ops[BLK_ACCT_READ], 1);
	assert_int_equal(v.bytes[BLK_ACCT_READ], 4096);
	assert_int_equal(v.ops[BLK_ACCT_WRITE], 2);
	assert_int_equal(v.bytes[BLK_ACCT_WRITE], 2048 + 12 * 512);
	assert_int_equal(v.failed[BLK_ACCT_WRITE], 1);
	assert_int_equal(v.invalid[BLK_ACCT_WRITE], 1);
	assert_int_equal(v.wr_highest, 2004 * 512);
	assert_int_equal(v.ops[BLK_ACCT_FLUSH], 1);
	assert_int_equal(v.bytes[BLK_ACCT_FLUSH], 0);
	assert_int_equal(v.ops[BLK_ACCT_UNMAP], 1);
	assert_int_equal(v.bytes[BLK_ACCT_UNMAP], 2048 * 512);
	assert_int_equal(v.invalid[BLK_ACCT_UNMAP], 0);
	assert_true(v.has_idle);
}

static void test_id_option(void **state)
{
	static const char *const bad[] = {
		"path=a,id=",
		"path=a,id=has space",
		"path=a,id=semi;colon",
		"path=a,id=x/y",
		"path=a,id=abcdefghijklmnopqrstuvwxyz012345", /* 32 */
	};
	char err[DISK_ERR_LEN];
	struct disk_opts o;
	unsigned int i;

	assert_int_equal(
		disk_parse_opts("path=a,id=Disk_0.x-y", &o, err, sizeof(err)),
		0);
	assert_string_equal(o.id, "Disk_0.x-y");
	disk_opts_free(&o);
	assert_int_equal(
		disk_parse_opts("path=a,id=abcdefghijklmnopqrstuvwxyz01234", &o,
				err, sizeof(err)),
		0);
	assert_int_equal(strlen(o.id), DISK_ID_MAX);
	disk_opts_free(&o);
	assert_int_equal(disk_parse_opts("path=a", &o, err, sizeof(err)), 0);
	assert_string_equal(o.id, "");
	disk_opts_free(&o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(disk_parse_opts(bad[i], &o, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "--disk: id '"));
	}
}

/* vm_add_hook stand-in: the list registers its destroy hook here. */
static struct vm_hook hook;
static unsigned int nhooks;

int vm_add_hook(struct vm *vm, const struct vm_hook *h)
{
	hook = *h;
	nhooks++;
	return 0;
}

static void test_disk_list(void **state)
{
	struct disk a, b, c, d;
	struct vm vm;
	unsigned int i;

	memset(&vm, 0, sizeof(vm));
	nhooks = 0;
	assert_int_equal(vm_disks_count(&vm), 0);
	assert_null(vm_disk_get(&vm, 0));
	assert_int_equal(vm_disks_add(&vm, NULL, &a), 0);
	assert_int_equal(vm_disks_add(&vm, "data", &b), 0);
	assert_int_equal(vm_disks_add(&vm, "", &c), 0);
	assert_int_equal(nhooks, 1);
	assert_int_equal(vm_disks_count(&vm), 3);
	assert_string_equal(vm_disk_get(&vm, 0)->name, "virtio0");
	assert_false(vm_disk_get(&vm, 0)->named);
	assert_string_equal(vm_disk_get(&vm, 1)->name, "data");
	assert_true(vm_disk_get(&vm, 1)->named);
	assert_int_equal(vm_disk_get(&vm, 1)->index, 1);
	assert_ptr_equal(vm_disk_get(&vm, 1)->disk, &b);
	assert_string_equal(vm_disk_get(&vm, 2)->name, "virtio2");
	/* names are unique: an id, or an id against a default name */
	assert_int_equal(vm_disks_add(&vm, "data", &d), -EEXIST);
	assert_int_equal(vm_disks_add(&vm, "virtio0", &d), -EEXIST);
	assert_int_equal(vm_disks_add(&vm, "virtio4", &d), 0);
	assert_int_equal(vm_disks_add(&vm, NULL, &d), -EEXIST);
	assert_int_equal(vm_disks_count(&vm), 4);
	for (i = 4; i < VM_MAX_DISKS; i++) {
		char n[16];

		snprintf(n, sizeof(n), "d%u", i);
		assert_int_equal(vm_disks_add(&vm, n, &d), 0);
	}
	assert_int_equal(vm_disks_add(&vm, "one-more", &d), -ENOSPC);
	/* the VM's end frees it through the hook */
	hook.destroy(&vm, hook.opaque);
	assert_null(vm.disks);
	assert_int_equal(vm_disks_count(&vm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account),
		cmocka_unit_test(test_vblk_mapping),
		cmocka_unit_test(test_id_option),
		cmocka_unit_test(test_disk_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
