/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UEFI firmware (OVMF) in two CFI flash devices, as QEMU maps them: the
 * code image read-only and, right below it, the variable store writable,
 * the pair ending at 4 GiB. The variable store lives in a file (--nvram;
 * created from the image's VARS template when missing), read into memory
 * at start; what the firmware programs or erases is written back to it
 * and synced when the flash returns to read-array mode. Without --nvram
 * it is a copy of the template in memory. Both are KVM read-only memory
 * slots over a view that shows what reads return in the flash's mode
 * (the contents in read-array mode, else status, identifier or query
 * data); writes exit as MMIO and are decoded as flash commands. The
 * slots never change at run time. The PIIX pieces OVMF needs besides
 * are in piix.h.
 */
#ifndef WIRT_VMM_UEFI_H
#define WIRT_VMM_UEFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct uefi;
struct state_writer;

#define UEFI_CODE_PATH "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define UEFI_VARS_PATH "/usr/share/OVMF/OVMF_VARS_4M.fd"
#define UEFI_FLASH_MAX (16u << 20) /* code + variables, below 4 GiB */
#define UEFI_BLOCK 0x1000u /* flash erase block (OVMF's block size) */
#define UEFI_CODE_SLOT 2 /* KVM memory slots: the code ... */
#define UEFI_VARS_SLOT 3 /* ... and the variable store */
#define UEFI_MODES_LEN 8 /* two flash devices' mode registers */

/*
 * uefi_check_code - whether buf (len bytes, the whole file) is a UEFI
 * code image: a firmware volume header ("_FVH" at offset 40) whose length
 * fits the file, a size in 4 KiB units up to UEFI_FLASH_MAX and a jump at
 * the reset vector. Returns NULL when it is, or a static sentence.
 */
const char *uefi_check_code(const uint8_t *buf, size_t len);

/*
 * uefi_vars_template - the variable store template that goes with the
 * code image at code_path: the same name with its last "CODE" turned into
 * "VARS" (OVMF_CODE_4M.fd -> OVMF_VARS_4M.fd), if that file exists.
 * Returns a malloc'ed path or NULL.
 */
char *uefi_vars_template(const char *code_path);

/*
 * uefi_open - set up the flash pair for the code image (code, code_len
 * bytes, owned by the caller, named code_path) and the variable store:
 * nvram (may be NULL) or a memory copy of the template. Before KVM.
 * Returns 0 or -errno after printing one line naming the file.
 */
int uefi_open(struct uefi **out, const char *code_path, uint8_t *code,
	      size_t code_len, const char *nvram);

/*
 * uefi_setup_early - the PCI window OVMF uses and the ISA bridge (before
 * the other PCI devices, so it is 00:01.0). Returns 0 or -errno after
 * printing one line.
 */
int uefi_setup_early(struct vm *vm, struct uefi *u);

/*
 * uefi_setup - the PIIX4 PM function and the flash devices on the MMIO
 * bus. Returns 0 or -errno.
 */
int uefi_setup(struct vm *vm, struct uefi *u);

/*
 * uefi_map - give the new KVM VM the flash slots that are in read-array
 * mode. Returns 0 or -errno (*what names the failed step).
 */
int uefi_map(struct vm *vm, struct uefi *u, const char **what);

/* uefi_reset - both flashes back to read-array mode (guest reboot). */
void uefi_reset(struct uefi *u);

/*
 * uefi_save - the flash modes (UEFI_MODES_LEN bytes), the variable
 * store's length (32 bits, little-endian) and its contents, so a saved
 * state, snapshot or migration carries the variables of its instant.
 * Returns 0 or -ENOMEM.
 */
int uefi_save(struct uefi *u, struct state_writer *w);

/*
 * uefi_load - restore what uefi_save wrote (len bytes from a file,
 * checked): the store's contents replace the memory copy and are written
 * whole to the --nvram file, synced. A state from before the store was
 * saved (the modes only) leaves the store as the file has it. Returns 0,
 * -EINVAL (a bad or foreign section: nothing changed) or -EIO (the
 * contents are restored but the --nvram file could not be written).
 */
int uefi_load(struct uefi *u, const uint8_t *buf, size_t len);

/* uefi_free - write back the variable store and release everything. */
void uefi_free(struct uefi *u);

#endif
