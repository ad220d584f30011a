// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirtd: start-up (directories, one instance per root, definitions, the
 * VMs that kept running while wirtd was away, autostart once per host
 * boot), the client sockets, and the orderly stop (with
 * --shutdown-guests: ACPI shutdown of every guest, destroy after a
 * timeout, as libvirt-guests does).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirtd/nets.h"
#include "wirtd/netup.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

struct wirtd *W;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wirtd [--root DIR] [--foreground] [--shutdown-guests]\n"
		"             [--shutdown-timeout SECS] [--cleanup]\n\n"
		"The wirt host daemon: VM definitions (libvirt domain XML), one wirt-vmm\n"
		"per running VM, the sockets that `wirt` talks to.\n"
		"  --root DIR         an independent instance with every file under DIR\n"
		"                     (DIR/etc, DIR/lib, DIR/run, DIR/log); default\n"
		"                     /etc/wirt, /var/lib/wirt, /run/wirt, /var/log/wirt\n"
		"  --foreground       stay in the foreground, messages on stderr\n"
		"  --shutdown-guests  when stopped: ACPI shutdown of every running guest,\n"
		"                     destroyed after --shutdown-timeout (default 300 s)\n"
		"  --cleanup          when stopped: remove the active networks' bridges,\n"
		"                     dnsmasq processes and nftables tables (they are set\n"
		"                     up again at the next start)\n");
}

static void on_signal(int sig)
{
	server_stop();
}

/* adopt_taps - the names of the taps wirtd made for vm (status file o). */
static void adopt_taps(struct vmrec *vm, struct json_object *o)
{
	struct json_object *a, *t;
	size_t i;

	if (!json_object_object_get_ex(o, "taps", &a) ||
	    !json_object_is_type(a, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(a) && i < DOMAIN_NICS_MAX;
	     i++) {
		t = json_object_array_get_idx(a, i);
		if (json_object_is_type(t, json_type_string))
			snprintf(vm->taps[i], sizeof(vm->taps[i]), "%s",
				 json_object_get_string(t));
	}
}

/* adopt_status - one RUN/NAME.status: the VM it names, reconnected. */
static void adopt_status(const char *name)
{
	char path[PATH_MAX], err[512], *buf;
	struct json_object *o, *v;
	struct domain *d;
	struct vmrec *vm;
	size_t len;

	if (path_of(path, sizeof(path), W->paths.run, name, ".status") ||
	    store_read(path, &buf, &len, 65536))
		return;
	o = json_tokener_parse(buf);
	free(buf);
	if (!o)
		return;
	vm = vmtab_find(name);
	if (!vm && !path_of(path, sizeof(path), W->paths.run, name, ".xml") &&
	    !store_read(path, &buf, &len, DOMAIN_XML_MAX)) {
		/* a transient VM: its running definition */
		if (!domain_parse(buf, len, path, &d, err, sizeof(err)))
			vm = vmtab_add(name, d);
		free(buf);
	}
	if (vm) {
		pthread_mutex_lock(&vm->lock);
		if (json_object_object_get_ex(o, "pid", &v))
			vm->pid = json_object_get_int(v);
		if (json_object_object_get_ex(o, "starttime", &v))
			vm->starttime = json_object_get_uint64(v);
		if (json_object_object_get_ex(o, "id", &v))
			vm->id = json_object_get_int(v);
		if (json_object_object_get_ex(o, "reason", &v))
			vm->reason = json_object_get_int(v);
		adopt_taps(vm, o);
		vm->state = VM_RUNNING;
		path_of(vm->qmp, sizeof(vm->qmp), W->paths.run, name, ".qmp");
		path_of(vm->console, sizeof(vm->console), W->paths.run, name,
			".console");
		if (vm->id >= W->next_id)
			W->next_id = vm->id + 1;
		vm_reconnect(vm);
		pthread_mutex_unlock(&vm->lock);
	}
	json_object_put(o);
}

static void adopt_running(void)
{
	DIR *dir = opendir(W->paths.run);
	struct dirent *e;
	char name[DOMAIN_NAME_MAX + 1];
	size_t n;

	while (dir && (e = readdir(dir))) {
		n = strlen(e->d_name);
		if (n < 8 || n - 7 > DOMAIN_NAME_MAX ||
		    strcmp(e->d_name + n - 7, ".status"))
			continue;
		memcpy(name, e->d_name, n - 7);
		name[n - 7] = '\0';
		adopt_status(name);
	}
	if (dir)
		closedir(dir);
}

/* autostart - once per host boot (the marker lives in RUN, which a
 * reboot clears): start every autostart domain that is shut off. */
static void autostart(void)
{
	char marker[PATH_MAX], err[512];
	struct vmrec **v;
	unsigned int n, i;

	if (path_of(marker, sizeof(marker), W->paths.run, "autostarted", "") ||
	    !access(marker, F_OK))
		return;
	v = vmtab_snapshot(&n);
	for (i = 0; v && i < n; i++) {
		pthread_mutex_lock(&v[i]->lock);
		if (v[i]->autostart && v[i]->state == VM_SHUTOFF &&
		    vm_start(v[i], NULL, err, sizeof(err)))
			wirt_err("autostart of '%s' failed: %s", v[i]->name,
				 err);
		pthread_mutex_unlock(&v[i]->lock);
	}
	free(v);
	guests_resume();
	store_write(marker, "", 0, 0600);
}

/* start_up - what the last wirtd left: the running VMs, the active
 * networks (set up again where parts are missing); then autostart. */
static void start_up(void)
{
	adopt_running();
	netup_sync();
	nets_autostart();
	if (netup_supervise())
		wirt_warn("cannot start the dnsmasq supervisor thread");
	autostart();
}

/* one_instance - hold RUN/wirtd.pid locked for wirtd's life. */
static int one_instance(void)
{
	char path[PATH_MAX], pid[32];
	int fd;

	if (path_of(path, sizeof(path), W->paths.run, "wirtd.pid", ""))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) {
		wirt_err("another wirtd runs with '%s' (%s); stop it first",
			 path, strerror(errno));
		return -EBUSY;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || write(fd, pid, strlen(pid)) < 0)
		return -errno;
	return 0; /* fd stays open: the lock lives as long as wirtd */
}

