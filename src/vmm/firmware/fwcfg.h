/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU's firmware configuration interface (fw_cfg), as SeaBIOS and OVMF
 * read it: a selector port (0x510, 16 bit), a data port (0x511, 8 bit)
 * and a DMA address register (0x514, 64 bit big-endian; writing its low
 * half at 0x518 runs the request). Items are read-only byte strings
 * selected by a 16-bit key; named files get keys from FW_CFG_FILE_FIRST
 * on and are listed in the directory item (FW_CFG_FILE_DIR).
 *
 * Every DMA descriptor and buffer address comes from the guest: each is
 * checked against guest RAM (struct gmem) before it is touched.
 */
#ifndef WIRT_VMM_FWCFG_H
#define WIRT_VMM_FWCFG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/mem.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DMA 0x514
#define FW_CFG_PORTS_LEN 12 /* 0x510..0x51b */

#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_MAX_FILES 32
#define FW_CFG_NAME_LEN 56

#define FW_CFG_DMA_ERROR 0x01u
#define FW_CFG_DMA_READ 0x02u
#define FW_CFG_DMA_SKIP 0x04u
#define FW_CFG_DMA_SELECT 0x08u
#define FW_CFG_DMA_WRITE 0x10u

/* Largest item: bounds every copy (the ACPI tables are 128 KiB). */
#define FW_CFG_MAX_ITEM (1u << 20)

struct fwcfg_item {
	uint16_t key;
	uint8_t *data; /* owned */
	uint32_t len;
	char name[FW_CFG_NAME_LEN]; /* files only */
};

#define FW_CFG_MAX_ITEMS (FW_CFG_MAX_FILES + 16)

struct fwcfg {
	const struct gmem *mem; /* guest RAM for DMA */
	pthread_mutex_t lock;
	struct fwcfg_item items[FW_CFG_MAX_ITEMS];
	unsigned int nitems;
	unsigned int nfiles;
	uint16_t sel; /* selected key */
	uint32_t off; /* read offset in the selected item */
	uint32_t dma_hi; /* high half of the DMA address register */
	uint64_t dma_count; /* DMA requests done (tests, statistics) */
};

/* fwcfg_init - empty device with signature, ID (DMA) and directory. */
void fwcfg_init(struct fwcfg *f, const struct gmem *mem);

/* fwcfg_free - release every item. */
void fwcfg_free(struct fwcfg *f);

/*
 * fwcfg_add - set numbered item key to a copy of data (len bytes),
 * replacing an earlier one. Returns 0, -ENOSPC, -EFBIG, -ENOMEM.
 */
int fwcfg_add(struct fwcfg *f, uint16_t key, const void *data, uint32_t len);

/*
 * fwcfg_add_file - set file name (1 to 55 bytes) to a copy of data,
 * replacing a file of that name; the directory is rebuilt. Returns 0,
 * -EINVAL (bad name), -ENOSPC, -EFBIG, -ENOMEM.
 */
int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data,
		   uint32_t len);

/* fwcfg_add_u16/u32/u64 - numbered items holding a little-endian value. */
int fwcfg_add_u16(struct fwcfg *f, uint16_t key, uint16_t v);
int fwcfg_add_u64(struct fwcfg *f, uint16_t key, uint64_t v);

/*
 * fwcfg_io - port access at off from FW_CFG_PORT_SEL (bus callback):
 * selector write, data read, DMA address write (runs the request), DMA
 * signature read.
 */
void fwcfg_io(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
	      bool wr);

#define FW_CFG_STATE_LEN 10

/* fwcfg_save - the guest's selection and DMA register into buf. */
void fwcfg_save(struct fwcfg *f, uint8_t *buf);

/*
 * fwcfg_load - state from fwcfg_save (len bytes, from a file): any
 * selector and offset are safe (reads past an item give zeros).
 * Returns 0 or -EINVAL for a wrong length.
 */
int fwcfg_load(struct fwcfg *f, const uint8_t *buf, size_t len);

/* fwcfg_reset - guest reset: nothing selected, DMA register cleared. */
void fwcfg_reset(struct fwcfg *f);

#endif
