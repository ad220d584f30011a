/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One virtual machine: guest RAM, the KVM VM and its vCPUs, the platform
 * devices, and the run/stop/reset state machine shared by all threads.
 */
#ifndef WIRT_VMM_VM_H
#define WIRT_VMM_VM_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/acpi/acpi.h"
#include "vmm/boot/layout.h"
#include "vmm/bus.h"
#include "vmm/mem.h"
#include "vmm/vm-pause.h"
#include "vmm/vmm.h"

struct uart8250;
struct pci_bus;
struct vm;
struct console;
struct vcpu;
struct vm_disks;
struct state_writer;
struct state_in;

/* Why the VM stopped running; the first request wins. */
enum vm_request {
	VM_RUNNING = 0,
	VM_POWEROFF, /* guest powered off: exit 0 */
	VM_RESET, /* guest asked for a reset: reboot or exit 0 */
	VM_QUIT, /* host user asked to quit (Ctrl-A x, signal): exit 0 */
	VM_CRASH, /* guest or KVM failure: exit 1 */
	VM_REVERT, /* loadvm: restore a snapshot (vm->revert), go on */
};

/*
 * Devices that hold KVM objects (irqfds, ioeventfds, MSI routes) or state
 * to reset register a hook. wirt-vmm creates a fresh KVM VM at every boot
 * (a guest reboot gets clean vCPUs and irqchip), so kvm_attach runs after
 * each KVM VM is created and kvm_detach before it is closed; reset runs at
 * a guest reboot while no vCPU runs; destroy once at the end. Any may be
 * NULL. Hooks run in registration order (detach in reverse).
 */
struct vm_hook {
	const char *name;
	int (*kvm_attach)(struct vm *vm, void *opaque);
	void (*kvm_detach)(struct vm *vm, void *opaque);
	void (*reset)(struct vm *vm, void *opaque);
	void (*destroy)(struct vm *vm, void *opaque);
	void *opaque;
};

/*
 * Save/restore of a device (QMP migrate, --incoming), registered with
 * vm_add_state_hook next to its vm_hook (same opaque). save runs while
 * every vCPU is parked: flush what the guest wrote (disks) and append the
 * device state with state_put() (vmm/state/state.h); load gets those
 * bytes back (hostile input: validate) after kvm_attach, before the vCPUs
 * run. A vm_hook with kvm_attach or reset and no state hook of the same
 * opaque makes migrate fail, naming the device. Both return 0 or -errno.
 */
struct vm_state_hook {
	const char *name;
	int (*save)(struct vm *vm, void *opaque, struct state_writer *w);
	int (*load)(struct vm *vm, void *opaque, const void *buf, size_t len);
	void *opaque;
	/*
	 * optional, before any state (vCPUs, irqchip, other devices) is
	 * read: finish in-flight work (its interrupts must reach the saved
	 * irqchip), flush, and hold the device's threads so nothing changes
	 * until resume. Returns 0 or -errno.
	 */
	int (*quiesce)(struct vm *vm, void *opaque);
	/*
	 * optional: the save finished (or failed) and the VM may go on:
	 * undo what quiesce held. Runs for every hook whose quiesce ran, in
	 * reverse order.
	 */
	void (*resume)(struct vm *vm, void *opaque);
	/* optional: why the device cannot be saved now, or NULL */
	const char *(*blocker)(struct vm *vm, void *opaque);
};

/*
 * What the core reports upward: the layer above it (control/) installs a
 * sink with vm_set_events() and turns these into QMP events; the core
 * and the devices never call that layer by name. Without a sink, events
 * are dropped.
 */
enum vm_event {
	/*
	 * The vCPUs left for a stop that ends this KVM VM (not a snapshot
	 * revert); main thread. A running save (migrate, savevm) must let go
	 * of the VM before its vCPUs are destroyed: return once it did.
	 */
	VM_EV_STOPPING,
	/* The VM stopped for reason arg (enum vm_request); main thread, after
	 * the vCPUs are gone. */
	VM_EV_STOPPED,
	/* The balloon's actual changed: arg is the guest's memory in bytes. */
	VM_EV_BALLOON_CHANGE,
	/* vm_destroy begins: release what the sink holds (its threads). */
	VM_EV_DESTROY,
};

struct vm_events {
	void (*event)(void *opaque, struct vm *vm, enum vm_event ev,
		      uint64_t arg);
	void *opaque;
};

/*
 * Console input redirected to a device (--console virtio: hvc0), set by
 * that device; called under vm->lock from the console's input thread.
 * Returns how many bytes were taken (never blocks).
 */
typedef size_t (*vm_console_input_fn)(void *opaque, const uint8_t *buf,
				      size_t len);

#define VM_MAX_HOOKS 48

struct vm {
	const struct vmm_config *cfg;
	int kvm_fd;
	int vm_fd;
	int run_size;
	struct kvm_cpuid2 *cpuid; /* KVM's supported set, adjusted per vCPU */

