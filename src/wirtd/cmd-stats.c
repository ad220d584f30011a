// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Monitoring: domstats (virsh's keys: state, cpu, balloon, vcpu, block)
 * from /proc and the VM's QMP (query-balloon, query-blockstats).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/vmtaps.h"
#include "wirtd/wirtd.h"

uint64_t current_kib(struct vmrec *vm, struct cmd_ctx *c)
{
	const struct dom_def *d = domain_def(vm->def);
	struct json_object *r = NULL, *v;
	uint64_t kib = d->current_memory_kib ?: d->memory_kib;
	char err[256];

	if ((vm->state == VM_RUNNING || vm->state == VM_PAUSED) && d->balloon &&
	    !vm_qmp(vm, "query-balloon", NULL, &r, err, sizeof(err)) &&
	    json_object_object_get_ex(r, "actual", &v))
		kib = (uint64_t)json_object_get_int64(v) / 1024;
	json_object_put(r);
	return kib;
}

static void put(struct json_object *a, const char *key, uint64_t v)
{
	struct json_object *p = json_object_new_array();

	json_object_array_add(p, json_object_new_string(key));
	json_object_array_add(p, json_object_new_uint64(v));
	json_object_array_add(a, p);
}

static void put_s(struct json_object *a, const char *key, const char *v)
{
	struct json_object *p = json_object_new_array();

	json_object_array_add(p, json_object_new_string(key));
	json_object_array_add(p, json_object_new_string(v));
	json_object_array_add(a, p);
}

static uint64_t field(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ?
		       (uint64_t)json_object_get_int64(v) :
		       0;
}

/* block_stats - block.N.* for each disk from query-blockstats. */
static void block_stats(struct vmrec *vm, struct json_object *a)
{
	const struct dom_def *d = domain_def(vm->def);
	struct json_object *r = NULL, *e, *s;
	char k[64], err[256];
	unsigned int i, j, n;
	struct stat st;

	put(a, "block.count", d->ndisks);
	if (vm->state != VM_RUNNING && vm->state != VM_PAUSED)
		r = NULL;
	else if (vm_qmp(vm, "query-blockstats", NULL, &r, err, sizeof(err)))
		r = NULL;
	for (i = 0; i < d->ndisks; i++) {
		snprintf(k, sizeof(k), "block.%u.name", i);
		put_s(a, k, d->disks[i].target);
		snprintf(k, sizeof(k), "block.%u.path", i);
		put_s(a, k, d->disks[i].source ?: "");
		n = r ? json_object_array_length(r) : 0;
		for (j = 0; j < n; j++) {
			e = json_object_array_get_idx(r, j);
			if (!json_object_object_get_ex(e, "device", &s) ||
			    strcmp(json_object_get_string(s),
				   d->disks[i].target) ||
			    !json_object_object_get_ex(e, "stats", &s))
				continue;
			static const char *const keys[][2] = {
				{ "rd.reqs", "rd_operations" },
				{ "rd.bytes", "rd_bytes" },
				{ "rd.times", "rd_total_time_ns" },
				{ "wr.reqs", "wr_operations" },
				{ "wr.bytes", "wr_bytes" },
				{ "wr.times", "wr_total_time_ns" },
				{ "fl.reqs", "flush_operations" },
				{ "fl.times", "flush_total_time_ns" },
			};
			for (unsigned int x = 0; x < ARRAY_SIZE(keys); x++) {
				snprintf(k, sizeof(k), "block.%u.%s", i,
					 keys[x][0]);
				put(a, k, field(s, keys[x][1]));
			}
		}
		if (d->disks[i].source && !stat(d->disks[i].source, &st)) {
			snprintf(k, sizeof(k), "block.%u.physical", i);
			put(a, k, (uint64_t)st.st_blocks * 512);
		}
	}
	json_object_put(r);
}

