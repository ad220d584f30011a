// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pools of type 'logical': an LVM volume group whose logical volumes are
 * the pool's volumes (raw block devices /dev/VG/NAME). The work is done by
 * the lvm2 tools (vgcreate, vgchange, vgs, lvs, lvcreate, lvremove,
 * lvresize), run without a shell, with only stdin/stdout/stderr open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

#define ARGS_MAX (POOL_DEVICES_MAX + 16)

/* child - in the forked child: stdout and stderr into the pipes, every
 * other descriptor closed, then the tool. Never returns. */
static void child(const char *const argv[], int out, int err)
{
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0)
		_exit(126);
	syscall(SYS_close_range, 3U, ~0U, 0);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

/* drain - read fd to EOF into buf (NUL-terminated, the rest dropped). */
static void drain(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	char skip[512];

	while ((r = read(fd, n + 1 < len ? buf + n : skip,
			 n + 1 < len ? len - n - 1 : sizeof(skip))) > 0 ||
	       (r < 0 && errno == EINTR))
		if (r > 0 && n + 1 < len)
			n += r;
	buf[n] = '\0';
}

/*
 * lvm_config - the --config text the environment needs into cfg ("" when
 * none): without a running udev (no /run/udev/control: containers, the
 * testbed) lvm2 would wait for udev to make /dev/VG/LV and fail to wipe the
 * new LV, so libdevmapper makes the nodes itself; with lvm2's backup
 * directory not writable (a read-only /etc) lvm2 fails every metadata
 * change, so its backups and archives go under wirtd's state directory.
 */
static void lvm_config(char *cfg, size_t len)
{
	const char *sys = getenv("LVM_SYSTEM_DIR");
	char dir[PATH_MAX + 16];
	size_t n = 0;

	cfg[0] = '\0';
	if (access("/run/udev/control", F_OK))
		n = snprintf(cfg, len,
			     "activation { udev_sync=0 udev_rules=0 } ");
	if (!sys || !*sys)
		sys = "/etc/lvm";
	snprintf(dir, sizeof(dir), "%s/backup", sys);
	if (!access(dir, W_OK) || (errno == ENOENT && !access(sys, W_OK)))
		return;
	if (strpbrk(W->paths.lib, "\"\\") || n >= len)
		return; /* not quotable: lvm2's own error then says why */
	snprintf(dir, sizeof(dir), "%s/lvm", W->paths.lib);
	mkdir(dir, 0700);
	snprintf(
		cfg + n, len - n,
		"backup { backup_dir=\"%s/backup\" archive_dir=\"%s/archive\" }",
		dir, dir);
}

/* lvm_err - "TOOL failed: " and every non-empty line of its stderr ebuf
 * (or how it ended when it printed nothing) into err, joined by "; ". */
static void lvm_err(const char *tool, int st, char *ebuf, char *err,
		    size_t errlen)
{
	char *line, *save = NULL;
	bool any = false;
	size_t n;

	n = snprintf(err, errlen, "%s failed:", tool);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		snprintf(err + n, errlen - n, " not found (install lvm2)");
		return;
	}
	for (line = strtok_r(ebuf, "\n", &save); line && n < errlen;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (!*line)
			continue;
		n += snprintf(err + n, errlen - n, "%s %s", any ? ";" : "",
			      line);
		any = true;
	}
	if (!any)
		snprintf(err + n, errlen - n, " %s %d",
			 WIFEXITED(st) ? "exit status" : "killed by signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/*
 * lvm_run - run the lvm2 tool argv (argv[0] its name, at most ARGS_MAX - 3
 * entries), with the --config the environment needs (lvm_config); its
 * stdout into out (may be NULL). Returns 0, or -EIO with err holding "TOOL
 * failed: " and its stderr's lines. Its output is small (lvm2 reports):
 * stdout is read to its end before stderr.
 */
static int lvm_run(const char *const argv[], char *out, size_t outlen,
		   char *err, size_t errlen)
{
	int po[2], pe[2], st = 0, i;
	char ebuf[4096], obuf[8192], cfg[2 * PATH_MAX + 128];
	const char *av[ARGS_MAX];
	pid_t pid;

	for (i = 0; argv[i] && i < ARGS_MAX - 3; i++)
		av[i] = argv[i];
	lvm_config(cfg, sizeof(cfg));
	if (cfg[0]) {
		av[i++] = "--config";
		av[i++] = cfg;
	}
	av[i] = NULL;
	if (pipe2(po, O_CLOEXEC))
		return -errno;
	if (pipe2(pe, O_CLOEXEC)) {
		close(po[0]);
		close(po[1]);
		return -errno;
	}
	pid = fork();
	if (pid == 0)
		child(av, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	drain(po[0], out ? out : obuf, out ? outlen : sizeof(obuf));
	drain(pe[0], ebuf, sizeof(ebuf));
	close(po[0]);
	close(pe[0]);
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		lvm_err(argv[0], st, ebuf, err, errlen);
		return -EIO;
	}
	return 0;
}

int lvm_build(struct poolrec *p, struct cmd_ctx *c)
{
	const char *argv[ARGS_MAX] = { "vgcreate", p->def.vg };
	int i;

	if (!p->def.ndevices) {
		snprintf(
			c->err, c->errlen,
			"pool '%s': no <source><device path=...> to build volume group '%s' on",
			p->def.name, p->def.vg);
		return -EINVAL;
	}
	for (i = 0; i < p->def.ndevices; i++)
		argv[2 + i] = p->def.devices[i];
	return lvm_run(argv, NULL, 0, c->err, c->errlen);
}

int lvm_activate(struct poolrec *p, bool on, struct cmd_ctx *c)
{
	const char *argv[] = { "vgchange", on ? "-ay" : "-an", p->def.vg,
			       NULL };

	return lvm_run(argv, NULL, 0, c->err, c->errlen);
}

int lvm_sizes(const struct poolrec *p, struct pool_sizes *s)
{
	const char *argv[] = {
		"vgs", "--noheadings",	  "--units", "b", "--nosuffix",
		"-o",  "vg_size,vg_free", p->def.vg, NULL
	};
	unsigned long long size, free_b;
	char out[256], err[256];

	if (lvm_run(argv, out, sizeof(out), err, sizeof(err)))
		return -EIO;
	if (sscanf(out, "%llu %llu", &size, &free_b) != 2 || free_b > size)
		return -EIO;
	s->capacity = size;
	s->available = free_b;
	s->allocation = size - free_b;
	return 0;
}

/* lv_json - one logical volume's listing entry. */
static struct json_object *lv_json(const struct poolrec *p, const char *name,
				   unsigned long long size)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s/%s", p->def.target, name);
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "type", json_object_new_string("block"));
	json_object_object_add(o, "format", json_object_new_string("raw"));
	json_object_object_add(o, "capacity", json_object_new_uint64(size));
	json_object_object_add(o, "allocation", json_object_new_uint64(size));
	return o;
}