	uint8_t *ram; /* host mapping: low RAM, then high RAM */
	struct boot_layout lay;
	struct gmem mem; /* the same RAM, for guest-address checks */
	struct acpi_config acpi; /* devices add what the tables describe */
	int kernel_fd; /* the bzImage file, mapped at each (re)boot */
	size_t kernel_len;
	struct bzimage_info bz; /* what it held at start */
	int initrd_fd; /* --initrd, kept open for reboots (sandbox), or -1 */
	struct firmware *fw; /* --firmware (vmm/firmware), else NULL */
	/* the firmware's PCI 32-bit MMIO window, set before the bus exists */
	uint64_t pci_win_base, pci_win_size; /* size 0: the default */

	struct bus pio;
	struct bus mmio;
	struct uart8250 *uart;
	struct console *console;

	struct vcpu *vcpus;
	unsigned int ncpus;

	struct vm_hook hooks[VM_MAX_HOOKS];
	unsigned int nhooks;
	struct vm_state_hook state_hooks[VM_MAX_HOOKS];
	unsigned int nstate_hooks;
	struct pci_bus *pci; /* NULL until a PCI device is added */
	/* --console virtio: hvc0 gets the input (under lock), else NULL */
	vm_console_input_fn con_input;
	void *con_input_opaque;

	pthread_mutex_t lock; /* request, vm_fd swaps for irq injection */
	enum vm_request request;
	int wake_fd; /* eventfd: main thread wakes on a request */
	atomic_uint io_exits; /* exits since boot, tells real resets apart */
	atomic_uint ged_events; /* pending GED events, read-to-clear */
	atomic_uint pm1_regs; /* ACPI PM1 enable (bits 0-15), control (16-31) */
	struct vm_pause pause; /* stop/cont (vm-pause.c) */
	struct vm_events events; /* the upper layer's sink (control.c) */
	struct vm_disks *disks; /* --disk names for QMP (vm-disks.c) */
	struct state_in *incoming; /* --incoming: state to load at boot */
	char incoming_label[PATH_MAX + 80]; /* its name in error lines */
	/*
	 * VM_REVERT: with no vCPU and the devices reset, put the disks back
	 * and state_open() the snapshot; 0 or -errno. revert_result is 1
	 * until the restored VM runs, then 0, or -errno when it failed.
	 */
	int (*revert)(struct vm *vm);
	int revert_result;
};

/*
 * vm_prepare - read and check the kernel, initrd, command line and memory
 * size before KVM is touched, so bad input is reported first.
 * Returns 0, or a negative errno after printing one error line.
 */
int vm_prepare(struct vm *vm, const struct vmm_config *cfg);

/*
 * vm_setup - without KVM: map guest RAM, create the platform devices and
 * the console. main.c then creates the command-line devices (--disk,
 * --net, ...: vdevs_create) and the control socket, so every input error
 * is reported before /dev/kvm is opened.
 * Returns 0, or a negative errno after printing one line.
 */
int vm_setup(struct vm *vm);

/*
 * vm_init - with KVM open: check the vCPU count against it, query CPUID,
 * open the --incoming state. Returns 0, or a negative errno after printing
 * one line.
 */
int vm_init(struct vm *vm, int kvm_fd);

/*
 * vm_run - boot the guest, rebooting it in place on a reset unless
 * --no-reboot. Returns the process exit status (0 poweroff/quit, 1 crash,
 * 2 host-side failure).
 */
int vm_run(struct vm *vm);

/* vm_destroy - release everything vm_init made. */
void vm_destroy(struct vm *vm);

/*
 * vm_request_stop - ask every vCPU to stop for reason req (ignored when a
 * request is already pending, except that a crash overrides). Any thread.
 */
void vm_request_stop(struct vm *vm, enum vm_request req);

/* vm_add_hook - register h (copied). Returns 0 or -ENOSPC. */
int vm_add_hook(struct vm *vm, const struct vm_hook *h);

/* vm_add_state_hook - register h (copied). Returns 0 or -ENOSPC. */
int vm_add_state_hook(struct vm *vm, const struct vm_state_hook *h);

/*
 * vm_set_events - install the event sink: control_init at set-up, and
 * an empty one when it closes (VM_EV_DESTROY).
 */
static inline void vm_set_events(struct vm *vm, const struct vm_events *ev)
{
	vm->events = *ev;
}

/* vm_emit - report event ev with its argument to the sink, if any. */
static inline void vm_emit(struct vm *vm, enum vm_event ev, uint64_t arg)
{
	if (vm->events.event)
		vm->events.event(vm->events.opaque, vm, ev, arg);
}

/* vm_set_irq - drive GSI gsi to level on the in-kernel irqchip. */
void vm_set_irq(struct vm *vm, unsigned int gsi, int level);

#endif