/* sysfs_stat - /sys/class/net/IF/statistics/NAME, or 0. */
static uint64_t sysfs_stat(const char *ifname, const char *name)
{
	char path[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname,
		 name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* The guest's view of a tap's counters: what the tap sends (tx) the guest
 * receives (rx), as libvirt reports them. */
static const char *const net_keys[][2] = {
	{ "rx.bytes", "tx_bytes" }, { "rx.pkts", "tx_packets" },
	{ "rx.errs", "tx_errors" }, { "rx.drop", "tx_dropped" },
	{ "tx.bytes", "rx_bytes" }, { "tx.pkts", "rx_packets" },
	{ "tx.errs", "rx_errors" }, { "tx.drop", "rx_dropped" },
};

/* net_stats - net.N.* for each interface with a host tap (running VM). */
static void net_stats(struct vmrec *vm, struct json_object *a)
{
	const struct dom_def *d = domain_def(vm->def);
	unsigned int i, n = 0, k;
	char key[64];

	for (i = 0; i < d->nnics; i++)
		n += vm_nic_tap(vm, i) != NULL;
	put(a, "net.count", n);
	for (i = 0, n = 0; i < d->nnics; i++) {
		if (!vm_nic_tap(vm, i))
			continue;
		snprintf(key, sizeof(key), "net.%u.name", n);
		put_s(a, key, vm_nic_tap(vm, i));
		for (k = 0; k < ARRAY_SIZE(net_keys); k++) {
			snprintf(key, sizeof(key), "net.%u.%s", n,
				 net_keys[k][0]);
			put(a, key,
			    sysfs_stat(vm_nic_tap(vm, i), net_keys[k][1]));
		}
		n++;
	}
}

struct json_object *cmd_ifstats(struct json_object *args, struct cmd_ctx *c)
{
	const char *ifname = arg_str(args, "interface");
	struct vmrec *vm = lock_vm(args, c);
	struct json_object *o = NULL;
	const struct dom_def *d;
	unsigned int i, k;

	if (!vm)
		return NULL;
	d = domain_def(vm->def);
	for (i = 0; ifname && i < d->nnics; i++)
		if ((vm_nic_tap(vm, i) && !strcmp(vm_nic_tap(vm, i), ifname)) ||
		    (d->nics[i].mac && !strcasecmp(d->nics[i].mac, ifname)))
			break;
	if (!ifname || i == d->nnics || !vm_nic_tap(vm, i)) {
		snprintf(c->err, c->errlen,
			 "invalid argument: '%s' is not a known interface",
			 ifname ? ifname : "");
	} else if (running(vm, c)) {
		o = json_object_new_object();
		json_object_object_add(
			o, "interface",
			json_object_new_string(vm_nic_tap(vm, i)));
		for (k = 0; k < ARRAY_SIZE(net_keys); k++)
			json_object_object_add(
				o, net_keys[k][0],
				json_object_new_uint64(sysfs_stat(
					vm_nic_tap(vm, i), net_keys[k][1])));
	}
	pthread_mutex_unlock(&vm->lock);
	return o;
}

/* vm_stats - the [key, value] pairs of one VM (vm->lock held). */
static struct json_object *vm_stats(struct vmrec *vm, struct cmd_ctx *c)
{
	const struct dom_def *d = domain_def(vm->def);
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	bool up = vm->state == VM_RUNNING || vm->state == VM_PAUSED;

	json_object_object_add(o, "name", json_object_new_string(vm->name));
	put(a, "state.state", vm->state);
	put(a, "state.reason", vm->reason);
	if (up)
		put(a, "cpu.time", vm_cpu_time_ns(vm));
	put(a, "balloon.current",
	    up ? current_kib(vm, c) : (d->current_memory_kib ?: d->memory_kib));
	put(a, "balloon.maximum", d->memory_kib);
	put(a, "vcpu.current", d->vcpus);
	put(a, "vcpu.maximum", d->vcpus);
	if (up)
		net_stats(vm, a);
	block_stats(vm, a);
	json_object_object_add(o, "stats", a);
	return o;
}

struct json_object *cmd_domstats(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *list = json_object_new_array(), *names, *n;
	unsigned int cnt, i;
	struct vmrec **v;

	if (args && json_object_object_get_ex(args, "domains", &names) &&
	    json_object_array_length(names)) {
		for (i = 0; i < json_object_array_length(names); i++) {
			struct json_object *a = json_object_new_object();
			struct vmrec *vm;

			n = json_object_array_get_idx(names, i);
			json_object_object_add(a, "domain", json_object_get(n));
			vm = lock_vm(a, c);
			json_object_put(a);
			if (!vm) {
				json_object_put(list);
				json_object_put(o);
				return NULL;
			}
			json_object_array_add(list, vm_stats(vm, c));
			pthread_mutex_unlock(&vm->lock);
		}
	} else {
		v = vmtab_snapshot(&cnt);
		for (i = 0; v && i < cnt; i++) {
			pthread_mutex_lock(&v[i]->lock);
			if (v[i]->name[0])
				json_object_array_add(list, vm_stats(v[i], c));
			pthread_mutex_unlock(&v[i]->lock);
		}
		free(v);
	}
	json_object_object_add(o, "domains", list);
	return o;
}
