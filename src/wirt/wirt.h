/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wirt, the command-line client of wirtd: virsh's commands and output. */
#ifndef WIRT_WIRT_WIRT_H
#define WIRT_WIRT_WIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct json_object;

#define FLAGS_MAX 24

/* A parsed command line: flags seen and positional arguments. */
struct cmdline {
	const char *pos[4];
	int npos;
	const char *flags[FLAGS_MAX];
	const char *vals[FLAGS_MAX]; /* the value of a "name=" flag */
	int nflags;
};

struct ctx {
	int sock;
	const char *cmd;
	const char *uri; /* as given with -c, or wirt:///system */
	struct cmdline cl;
	char err[2048];
};

/* ---- main.c: helpers of the commands ---- */
bool flag(const struct ctx *c, const char *f);
const char *value(const struct ctx *c, const char *f);
/* fail - print "error: ERR" and a blank line; returns 1. */
int fail(struct ctx *c);
/* call - one request to wirtd; NULL after printing the error. */
struct json_object *call(struct ctx *c, const char *cmd,
			 struct json_object *args, int *fd);
/* dom_args - {"domain": the first positional argument}. */
struct json_object *dom_args(const struct ctx *c);
const char *str(struct json_object *o, const char *k);
long long num(struct json_object *o, const char *k);
bool yes(struct json_object *o, const char *k);
/* read_file_arg - the whole of path, malloc'd, or NULL (c->err set). */
char *read_file_arg(struct ctx *c, const char *path);

/* ---- cmd-host.c, cmd-dev.c: more commands ---- */
int do_version(struct ctx *c);
int do_uri(struct ctx *c);
int do_hostname(struct ctx *c);
int do_nodeinfo(struct ctx *c);
int do_domblklist(struct ctx *c);
int do_domiflist(struct ctx *c);
int do_domblkstat(struct ctx *c);
int do_domifstat(struct ctx *c);
int do_dommemstat(struct ctx *c);
int do_setmem(struct ctx *c);
int do_change_media(struct ctx *c);
int do_edit(struct ctx *c);
int do_install(struct ctx *c);
int do_clone(struct ctx *c);
/* ---- cmd-backup.c ---- */
int do_backup(struct ctx *c);
int do_backup_begin(struct ctx *c);
int do_backup_dumpxml(struct ctx *c);
/* ---- cmd-bkcheck.c ---- */
int do_backup_restore(struct ctx *c);
int do_backup_verify(struct ctx *c);
int do_domjobinfo(struct ctx *c);
int do_domjobabort(struct ctx *c);
/* ---- cmd-net.c: net-* commands ---- */
int do_net_list(struct ctx *c);
int do_net_info(struct ctx *c);
int do_net_dumpxml(struct ctx *c);
int do_net_define(struct ctx *c);
int do_net_simple(struct ctx *c);
int do_net_dhcp_leases(struct ctx *c);
int do_net_update(struct ctx *c);
int do_domifaddr(struct ctx *c);
/* do_console_named - the console of the domain named by pos[0]. */
int do_console_named(struct ctx *c);

/* ---- cmd-pool.c, cmd-vol.c: storage pools and volumes ---- */
/* pretty_size - v bytes as virsh shows it ("10.00 MiB") into buf. */
void pretty_size(unsigned long long v, char *buf, size_t len);
/* call_as - call, but a failure prints virsh's two lines: "error: WHAT"
 * and "error: REASON". */
struct json_object *call_as(struct ctx *c, const char *cmd,
			    struct json_object *args, int *fd,
			    const char *what);
int do_pool_list(struct ctx *c);
int do_pool_info(struct ctx *c);
int do_pool_dumpxml(struct ctx *c);
int do_pool_define(struct ctx *c);
int do_pool_define_as(struct ctx *c);
int do_pool_simple(struct ctx *c);
/* vol_args - {"pool": --pool, or the pool holding the path given, and
 * "vol": the volume's name}; NULL after an error (printed). */
struct json_object *vol_args(struct ctx *c, const char *vol);
int do_vol_list(struct ctx *c);
int do_vol_info(struct ctx *c);
int do_vol_path(struct ctx *c);
int do_vol_dumpxml(struct ctx *c);
int do_vol_create_as(struct ctx *c);
int do_vol_simple(struct ctx *c);
int do_vol_resize(struct ctx *c);
int do_vol_clone(struct ctx *c);
int do_vol_upload(struct ctx *c);
int do_vol_download(struct ctx *c);
/* install_vol_disk - install's --disk pool=P,size=GiB[,format=F] (a new
 * volume NAME[-N].F in pool P) or vol=P/V (an existing volume), written
 * to x as a <disk type='volume'>. Returns 0 or -errno with c->err set. */
int install_vol_disk(struct ctx *c, FILE *x, const char *spec, int idx);
/*
 * install_disk_bus - the bus of install's --disk spec: bus=virtio (the
 * default) or bus=scsi, as *scsi. Returns 0, or -EINVAL with c->err set.
 */
int install_disk_bus(struct ctx *c, const char *spec, bool *scsi);
/*
 * install_target - write the <target> line of --disk number idx: vdX on
 * virtio, sdX from sdb on virtio-scsi (sda is the SATA CD-ROM's name).
 */
void install_target(FILE *x, bool scsi, int idx);
/* opt_kv - the value of key in "k1=v1,k2=v2" into out; false if absent. */
bool opt_kv(const char *spec, const char *key, char *out, size_t len);
int install_seed(struct ctx *c, FILE *x, const char *spec, int idx);

/* ---- cmd-snap.c: snapshot-* commands ---- */
int do_snapshot_create_as(struct ctx *c);
int do_snapshot_list(struct ctx *c);
int do_snapshot_info(struct ctx *c);
int do_snapshot_dumpxml(struct ctx *c);
int do_snapshot_current(struct ctx *c);
int do_snapshot_change(struct ctx *c);
/* cmd-blockjob.c */
int do_blockcommit(struct ctx *c);
int do_blockpull(struct ctx *c);
int do_blockjob(struct ctx *c);

/* ---- client.c ---- */
/* wc_connect - connect to wirtd's socket at path. Returns the fd or
 * -errno with err set (naming the socket and how to start wirtd). */
int wc_connect(const char *path, char *err, size_t errlen);
/*
 * wc_call - one request (args: its reference is taken; may be NULL).
 * Returns the "return" object, or NULL with err set to wirtd's message.
 * *fd_out (may be NULL) gets a descriptor passed with the reply, or -1.
 */
struct json_object *wc_call(int sock, const char *cmd, struct json_object *args,
			    int *fd_out, char *err, size_t errlen);

/* ---- output.c: virsh's table layout ---- */
struct table;
struct table *table_new(unsigned int ncols, const char *const *heads);
void table_add(struct table *t, const char *const *cells);
/* table_print - header, dashes, rows as virsh prints them; frees t. */
void table_print(struct table *t);
/* console_relay - copy between the terminal and the console fd until the
 * console closes or (on a terminal) Ctrl-] is typed. Returns 0. */
int console_relay(int fd, const char *name);

#endif
