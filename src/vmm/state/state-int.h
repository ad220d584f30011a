/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of the state module shared by its files. */
#ifndef WIRT_VMM_STATE_INT_H
#define WIRT_VMM_STATE_INT_H

#include <linux/kvm.h>
#include <stdbool.h>

#include "vmm/devices/uart8250.h"
#include "vmm/state/state.h"

/*
 * Bounds on what a state file may ask of a restore (file.c checks them
 * before any section is read; the save refuses to write more).
 */
#define STATE_CONFIG_MAX (256u << 10) /* the saved configuration text */
#define STATE_XSAVE_MAX (64u << 10) /* a vCPU's XSAVE area */
#define STATE_MSRS_MAX 4096u /* MSRs per vCPU */
/* one device hook's section (a UEFI variable store is up to 16 MiB) */
#define STATE_DEVICE_MAX (16u << 20)
#define STATE_META_MAX (32u << 20) /* every section but RAM, together */
#define STATE_MAX_DEVICES 64u /* device hook instances */
#define STATE_MAX_VCPUS 255u /* vCPU instances (VMM_MAX_CPUS) */

/* One section read into memory. */
struct state_blob {
	uint32_t type, instance;
	uint8_t *data;
	size_t len;
};

/* A state file opened for restore. */
struct state_in {
	int fd;
	struct state_hdr hdr;
	struct state_blob sec[STATE_MAX_SECTIONS];
	unsigned int n;
	struct state_sec_ent ram; /* the RAM image */
	bool have_ram;
};

/* SEC_VM */
struct state_vm {
	struct kvm_irqchip chip[3]; /* PIC master, PIC slave, IOAPIC */
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	uint32_t ged_events;
	uint32_t ncpus;
};

/* SEC_VCPU: followed by xsave_len bytes of XSAVE, then nmsrs entries */
struct state_vcpu {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_xcrs xcrs;
	uint32_t xsave_len;
	uint32_t nmsrs;
};

/* SEC_RAM_INFO */
struct state_ram_info {
	uint64_t size; /* guest RAM bytes (cfg->memory) */
	uint64_t pages; /* non-zero pages written */
	uint32_t crc; /* CRC32 of those pages, in address order */
	uint32_t reserved;
};

/* SEC_DEVICE: the hook's name, then its bytes */
#define STATE_DEV_NAME 32

struct vm;

/* The saved configuration's name of each enum vdev_kind (file.c). */
#define STATE_VDEV_KINDS 6
extern const char *const state_vdev_kinds[STATE_VDEV_KINDS];

/* Bytes of this host's XSAVE area (KVM_CAP_XSAVE2, at least 4096). */
int state_xsave_size(struct vm *vm);

/* state_crc - zlib CRC32 over any length. */
uint32_t state_crc(uint32_t crc, const void *buf, size_t len);

/*
 * state_in_read - open path, check the header and every section but RAM
 * (read and CRC-checked). Returns 0 with *out, or -errno after printing
 * one error line naming the file and the problem.
 */
int state_in_read(const char *path, struct state_in **out);

void state_in_free(struct state_in *in);

/* The section of type and instance, or NULL. */
const struct state_blob *state_find(const struct state_in *in, uint32_t type,
				    uint32_t instance);

#endif
