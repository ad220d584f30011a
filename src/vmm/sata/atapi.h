/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An ATAPI CD-ROM drive: the MMC commands firmware, bootloaders and
 * Linux's sr driver send (TEST UNIT READY, REQUEST SENSE, INQUIRY, READ
 * CAPACITY, READ(10)/(12), MODE SENSE(10), READ TOC, GET CONFIGURATION,
 * GET EVENT STATUS NOTIFICATION, READ DISC INFORMATION, PREVENT ALLOW
 * MEDIUM REMOVAL, START STOP UNIT) and the IDENTIFY PACKET DEVICE data.
 * Pure functions over a buffer: the transport (AHCI) moves the bytes and
 * reads the medium. The medium is read-only; it can be ejected and
 * another inserted (unit attention and a media event tell the guest).
 */
#ifndef WIRT_VMM_SATA_ATAPI_H
#define WIRT_VMM_SATA_ATAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATAPI_BLOCK 2048u
#define ATAPI_CDB_LEN 12
#define ATAPI_IDENTIFY_LEN 512
#define ATAPI_REPLY_MAX 256 /* the longest reply but a READ's data */

/* SCSI sense keys and additional sense codes used here */
#define SENSE_NONE 0x0
#define SENSE_NOT_READY 0x2
#define SENSE_UNIT_ATTENTION 0x6
#define SENSE_MEDIUM_ERROR 0x3
#define SENSE_ILLEGAL_REQUEST 0x5
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_SAVING_NOT_SUPPORTED 0x39
#define ASC_READ_ERROR 0x11
#define ASC_MEDIUM_CHANGED 0x28
#define ASC_NO_MEDIUM 0x3a

struct atapi {
	uint64_t blocks; /* medium size in ATAPI_BLOCK units */
	uint8_t sense_key, asc, ascq; /* of the last failed command */
	bool locked; /* PREVENT MEDIUM REMOVAL */
	bool present; /* a medium is loaded */
	bool unit_attention; /* the medium changed: the next command fails */
	uint8_t media_event; /* for GET EVENT STATUS NOTIFICATION, or 0 */
};

/* What atapi_exec asks of the transport. */
struct atapi_result {
	bool check; /* CHECK CONDITION: the sense is in the struct atapi */
	uint32_t len; /* reply bytes in buf (not READ) */
	uint64_t read_lba; /* READ: first block to read from the medium */
	uint32_t read_blocks; /* READ: blocks (0: none) */
};

/* atapi_init - a drive holding a medium of blocks 2048-byte blocks. */
void atapi_init(struct atapi *a, uint64_t blocks);

/*
 * atapi_reset - device reset: sense cleared, medium unlocked (it stays
 * loaded, a pending media change is still reported).
 */
void atapi_reset(struct atapi *a);

/*
 * atapi_insert - a new medium of blocks blocks is loaded: the next
 * command but INQUIRY, REQUEST SENSE and GET EVENT STATUS NOTIFICATION
 * gets UNIT ATTENTION (medium may have changed), and a new-media event.
 */
void atapi_insert(struct atapi *a, uint64_t blocks);

/*
 * atapi_eject - unload the medium (a media-removal event), unless the
 * guest locked it and force is false. Returns 0 or -EBUSY.
 */
int atapi_eject(struct atapi *a, bool force);

/*
 * atapi_exec - run the 12-byte command cdb. A reply of at most
 * ATAPI_REPLY_MAX bytes (truncated to the command's allocation length)
 * goes to buf; a READ's range, checked against the medium, comes back
 * in res for the transport to read. A failed command sets res->check
 * and the sense data (REQUEST SENSE returns it).
 */
void atapi_exec(struct atapi *a, const uint8_t *cdb, uint8_t *buf,
		struct atapi_result *res);

/*
 * atapi_set_error - record sense key/asc for a failure the transport
 * found (e.g. a read error of the medium).
 */
void atapi_set_error(struct atapi *a, uint8_t key, uint8_t asc);

/* atapi_identify - the 512 bytes of IDENTIFY PACKET DEVICE into buf. */
void atapi_identify(const struct atapi *a, uint8_t *buf);

#endif