struct json_object *lvm_vol_list(const struct poolrec *p)
{
	const char *argv[] = { "lvs",	 "--noheadings", "--units",
			       "b",	 "--nosuffix",	 "--separator",
			       ":",	 "-o",		 "lv_name,lv_size",
			       "--sort", "lv_name",	 p->def.vg,
			       NULL };
	struct json_object *a = json_object_new_array();
	char *out = malloc(1 << 20), err[256], *line, *save = NULL;
	char name[256];
	unsigned long long size;

	if (!out || lvm_run(argv, out, 1 << 20, err, sizeof(err))) {
		free(out);
		return a;
	}
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, " %255[^:]:%llu", name, &size) == 2 &&
		    pool_name_ok(name))
			json_object_array_add(a, lv_json(p, name, size));
	free(out);
	return a;
}

int lvm_vol_create(struct poolrec *p, const char *name, uint64_t size,
		   struct cmd_ctx *c)
{
	char sz[32];
	const char *argv[] = { "lvcreate", "--yes", "--wipesignatures",
			       "y",	   "-n",    name,
			       "-L",	   sz,	    p->def.vg,
			       NULL };

	snprintf(sz, sizeof(sz), "%llub", (unsigned long long)size);
	return lvm_run(argv, NULL, 0, c->err, c->errlen);
}

int lvm_lv_remove(const char *vg, const char *name, char *err, size_t errlen)
{
	char lv[2 * POOL_NAME_MAX + 300];
	const char *argv[] = { "lvremove", "-f", lv, NULL };

	snprintf(lv, sizeof(lv), "%s/%s", vg, name);
	return lvm_run(argv, NULL, 0, err, errlen);
}

int lvm_vol_delete(struct poolrec *p, const char *name, struct cmd_ctx *c)
{
	return lvm_lv_remove(p->def.vg, name, c->err, c->errlen);
}

int lvm_lv_of(const char *path, struct lvm_lv *lv, char *err, size_t errlen)
{
	const char *argv[] = { "lvs",
			       "--noheadings",
			       "--units",
			       "b",
			       "--nosuffix",
			       "--separator",
			       ":",
			       "-o",
			       "vg_name,lv_name,lv_size",
			       path,
			       NULL };
	char out[1024];
	unsigned long long size;

	if (lvm_run(argv, out, sizeof(out), err, errlen))
		return -ENOENT;
	if (sscanf(out, " %127[^:]:%127[^:]:%llu", lv->vg, lv->name, &size) !=
	    3) {
		snprintf(err, errlen, "lvs: no logical volume at '%s'", path);
		return -ENOENT;
	}
	lv->size = size;
	return 0;
}

int lvm_snapshot(const struct lvm_lv *lv, const char *snap, uint64_t cow,
		 char *err, size_t errlen)
{
	char origin[300], sz[32];
	const char *argv[] = { "lvcreate", "--yes", "-s",   "-n", snap,
			       "-L",	   sz,	    origin, NULL };

	snprintf(origin, sizeof(origin), "%s/%s", lv->vg, lv->name);
	snprintf(sz, sizeof(sz), "%llub", (unsigned long long)cow);
	return lvm_run(argv, NULL, 0, err, errlen);
}

int lvm_vol_resize(struct poolrec *p, const char *name, uint64_t size,
		   struct cmd_ctx *c)
{
	char lv[2 * POOL_NAME_MAX + 300], sz[32];
	const char *argv[] = { "lvresize", "-f", "-L", sz, lv, NULL };

	snprintf(lv, sizeof(lv), "%s/%s", p->def.vg, name);
	snprintf(sz, sizeof(sz), "%llub", (unsigned long long)size);
	return lvm_run(argv, NULL, 0, c->err, c->errlen);
}
