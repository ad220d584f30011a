/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wirt-vmm state file (QMP migrate to file:PATH, --incoming).
 *
 * Layout, all integers little-endian (x86 only):
 *   page 0      header: magic "WIRTVMST", format version, section count,
 *               the file size it describes, CRC32 of the header itself;
 *               then the section table (type, instance, offset, length,
 *               CRC32 of the section's bytes).
 *   sections    CONFIG (text), VM (irqchip, PIT, clock), one VCPU per
 *               vCPU, UART, PLATFORM, one DEVICE per device hook, RAM_INFO
 *               (CRC32 of the non-zero guest pages), each 8-byte aligned.
 *   RAM         guest memory as one page-aligned image of cfg->memory
 *               bytes (low RAM then high RAM); zero pages are holes never
 *               written, so the file is sparse, and --incoming maps it
 *               MAP_PRIVATE: pages are read when the guest touches them.
 */
#ifndef WIRT_VMM_STATE_H
#define WIRT_VMM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/vmm.h"

struct vm;

#define STATE_MAGIC "WIRTVMST"
#define STATE_VERSION 1
#define STATE_HDR_SIZE 4096
#define STATE_MAX_SECTIONS 120

enum state_sec {
	SEC_CONFIG = 1,
	SEC_VM = 2,
	SEC_VCPU = 3,
	SEC_UART = 4,
	SEC_PLATFORM = 5,
	SEC_DEVICE = 6,
	SEC_RAM_INFO = 7,
	SEC_RAM = 8,
};

struct state_sec_ent {
	uint32_t type;
	uint32_t instance;
	uint64_t offset;
	uint64_t length;
	uint32_t crc;
	uint32_t reserved;
};

struct state_hdr {
	char magic[8];
	uint32_t version;
	uint32_t nsections;
	uint64_t file_size;
	uint32_t hdr_crc; /* CRC32 of the 4 KiB header with this field 0 */
	uint32_t reserved;
	struct state_sec_ent sec[STATE_MAX_SECTIONS];
	uint8_t pad[STATE_HDR_SIZE - 32 - STATE_MAX_SECTIONS * 32];
};

_Static_assert(sizeof(struct state_hdr) == STATE_HDR_SIZE,
	       "the header is one page");

/* Appends bytes to the section being written (device save hooks). */
struct state_writer;

/* state_put - append len bytes to w's section. Returns 0 or -errno. */
int state_put(struct state_writer *w, const void *buf, size_t len);

/*
 * While every device is quiesced and the state file is complete: take
 * the disks' part of a snapshot. Returns 0, or -errno with a one-line
 * reason in err (the save then fails and its file is removed).
 */
typedef int (*state_held_fn)(struct vm *vm, void *arg, char *err,
			     size_t errlen);

/*
 * state_save - write the whole VM to path. Every vCPU must be parked
 * (vm_pause). done/total are updated as guest memory is written; a true
 * *cancel stops early. held (may be NULL) runs with arg before the
 * devices go on. Returns 0, or -errno with a one-line reason in err.
 */
int state_save(struct vm *vm, const char *path, volatile uint64_t *done,
	       volatile const bool *cancel, state_held_fn held, void *arg,
	       char *err, size_t errlen);

/*
 * state_check_devices - whether every device can be saved now. Returns
 * true, or false with a one-phrase reason naming the first device that
 * cannot (no save hook, or its blocker says err) in err.
 */
bool state_check_devices(struct vm *vm, char *err, size_t errlen);

/*
 * state_merge_config - read the configuration saved in cfg->incoming and
 * make it cfg's: options the user gave must match it; host-side settings
 * (console, name, --api-socket) stay the user's. Host files it names (the
 * kernel, initrd, disk and network devices) must have been given again
 * unless cfg->trust_saved_config. Returns 0, or -errno after printing one
 * error line (-EPERM: options to repeat, listed in it).
 */
int state_merge_config(struct vmm_config *cfg);

/*
 * state_open - for --incoming (and a snapshot revert): validate the whole
 * file at path (header, section table and bounds, section checksums,
 * vCPU sections against vm->ncpus, size, memory checksum), map
 * guest memory from it over vm->ram and keep the rest for state_restore;
 * label starts its error lines ("--incoming 'FILE'"). Returns 0 or
 * -errno after printing one error line.
 */
int state_open(struct vm *vm, const char *path, const char *label);

/*
 * state_restore - load the saved state into the freshly created KVM VM and
 * vCPUs (after kvm_attach, before the vCPUs start), then release it.
 * Returns 0 or -errno after printing one error line.
 */
int state_restore(struct vm *vm);

/*
 * state_check_file - whether the state file at path is intact and was
 * saved from a VM like vm (memory, vCPUs, devices), before a snapshot
 * revert commits to it. Returns 0, or -errno with a phrase in err.
 */
int state_check_file(struct vm *vm, const char *path, char *err, size_t errlen);

/* state_close - free what state_open kept (vm_destroy). */
void state_close(struct vm *vm);

#endif
