/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wirtd: the host daemon. Definitions (libvirt domain XML, kept whole),
 * one wirt-vmm process per running VM (not a child: it outlives wirtd and
 * is reconnected through its QMP socket), status files, and the client
 * sockets that `wirt` talks to.
 *
 * Locking: vmtab_lock guards the table (add, remove, lookup); each VM's
 * lock serializes the operations on that VM and guards its fields. An
 * operation holds at most one VM lock, and never takes vmtab_lock while
 * holding one.
 */
#ifndef WIRT_WIRTD_WIRTD_H
#define WIRT_WIRTD_WIRTD_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain/domain.h"

struct json_object;

/* Where wirtd keeps its files (system paths, or all under --root DIR). */
struct wirtd_paths {
	char etc[PATH_MAX]; /* definitions: ETC/NAME.xml, ETC/autostart/ */
	char lib[PATH_MAX]; /* persistent state (next id) */
	char run[PATH_MAX]; /* sockets, status files; cleared by a reboot */
	char log[PATH_MAX]; /* LOG/NAME.log: each VM's wirt-vmm stderr */
	char vmm[PATH_MAX]; /* the wirt-vmm next to wirtd's executable */
};

/* libvirt's domain states and reasons (numbers as in virDomainState and
 * the per-state reason enums, which domstats shows). */
enum vm_state {
	VM_NOSTATE = 0,
	VM_RUNNING = 1,
	VM_PAUSED = 3,
	VM_SHUTDOWN = 4, /* being shut down */
	VM_SHUTOFF = 5,
	VM_CRASHED = 6,
};

enum vm_reason {
	R_UNKNOWN = 0,
	/* running */
	R_BOOTED = 1,
	R_RESTORED = 3,
	R_RUNNING_FROM_SNAPSHOT = 4,
	R_UNPAUSED = 6,
	/* paused */
	R_USER = 1,
	/* shut off */
	R_SHUTDOWN = 1,
	R_DESTROYED = 2,
	R_CRASHED = 3,
	R_SAVED = 5,
	R_FAILED = 6,
	R_FROM_SNAPSHOT = 7, /* paused or shut off */
};

struct vmrec {
	char name[DOMAIN_NAME_MAX + 1];
	pthread_mutex_t lock;
	struct domain *def; /* the definition (normalized) */
	bool persistent; /* defined, not created */
	bool autostart;
	enum vm_state state;
	int reason;
	int id; /* -1 when not running */
	pid_t pid;
	unsigned long long starttime; /* /proc/PID/stat field 22 */
	unsigned int run_gen; /* bumped at each start and stop */
	bool destroying, shutdown_seen, crash_seen;
	bool reboot_pending; /* start again once the guest is off */
	const void *console_owner; /* the connection holding the console */
	bool saving; /* stopped by a save: shut off (saved) */
	char incoming[PATH_MAX]; /* the next start restores this file */
	bool start_paused; /* the next start leaves the vCPUs stopped */
	char qmp[108], console[108];
	char taps[DOMAIN_NICS_MAX][16]; /* taps wirtd made, by NIC; "" */
	struct vmrec *next;
};

struct wirtd {
	struct wirtd_paths paths;
	pthread_mutex_t vmtab_lock;
	struct vmrec *vms;
	struct vmrec *removed; /* undefined records, kept: see vmtab_remove */
	int next_id;
	int shutdown_timeout; /* seconds for --shutdown-guests */
	bool independent; /* --root DIR: its network 'default' is not autostarted */
};

extern struct wirtd *W;

/* The user a sandboxed wirt-vmm started as root runs as (its default). */
#define VMM_USER "wirt-vmm"

/* ---- paths.c ---- */
int paths_init(struct wirtd_paths *p, const char *root, const char *argv0);
/* path_of - DIR/NAME + suffix into buf; -ENAMETOOLONG when it does not fit. */
int path_of(char *buf, size_t len, const char *dir, const char *name,
	    const char *suffix);
/* nvram_path - the UEFI variable store of domain name: its <nvram>, else
 * LIB/nvram/NAME_VARS.fd (as libvirt names it). 0 or -ENAMETOOLONG. */
int nvram_path(const char *name, const struct dom_def *d, char *buf,
	       size_t len);
/* mkdirs - create path and its parents with mode (existing ones kept).
 * Returns 0 or -errno. */
int mkdirs(const char *path, mode_t mode);

