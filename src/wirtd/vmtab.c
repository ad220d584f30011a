// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The table of domains wirtd knows (defined, or created and running), and
 * the names virsh gives their states and reasons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "wirtd/wirtd.h"

struct vmrec *vmtab_find(const char *key)
{
	struct vmrec *vm;
	uint64_t id = 0;
	bool numeric = !parse_uint(key, 1, INT32_MAX, &id);

	pthread_mutex_lock(&W->vmtab_lock);
	for (vm = W->vms; vm; vm = vm->next) {
		const char *uuid = domain_def(vm->def)->uuid;

		if (!strcmp(vm->name, key) ||
		    (uuid && !strcasecmp(uuid, key)) ||
		    (numeric && vm->id == (int)id))
			break;
	}
	pthread_mutex_unlock(&W->vmtab_lock);
	return vm;
}

struct vmrec *vmtab_add(const char *name, struct domain *def)
{
	struct vmrec *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	pthread_mutex_init(&vm->lock, NULL);
	vm->def = def;
	vm->state = VM_SHUTOFF;
	vm->reason = R_UNKNOWN;
	vm->id = -1;
	pthread_mutex_lock(&W->vmtab_lock);
	vm->next = W->vms;
	W->vms = vm;
	pthread_mutex_unlock(&W->vmtab_lock);
	return vm;
}

/*
 * vmtab_remove - take vm out of the table. The record itself is kept
 * (a request thread may still hold a pointer to it) on the list of removed
 * records, a few hundred bytes per undefine for the daemon's lifetime;
 * only its definition is freed. Called with vm->lock held.
 */
void vmtab_remove(struct vmrec *vm)
{
	struct vmrec **p;

	pthread_mutex_lock(&W->vmtab_lock);
	for (p = &W->vms; *p; p = &(*p)->next) {
		if (*p == vm) {
			*p = vm->next;
			vm->next = W->removed;
			W->removed = vm;
			break;
		}
	}
	pthread_mutex_unlock(&W->vmtab_lock);
	vm->name[0] = '\0';
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct vmrec *const *)a)->name,
		      (*(struct vmrec *const *)b)->name);
}

struct vmrec **vmtab_snapshot(unsigned int *n)
{
	struct vmrec *vm, **arr;
	unsigned int i = 0;

	pthread_mutex_lock(&W->vmtab_lock);
	for (vm = W->vms; vm; vm = vm->next)
		i++;
	arr = calloc(i + 1, sizeof(*arr));
	*n = 0;
	for (vm = W->vms; arr && vm; vm = vm->next)
		arr[(*n)++] = vm;
	pthread_mutex_unlock(&W->vmtab_lock);
	if (arr)
		qsort(arr, *n, sizeof(*arr), by_name);
	return arr;
}

const char *vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_RUNNING:
		return "running";
	case VM_PAUSED:
		return "paused";
	case VM_SHUTDOWN:
		return "in shutdown";
	case VM_SHUTOFF:
		return "shut off";
	case VM_CRASHED:
		return "crashed";
	default:
		return "no state";
	}
}

const char *vm_reason_name(enum vm_state s, int reason)
{
	static const char *const running[] = { "unknown",	"booted",
					       "migrated",	"restored",
					       "from snapshot", "unpaused" };
	static const char *const paused[] = { "unknown",   "user",
					      "migrating", "saving",
					      "dumping",   "I/O error",
					      "watchdog",  "from snapshot" };
	static const char *const shutoff[] = { "unknown",   "shutdown",
					       "destroyed", "crashed",
					       "migrated",  "saved",
					       "failed",    "from snapshot" };

	switch (s) {
	case VM_RUNNING:
		if (reason == R_UNPAUSED)
			return "unpaused";
		return reason < (int)ARRAY_SIZE(running) ? running[reason] :
							   "unknown";
	case VM_PAUSED:
		return reason < (int)ARRAY_SIZE(paused) ? paused[reason] :
							  "unknown";
	case VM_SHUTOFF:
		return reason < (int)ARRAY_SIZE(shutoff) ? shutoff[reason] :
							   "unknown";
	case VM_SHUTDOWN:
		return "user";
	default:
		return "unknown";
	}
}
