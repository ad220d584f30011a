/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the files of the SCSI command layer (scsi.h). */
#ifndef WIRT_VMM_SCSI_INT_H
#define WIRT_VMM_SCSI_INT_H

#include "vmm/scsi/scsi.h"

/* scsi_fill_sense - fixed-format sense data of key/asc into s. */
void scsi_fill_sense(uint8_t *s, uint8_t key, uint8_t asc);

/* scsi_invalid_field - CHECK CONDITION, INVALID FIELD IN CDB. */
void scsi_invalid_field(struct scsi_cmd *c);

/*
 * scsi_reply - n bytes of data-in are in c->buf: return at most alloc
 * (the CDB's allocation length) of them, and no more than the buffer.
 */
void scsi_reply(struct scsi_cmd *c, size_t n, size_t alloc);

/*
 * scsi_no_data_out - for a command that takes no data-out: false (the
 * command ended with SCSI_ACT_OVERRUN) when the initiator sent some.
 */
bool scsi_no_data_out(struct scsi_cmd *c);

/* scsi-info.c: the informational commands (see scsi.h for each) */
void scsi_inquiry(const struct scsi_lu *lu, struct scsi_cmd *c);
void scsi_mode_sense(const struct scsi_lu *lu, struct scsi_cmd *c);
void scsi_report_luns(struct scsi_cmd *c);
/* REQUEST SENSE answering sense key key / asc, status GOOD */
void scsi_request_sense(struct scsi_cmd *c, uint8_t key, uint8_t asc);
/* any command addressed to a logical unit that does not exist */
void scsi_no_lun(struct scsi_cmd *c);

#endif
