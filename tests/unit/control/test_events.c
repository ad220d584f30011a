// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the VM's event sink (struct vm_events). Without a control
 * socket the core's events go nowhere; control_init installs control's
 * sink, which turns them into QMP events on --api-socket (SHUTDOWN and
 * RESET with QEMU's guest/reason fields, BALLOON_CHANGE with the actual
 * size) and closes the socket at VM_EV_DESTROY.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "vmm/control/control.h"
#include "vmm/control/ctl.h"
#include "vmm/vm.h"

static char dir[64];
static char sock[96];
static struct vmm_config cfg;
static struct vm vm;
static int cfd = -1;
static char buf[1 << 16];
static size_t blen;

/* Read one message from the control socket (5 s timeout); NULL at EOF. */
static struct json_object *cli_read(void)
{
	for (;;) {
		char *nl = memchr(buf, '\n', blen);
		struct pollfd p = { cfd, POLLIN, 0 };
		ssize_t n;

		if (nl) {
			struct json_object *o;
			size_t l = nl - buf + 1;

			*nl = 0;
			o = json_tokener_parse(buf);
			memmove(buf, buf + l, blen - l);
			blen -= l;
			assert_non_null(o);
			return o;
		}
		if (poll(&p, 1, 5000) != 1)
			fail_msg("no message from the control socket in 5 s");
		n = read(cfd, buf + blen, sizeof(buf) - 1 - blen);
		if (n <= 0)
			return NULL;
		blen += n;
	}
}

/* Member path1 (and path2 in it) of o as a string, or NULL. */
static const char *get_str(struct json_object *o, const char *path1,
			   const char *path2)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, path1, &v))
		return NULL;
	if (path2 && !json_object_object_get_ex(v, path2, &v))
		return NULL;
	return json_object_get_string(v);
}

/*
 * The next message must be event name; returns its data (owned by the
 * returned message, which the caller frees).
 */
static struct json_object *expect_event(const char *name,
					struct json_object **data)
{
	struct json_object *o = cli_read();

	assert_non_null(o);
	if (!get_str(o, "event", NULL) ||
	    strcmp(get_str(o, "event", NULL), name))
		fail_msg("expected event %s, got %s", name,
			 json_object_to_json_string(o));
	*data = json_object_object_get(o, "data");
	return o;
}

/* A VM with the control socket at sock and a negotiated client on it. */
static int setup(void **state)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const char *cap = "{\"execute\":\"qmp_capabilities\"}\n";
	struct json_object *o;

	snprintf(dir, sizeof(dir), "/tmp/wirt-events-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/qmp.sock", dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.api_socket = sock;
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.vm_fd = -1;
	pthread_mutex_init(&vm.lock, NULL);
	vm_pause_init(&vm);
	assert_int_equal(control_init(&vm), 0);

	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	assert_int_equal(connect(cfd, (struct sockaddr *)&a, sizeof(a)), 0);
	blen = 0;
	o = cli_read(); /* greeting */
	assert_non_null(o);
	json_object_put(o);
	assert_int_equal(write(cfd, cap, strlen(cap)), (ssize_t)strlen(cap));
	o = cli_read();
	assert_non_null(json_object_object_get(o, "return"));
	json_object_put(o);
	return 0;
}

static int teardown(void **state)
{
	vm_emit(&vm, VM_EV_DESTROY, 0);
	close(cfd);
	unlink(sock);
	rmdir(dir);
	pthread_mutex_destroy(&vm.lock);
	return 0;
}

/* No sink: every event is dropped, nothing is called. */
static void test_no_sink(void **state)
{
	struct vm bare;

	memset(&bare, 0, sizeof(bare));
	assert_null(ctl_of(&bare));
	vm_emit(&bare, VM_EV_STOPPING, 0);
	vm_emit(&bare, VM_EV_STOPPED, VM_POWEROFF);
	vm_emit(&bare, VM_EV_BALLOON_CHANGE, 1);
	vm_emit(&bare, VM_EV_DESTROY, 0);
	assert_null(bare.events.event);
}

/* The guest powered off, then reset: SHUTDOWN and RESET as QEMU sends. */
static void test_stopped(void **state)
{
	struct json_object *o, *d;

	assert_non_null(ctl_of(&vm));
	vm_emit(&vm, VM_EV_STOPPING, 0); /* no save runs: returns at once */
	vm_emit(&vm, VM_EV_STOPPED, VM_POWEROFF);
	o = expect_event("SHUTDOWN", &d);
	assert_string_equal(get_str(d, "reason", NULL), "guest-shutdown");
	assert_string_equal(get_str(d, "guest", NULL), "true");
	json_object_put(o);

	vm_emit(&vm, VM_EV_STOPPED, VM_RESET);
	o = expect_event("RESET", &d);
	assert_string_equal(get_str(d, "reason", NULL), "guest-reset");
	json_object_put(o);

	cfg.no_reboot = true; /* a reset ends the VM: SHUTDOWN */
	vm_emit(&vm, VM_EV_STOPPED, VM_RESET);
	o = expect_event("SHUTDOWN", &d);
	assert_string_equal(get_str(d, "reason", NULL), "guest-reset");
	json_object_put(o);
	cfg.no_reboot = false;

	vm_emit(&vm, VM_EV_STOPPED, VM_QUIT);
	o = expect_event("SHUTDOWN", &d);
	assert_string_equal(get_str(d, "reason", NULL), "host-signal");
	assert_string_equal(get_str(d, "guest", NULL), "false");
	json_object_put(o);
}

/* BALLOON_CHANGE carries the guest's memory in bytes, 64 bits wide. */
static void test_balloon_change(void **state)
{
	struct json_object *o, *d;

	vm_emit(&vm, VM_EV_BALLOON_CHANGE, 5ULL << 32);
	o = expect_event("BALLOON_CHANGE", &d);
	assert_int_equal(
		json_object_get_int64(json_object_object_get(d, "actual")),
		(int64_t)(5ULL << 32));
	json_object_put(o);
}

/* VM_EV_DESTROY closes the socket and takes the sink away. */
static void test_destroy(void **state)
{
	vm_emit(&vm, VM_EV_DESTROY, 0);
	assert_null(vm.events.event);
	assert_null(ctl_of(&vm));
	assert_null(cli_read()); /* the server closed the connection */
	vm_emit(&vm, VM_EV_BALLOON_CHANGE, 1); /* dropped */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_sink),
		cmocka_unit_test_setup_teardown(test_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_balloon_change, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
