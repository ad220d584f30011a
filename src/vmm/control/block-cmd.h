/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP query-block and query-blockstats over the VM's disks
 * (vmm/vm-disks.h), in the shapes QEMU gives them (BlockInfo,
 * BlockStats) for a `-drive if=virtio` disk, which is what libvirt reads.
 *
 * Names: "device" is the disk's id= or "virtio<N>"; "qdev" is
 * "/machine/peripheral/<id>/virtio-backend" for a disk with id=, else
 * "/machine/peripheral-anon/device[<N>]/virtio-backend"; the format layer's
 * node-name is "<device>-format", the file layer's "<device>-storage".
 */
#ifndef WIRT_VMM_BLOCK_CMD_H
#define WIRT_VMM_BLOCK_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/control/qmp.h"

struct vm_disk;

/* block_info_json - the query-block entry (BlockInfo) of disk e. */
struct json_object *block_info_json(const struct vm_disk *e);

/*
 * block_stats_json - the query-blockstats entry (BlockStats) of disk e,
 * with idle_time_ns measured at now_ns (blk_stats_now()). With nodes set
 * (query-nodes): the format node's entry, without device and qdev.
 */
struct json_object *block_stats_json(const struct vm_disk *e, uint64_t now_ns,
				     bool nodes);

/* QMP handlers (opaque is the struct vm) */
int cmd_query_block(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err);
int cmd_query_blockstats(void *opaque, struct json_object *args,
			 struct json_object **ret, struct qmp_error *err);

#endif
