/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A SCSI direct-access block device (SBC-3 / SPC-4 subset) with 512-byte
 * logical blocks: the commands Linux's sd driver, SeaBIOS and OVMF send.
 *
 * Pure functions over a struct scsi_cmd: scsi_disk_exec() decodes and
 * checks one CDB against the logical unit and the initiator's buffer
 * sizes, and either answers it at once (status, fixed-format sense data,
 * data-in bytes in cmd->buf) or asks the transport for one block I/O
 * (read, write or flush of a checked range). The transport (virtio-scsi)
 * moves the bytes and turns an I/O failure into sense data with
 * scsi_set_sense(). Nothing here keeps state between commands: sense data
 * is returned with the failing command (autosense); REQUEST SENSE reports
 * NO SENSE.
 */
#ifndef WIRT_VMM_SCSI_H
#define WIRT_VMM_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCSI_BLOCK 512u
#define SCSI_SENSE_LEN 18 /* fixed format */
#define SCSI_BUF_LEN 512 /* the longest data-in answer but a READ's */
#define SCSI_MAX_XFER 0xffffu /* blocks per command (VPD 0xb0) */

/* status codes (SAM-5) */
#define SCSI_GOOD 0x00
#define SCSI_CHECK_CONDITION 0x02

/* sense keys */
#define SCSI_SK_NO_SENSE 0x0
#define SCSI_SK_MEDIUM_ERROR 0x3
#define SCSI_SK_HARDWARE_ERROR 0x4
#define SCSI_SK_ILLEGAL_REQUEST 0x5
#define SCSI_SK_DATA_PROTECT 0x7

/* additional sense codes (ASCQ 0 for all of them) */
#define SCSI_ASC_WRITE_ERROR 0x0c
#define SCSI_ASC_READ_ERROR 0x11
#define SCSI_ASC_PARAM_LIST_LENGTH 0x1a
#define SCSI_ASC_INVALID_OPCODE 0x20
#define SCSI_ASC_LBA_OUT_OF_RANGE 0x21
#define SCSI_ASC_INVALID_FIELD 0x24
#define SCSI_ASC_LUN_NOT_SUPPORTED 0x25
#define SCSI_ASC_WRITE_PROTECTED 0x27
#define SCSI_ASC_SAVING_NOT_SUPPORTED 0x39

/* operation codes */
#define SCSI_TEST_UNIT_READY 0x00
#define SCSI_REQUEST_SENSE 0x03
#define SCSI_READ_6 0x08
#define SCSI_WRITE_6 0x0a
#define SCSI_INQUIRY 0x12
#define SCSI_MODE_SENSE_6 0x1a
#define SCSI_START_STOP_UNIT 0x1b
#define SCSI_PREVENT_ALLOW 0x1e
#define SCSI_READ_CAPACITY_10 0x25
#define SCSI_READ_10 0x28
#define SCSI_WRITE_10 0x2a
#define SCSI_VERIFY_10 0x2f
#define SCSI_SYNC_CACHE_10 0x35
#define SCSI_MODE_SENSE_10 0x5a
#define SCSI_READ_16 0x88
#define SCSI_WRITE_16 0x8a
#define SCSI_VERIFY_16 0x8f
#define SCSI_SYNC_CACHE_16 0x91
#define SCSI_SERVICE_ACTION_IN_16 0x9e
#define SCSI_SAI_READ_CAPACITY_16 0x10
#define SCSI_REPORT_LUNS 0xa0
#define SCSI_READ_12 0xa8
#define SCSI_WRITE_12 0xaa

/* The logical unit a command runs on. */
struct scsi_lu {
	uint64_t nblocks; /* capacity in SCSI_BLOCK blocks */
	bool readonly;
	const char *vendor; /* INQUIRY: up to 8, 16 and 4 ASCII characters */
	const char *product;
	const char *revision;
	const char *serial; /* VPD 0x80 (up to 20 characters), "" for none */
	const char *name; /* VPD 0x83 vendor-specific identifier, <= 31 */
};

/* What scsi_disk_exec asks of the transport. */
enum scsi_action {
	SCSI_ACT_DONE, /* answered: status, sense, data-in in buf */
	SCSI_ACT_READ, /* read nblocks at lba into the data-in buffer */
	SCSI_ACT_WRITE, /* write nblocks at lba from the data-out buffer */
	SCSI_ACT_FLUSH, /* make the unit's written data durable */
	SCSI_ACT_OVERRUN, /* the buffers do not match the command */
};

/* One command: the caller fills the inputs, scsi_disk_exec the rest. */
struct scsi_cmd {
	/* in */
	const uint8_t *cdb;
	size_t cdb_len; /* bytes readable at cdb (at least its length) */
	size_t in_avail; /* data-in buffer bytes the initiator gave */
	size_t out_len; /* data-out bytes the initiator sent */
	/* out */
	enum scsi_action action;
	uint8_t status;
	uint8_t sense[SCSI_SENSE_LEN];
	size_t sense_len; /* 0 without CHECK CONDITION */
	size_t data_len; /* SCSI_ACT_DONE: data-in bytes in buf */
	uint64_t lba; /* SCSI_ACT_READ / _WRITE: the checked range */
	uint32_t nblocks;
	uint8_t buf[SCSI_BUF_LEN];
};

/*
 * scsi_disk_exec - run cmd->cdb on lu, or on a logical unit that does not
 * exist when lu is NULL (INQUIRY says so, REPORT LUNS lists LUN 0, the
 * rest fail with LOGICAL UNIT NOT SUPPORTED). Fills cmd's outputs; never
 * fails otherwise: every bad value becomes a CHECK CONDITION or
 * SCSI_ACT_OVERRUN.
 */
void scsi_disk_exec(const struct scsi_lu *lu, struct scsi_cmd *cmd);

/*
 * scsi_cmd_begin - clear cmd's result before it runs: GOOD, done, no
 * sense, no data, no block transfer.
 */
void scsi_cmd_begin(struct scsi_cmd *cmd);

/*
 * scsi_set_sense - end cmd with CHECK CONDITION and fixed-format sense
 * data (response code 0x70) of sense key key and additional sense code
 * asc (ASCQ 0); no data-in. For the transport's I/O errors too.
 */
void scsi_set_sense(struct scsi_cmd *cmd, uint8_t key, uint8_t asc);

/* big-endian helpers of the CDB and data formats */
uint16_t scsi_be16(const uint8_t *p);
uint32_t scsi_be32(const uint8_t *p);
uint64_t scsi_be64(const uint8_t *p);
void scsi_put_be16(uint8_t *p, uint16_t v);
void scsi_put_be32(uint8_t *p, uint32_t v);
void scsi_put_be64(uint8_t *p, uint64_t v);

#endif
