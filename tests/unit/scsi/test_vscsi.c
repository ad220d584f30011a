// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-scsi's request checks on hand-built iovecs: the request and
 * response headers (split across buffers, too short), the data lengths
 * after them, and virtio's LUN format (the target, flat and peripheral
 * LUN addressing, every malformed variant).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/virtio/scsi.h"

/* Stand-ins for the transport, which this test does not link. */
void virtio_dev_interrupt(struct virtio_dev *d, unsigned int q)
{
}

void virtio_dev_fail(struct virtio_dev *d, const char *why)
{
}

static void test_parse(void **state)
{
	static uint8_t req[VSCSI_REQ_HDR], resp[VSCSI_RESP_HDR], data[4096];
	struct vscsi_parsed p;
	struct vq_elem e;

	memset(req, 0, sizeof(req));
	req[0] = 1;
	req[1] = 3;
	req[2] = 0x40;
	req[19] = 0x28; /* READ(10) */
	req[19 + 31] = 0x77; /* last CDB byte */
	memset(&e, 0, sizeof(e));
	/* the request header split in two, data-out after it */
	e.out[0] = (struct iovec){ req, 10 };
	e.out[1] = (struct iovec){ req + 10, VSCSI_REQ_HDR - 10 };
	e.out[2] = (struct iovec){ data, 512 };
	e.n_out = 3;
	e.out_len = VSCSI_REQ_HDR + 512;
	e.in[0] = (struct iovec){ resp, VSCSI_RESP_HDR };
	e.n_in = 1;
	e.in_len = VSCSI_RESP_HDR;
	assert_int_equal(vscsi_parse_req(&e, &p), 0);
	assert_int_equal(p.lun[1], 3);
	assert_int_equal(p.cdb[0], 0x28);
	assert_int_equal(p.cdb[31], 0x77);
	assert_int_equal(p.dout_len, 512);
	assert_int_equal(p.din_len, 0);
	/* data-in after the response header */
	e.n_out = 2;
	e.out_len = VSCSI_REQ_HDR;
	e.in[1] = (struct iovec){ data, 4096 };
	e.n_in = 2;
	e.in_len = VSCSI_RESP_HDR + 4096;
	assert_int_equal(vscsi_parse_req(&e, &p), 0);
	assert_int_equal(p.din_len, 4096);
	assert_int_equal(p.dout_len, 0);
	/* a request or a response header one byte short */
	e.out_len = VSCSI_REQ_HDR - 1;
	assert_int_equal(vscsi_parse_req(&e, &p), -EINVAL);
	e.out_len = VSCSI_REQ_HDR;
	e.in_len = VSCSI_RESP_HDR - 1;
	assert_int_equal(vscsi_parse_req(&e, &p), -EINVAL);
	e.n_in = 0;
	e.in_len = 0;
	assert_int_equal(vscsi_parse_req(&e, &p), -EINVAL);
}

static void test_lun(void **state)
{
	uint8_t lun[8] = { 1, 0, 0x40, 0, 0, 0, 0, 0 };
	bool lun0;

	assert_int_equal(vscsi_lun_target(lun, 2, &lun0), 0);
	assert_true(lun0);
	lun[1] = 1;
	assert_int_equal(vscsi_lun_target(lun, 2, &lun0), 1);
	/* peripheral addressing of LUN 0 (all zeroes), as SeaBIOS may */
	lun[2] = 0;
	assert_int_equal(vscsi_lun_target(lun, 2, &lun0), 1);
	assert_true(lun0);
	/* LUN 5, flat: the target exists, the unit does not */
	lun[2] = 0x40;
	lun[3] = 5;
	assert_int_equal(vscsi_lun_target(lun, 2, &lun0), 1);
	assert_false(lun0);
	lun[3] = 0;
	lun[2] = 0x41; /* flat LUN 256 */
	assert_int_equal(vscsi_lun_target(lun, 2, &lun0), 1);
	assert_false(lun0);
	/* a target past the last, no target at all */
	lun[2] = 0x40;
	lun[1] = 2;
	assert_int_equal(vscsi_lun_target(lun, 2, &lun0), -1);
	assert_int_equal(vscsi_lun_target(lun, 0, &lun0), -1);
	lun[1] = 0;
	/* lun[0] not 1, addressing methods 10b and 11b, bytes 4..7 set */
	lun[0] = 0;
	assert_int_equal(vscsi_lun_target(lun, 2, &lun0), -1);
	lun[0] = 1;
	lun[2] = 0x80;
	assert_int_equal(vscsi_lun_target(lun, 2, &lun0), -1);
	lun[2] = 0xc0;
	assert_int_equal(vscsi_lun_target(lun, 2, &lun0), -1);
	lun[2] = 0x40;
	for (int i = 4; i < 8; i++) {
		lun[i] = 1;
		assert_int_equal(vscsi_lun_target(lun, 2, &lun0), -1);
		lun[i] = 0;
	}
	assert_int_equal(vscsi_lun_target(lun, 2, &lun0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_lun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
