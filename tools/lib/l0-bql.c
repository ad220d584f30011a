// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim for the testbed's L0 QEMU (Debian's, TCG emulating AMD
 * SVM): makes QEMU's TCG interrupt request take the big QEMU lock when
 * its caller did not.
 *
 * Why: QEMU's TCG (7.2 in Debian 12, 10.0 in its backports too) emulates
 * a guest's "mov %reg, %cr8" in SVM guest mode with virtual interrupt
 * masking by calling cpu_interrupt(CPU_INTERRUPT_VIRQ) from the vCPU
 * thread without the big lock whenever a virtual interrupt is pending,
 * and tcg_handle_interrupt() asserts that lock: QEMU aborts
 * ("tcg_handle_interrupt: assertion failed"). L1's KVM sets exactly that
 * up (V_INTR_MASKING, and V_IRQ while it waits for an interrupt window),
 * and OVMF writes CR8 on the way out of every interrupt handler, so an
 * OVMF guest in L2 brings the testbed down within seconds. QEMU's own
 * fix for the same mistake on the FPU error path (take the lock around
 * the interrupt request) is what this does, from outside.
 *
 * How: Debian builds TCG as a module (accel-tcg-x86_64.so) that takes
 * tcg_handle_interrupt's address through a GOT entry, so this library's
 * definition wins; it takes the lock if needed and calls the module's.
 * The lock functions are looked up by name (qemu_mutex_* up to 8.2,
 * bql_* after); if they are missing this does nothing but forward.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void handle_fn(void *cpu, int mask);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static handle_fn *real_handle;
static bool (*is_locked)(void);
static void (*lock_impl)(const char *file, int line);
static void (*unlock)(void);

/* dl_iterate_phdr callback: dlopen (no load) the TCG module, if found. */
static int find_module(struct dl_phdr_info *info, size_t size, void *data)
{
	void **handle = data;

	(void)size;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "/accel-tcg-"))
		return 0;
	*handle = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
	return *handle != NULL;
}

/* Resolve the module's handler and QEMU's lock functions, once. */
static void resolve(void)
{
	void *mod = NULL;

	real_handle = (handle_fn *)dlsym(RTLD_NEXT, "tcg_handle_interrupt");
	if (!real_handle) {
		dl_iterate_phdr(find_module, &mod);
		if (mod)
			real_handle =
				(handle_fn *)dlsym(mod, "tcg_handle_interrupt");
	}
	is_locked = (bool (*)(void))dlsym(RTLD_DEFAULT,
					  "qemu_mutex_iothread_locked");
	lock_impl = (void (*)(const char *, int))dlsym(
		RTLD_DEFAULT, "qemu_mutex_lock_iothread_impl");
	unlock = (void (*)(void))dlsym(RTLD_DEFAULT,
				       "qemu_mutex_unlock_iothread");
	if (!is_locked || !lock_impl || !unlock) {
		is_locked = (bool (*)(void))dlsym(RTLD_DEFAULT, "bql_locked");
		lock_impl = (void (*)(const char *, int))dlsym(RTLD_DEFAULT,
							       "bql_lock_impl");
		unlock = (void (*)(void))dlsym(RTLD_DEFAULT, "bql_unlock");
	}
}

/* QEMU's TCG interrupt request, with the big lock held around it. */
void tcg_handle_interrupt(void *cpu, int mask)
{
	bool take;

	pthread_once(&once, resolve);
	if (!real_handle) {
		fputs("l0-bql: QEMU's tcg_handle_interrupt not found: run the testbed without LD_PRELOAD\n",
		      stderr);
		abort();
	}
	take = is_locked && lock_impl && unlock && !is_locked();
	if (take)
		lock_impl(__FILE__, __LINE__);
	real_handle(cpu, mask);
	if (take)
		unlock();
}