/* ---- store.c: definitions, status files ---- */
int store_write(const char *path, const char *data, size_t len, mode_t mode);
int store_read(const char *path, char **data, size_t *len, size_t max);
int store_load_all(char *err, size_t errlen);
int store_save_def(struct vmrec *vm, char *err, size_t errlen);
int store_remove_def(struct vmrec *vm);
int store_set_autostart(struct vmrec *vm, bool on);
int store_save_status(struct vmrec *vm);
void store_remove_status(struct vmrec *vm);

/* ---- vmtab.c ---- */
struct vmrec *vmtab_find(const char *name_or_uuid_or_id);
struct vmrec *vmtab_add(const char *name, struct domain *def);
void vmtab_remove(struct vmrec *vm);
/* vmtab_snapshot - the VMs in name order, as a malloc'd array of *n. */
struct vmrec **vmtab_snapshot(unsigned int *n);
const char *vm_state_name(enum vm_state s);
const char *vm_reason_name(enum vm_state s, int reason);

/* ---- vmproc.c: wirt-vmm processes ---- */
/*
 * vm_start - start vm's wirt-vmm (vm->lock held): map the definition to a
 * command line, refuse what wirt-vmm cannot run, spawn it detached with
 * its stderr in the VM's log, wait for its QMP socket, watch its events.
 * Warnings go into *warnings (a json array) when not NULL. Returns 0 or
 * -errno with err set.
 */
int vm_start(struct vmrec *vm, struct json_object *warnings, char *err,
	     size_t errlen);
int vm_destroy(struct vmrec *vm, char *err, size_t errlen);
/*
 * vm_save - save the running vm to path (QMP migrate to a file, then the
 * process ends): shut off (saved). Returns 0 or -errno with err set.
 */
int vm_save(struct vmrec *vm, const char *path, char *err, size_t errlen);
/* managed_save_path - LIB/save/NAME.save of vm into buf. */
int managed_save_path(const struct vmrec *vm, char *buf, size_t len);
/* vm_qmp - run one QMP command on vm's socket; *ret (may be NULL) gets
 * the "return" value. Returns 0 or -errno with err set. */
int vm_qmp(struct vmrec *vm, const char *cmd, struct json_object *args,
	   struct json_object **ret, char *err, size_t errlen);
/* vm_reconnect - at wirtd start: adopt the wirt-vmm of a status file, or
 * mark the VM shut off (unknown) when its process is gone. */
void vm_reconnect(struct vmrec *vm);
/* vm_cpu_time_ns - user + system CPU time of the VM's process, or 0. */
uint64_t vm_cpu_time_ns(const struct vmrec *vm);

/* ---- qmpc.c: QMP client ---- */
struct qmpc;
/* qmpc_connect - connect to a QMP socket and negotiate capabilities,
 * within timeout_ms. Returns the connection, or NULL with err set. */
struct qmpc *qmpc_connect(const char *path, int timeout_ms, char *err,
			  size_t errlen);
void qmpc_close(struct qmpc *q);
/* qmpc_execute - run cmd (args may be NULL; its reference is taken);
 * events read meanwhile are dropped. Returns 0 with *ret (may be NULL)
 * the "return" value, or -EIO (QMP error: its desc in err), -EPIPE. */
int qmpc_execute(struct qmpc *q, const char *cmd, struct json_object *args,
		 struct json_object **ret, char *err, size_t errlen);
/* qmpc_read_event - block for the next event; *ev gets it (put it).
 * Returns 0, or -EPIPE at EOF, or -errno. */
int qmpc_read_event(struct qmpc *q, struct json_object **ev);

/*
 * guests_shutdown - ACPI shutdown of every running VM, then destroy what
 * still runs after timeout_s; the names destroyed go into report (a json
 * array) when not NULL. Takes each VM's lock in turn.
 */
void guests_shutdown(int timeout_s, struct json_object *report);
/* guests_resume - once per host boot: start (restore) the VMs that
 * shutdown-all --managedsave saved. */
void guests_resume(void);

/* ---- server.c ---- */
int server_run(const char *sock_rw, const char *sock_ro, int notify_fd);
void server_stop(void);

/* ---- cmds.c ---- */
/*
 * cmd_dispatch - run request command with args for a client (readonly:
 * it came on the read-only socket). Returns the "return" object, or NULL
 * with *errclass and err set. *fd_out may get a file descriptor to pass.
 */
struct json_object *cmd_dispatch(const char *command, struct json_object *args,
				 bool readonly, const void *client,
				 const char **errclass, char *err,
				 size_t errlen, int *fd_out);
/* cmds_client_gone - the connection client closed: its console sessions
 * end. */
void cmds_client_gone(const void *client);

#endif