/* daemonize - fork into the background; the parent exits 0 when the
 * child is ready (a byte on the returned pipe), 1 if it dies first. */
static int daemonize(void)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	return p[1];
}

/* Load the domains, networks and pools; 0 or -1 with err set. */
static int load_state(char *err, size_t errlen)
{
	if (store_load_all(err, errlen) || nets_load(err, errlen) ||
	    pools_init(err, errlen))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "shutdown-guests", no_argument, NULL, 's' },
		{ "shutdown-timeout", required_argument, NULL, 't' },
		{ "cleanup", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct wirtd w = { .vmtab_lock = PTHREAD_MUTEX_INITIALIZER,
				  .next_id = 1,
				  .shutdown_timeout = 300 };
	const char *root = NULL;
	bool fg = false, stop_guests = false, cleanup = false;
	char rw[PATH_MAX], ro[PATH_MAX], err[512];
	int c, notify = -1, r;
	uint64_t t;

	wirt_set_progname("wirtd");
	W = &w;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			w.independent = true;
			break;
		case 'f':
			fg = true;
			break;
		case 's':
			stop_guests = true;
			break;
		case 'c':
			cleanup = true;
			break;
		case 't':
			if (parse_uint(optarg, 1, 86400, &t)) {
				wirt_err(
					"--shutdown-timeout '%s': give seconds from 1 to 86400",
					optarg);
				return 2;
			}
			w.shutdown_timeout = (int)t;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		wirt_err("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (paths_init(&w.paths, root, argv[0]) || one_instance())
		return 2;
	if (load_state(err, sizeof(err))) {
		wirt_err("%s", err);
		return 2;
	}
	if (!fg) {
		notify = daemonize();
		if (notify < 0)
			return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	start_up();
	if (path_of(rw, sizeof(rw), w.paths.run, "wirtd-sock", "") ||
	    path_of(ro, sizeof(ro), w.paths.run, "wirtd-sock-ro", ""))
		return 2;
	r = server_run(rw, ro, notify);
	if (stop_guests)
		guests_shutdown(w.shutdown_timeout, NULL);
	if (cleanup)
		netup_cleanup();
	return r ? 1 : 0;
}
