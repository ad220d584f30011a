// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One dnsmasq per network: its configuration and hosts files written
 * from the definition, started (it daemonizes and writes its pid file),
 * found again by pid file and command line, told to re-read its hosts
 * files (SIGHUP), stopped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "wirtd/nets.h"
#include "wirtd/netup.h"
#include "wirtd/wirtd.h"

pid_t netup_dnsmasq_pid(const struct netrec *n)
{
	char path[PATH_MAX], conf[PATH_MAX], proc[64], *buf = NULL;
	char cmd[4096], *arg1;
	size_t len;
	ssize_t k;
	long pid;
	FILE *f;

	if (netup_file(path, sizeof(path), n, ".pid") ||
	    netup_file(conf, sizeof(conf), n, ".conf") ||
	    store_read(path, &buf, &len, 64))
		return 0;
	pid = strtol(buf, NULL, 10);
	free(buf);
	if (pid <= 1)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/%ld/cmdline", pid);
	f = fopen(proc, "r");
	if (!f)
		return 0;
	k = (ssize_t)fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[k > 0 ? k : 0] = '\0';
	/* argv: dnsmasq, --conf-file=CONF (NUL-separated) */
	arg1 = cmd + strlen(cmd) + 1;
	if (k <= 0 || !strstr(cmd, "dnsmasq") || arg1 >= cmd + k ||
	    strncmp(arg1, "--conf-file=", 12) || strcmp(arg1 + 12, conf))
		return 0;
	return (pid_t)pid;
}

/* Write the DHCP and DNS hosts files of n; 0 or -errno. */
int netup_dnsmasq_hosts(struct netrec *n)
{
	char path[PATH_MAX], *t;
	int r;

	t = netdef_dnsmasq_hosts(n->def);
	r = t && !netup_file(path, sizeof(path), n, ".hostsfile") ?
		    store_write(path, t, strlen(t), 0644) :
		    -ENOMEM;
	free(t);
	if (r)
		return r;
	t = netdef_addn_hosts(n->def);
	r = t && !netup_file(path, sizeof(path), n, ".addnhosts") ?
		    store_write(path, t, strlen(t), 0644) :
		    -ENOMEM;
	free(t);
	return r;
}

int netup_dnsmasq(struct netrec *n, char *err, size_t errlen)
{
	char conf[PATH_MAX], pid[PATH_MAX], lease[PATH_MAX], hosts[PATH_MAX];
	char addn[PATH_MAX], log[PATH_MAX], arg[PATH_MAX + 16], msg[400];
	char *argv[] = { "dnsmasq", arg, NULL };
	char *text;
	int r;

	if (netup_dnsmasq_pid(n))
		return 0;
	if (netup_file(conf, sizeof(conf), n, ".conf") ||
	    netup_file(pid, sizeof(pid), n, ".pid") ||
	    netup_file(lease, sizeof(lease), n, ".leases") ||
	    netup_file(hosts, sizeof(hosts), n, ".hostsfile") ||
	    netup_file(addn, sizeof(addn), n, ".addnhosts") ||
	    netup_file(log, sizeof(log), n, ".log"))
		return -ENAMETOOLONG;
	text = netdef_dnsmasq_conf(n->def, pid, lease, hosts, addn);
	r = text ? store_write(conf, text, strlen(text), 0644) : -ENOMEM;
	free(text);
	if (!r)
		r = netup_dnsmasq_hosts(n);
	if (r) {
		snprintf(err, errlen, "cannot write '%s' for network '%s': %s",
			 conf, n->name, strerror(-r));
		return r;
	}
	snprintf(arg, sizeof(arg), "--conf-file=%s", conf);
	r = netup_run(argv, log, msg, sizeof(msg));
	if (r)
		snprintf(
			err, errlen,
			"cannot start dnsmasq for network '%s' (%s): %s (install dnsmasq-base)",
			n->name, conf, msg);
	return r;
}

void netup_dnsmasq_reload(struct netrec *n)
{
	pid_t p = netup_dnsmasq_pid(n);

	if (p)
		kill(p, SIGHUP);
}

void netup_dnsmasq_stop(struct netrec *n)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char path[PATH_MAX];
	pid_t p = netup_dnsmasq_pid(n);
	int i;

	if (p && !kill(p, SIGTERM))
		for (i = 0; i < 100 && !kill(p, 0); i++)
			nanosleep(&ts, NULL);
	if (!netup_file(path, sizeof(path), n, ".pid"))
		unlink(path);
}
