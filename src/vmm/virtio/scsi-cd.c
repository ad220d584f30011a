// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A virtio-scsi target with media=cdrom: the MMC command set of the SATA
 * CD-ROM drive (sata/atapi.h: INQUIRY of a removable CD/DVD device, READ
 * CAPACITY with 2048-byte blocks, READ (10)/(12), READ TOC, GET
 * CONFIGURATION, GET EVENT STATUS NOTIFICATION, MODE SENSE (10), ...)
 * behind the same request path as a disk: its READs come back to the
 * transport as reads of 512-byte blocks of the image. REPORT LUNS (which
 * SeaBIOS's scan needs) is answered as for a disk.
 */
#include <string.h>

#include "vmm/virtio/scsi-int.h"

#define SECTORS_PER_BLOCK (ATAPI_BLOCK / SCSI_BLOCK)

void vscsi_cd_exec(struct vscsi_target *t, struct scsi_cmd *c)
{
	struct atapi_result res = { 0 };
	uint64_t n;

	scsi_cmd_begin(c);
	if (c->cdb_len < ATAPI_CDB_LEN) {
		scsi_set_sense(c, SCSI_SK_ILLEGAL_REQUEST,
			       SCSI_ASC_INVALID_FIELD);
		return;
	}
	if (c->cdb[0] == SCSI_REPORT_LUNS) {
		/* SPC's, not in the ATAPI set: the same answer as a disk's */
		scsi_disk_exec(NULL, c);
		return;
	}
	atapi_exec(&t->atapi, c->cdb, c->buf, &res);
	if (res.check) {
		scsi_set_sense(c, t->atapi.sense_key, t->atapi.asc);
		c->sense[13] = t->atapi.ascq;
		return;
	}
	if (c->out_len) { /* no MMC command served here takes data-out */
		c->action = SCSI_ACT_OVERRUN;
		return;
	}
	if (res.read_blocks) {
		n = (uint64_t)res.read_blocks * SECTORS_PER_BLOCK;
		if (n * SCSI_BLOCK > c->in_avail) {
			c->action = SCSI_ACT_OVERRUN;
			return;
		}
		c->action = SCSI_ACT_READ;
		c->lba = res.read_lba * SECTORS_PER_BLOCK;
		c->nblocks = n;
		return;
	}
	c->data_len = res.len < c->in_avail ? res.len : c->in_avail;
}
