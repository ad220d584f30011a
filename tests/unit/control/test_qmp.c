// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the QMP server: greeting, negotiation, dispatch, argument
 * checks, hostile input (garbage, huge requests, deep nesting, wrong
 * types, non-objects), events, several clients, a client that never reads,
 * and the real unix socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/control/qmp.h"

static struct qmp_server *g_srv;
static int g_calls;

/* echo: returns its arguments; "n" optional integer. */
static int cmd_echo(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	g_calls++;
	*ret = json_object_get(args);
	return 0;
}

static int cmd_fail(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	return qmp_error_set(err, QMP_ERR_NOT_ACTIVE, "No balloon device");
}

/* emit: broadcasts an event from inside a handler (server thread). */
static int cmd_emit(void *opaque, struct json_object *args,
		    struct json_object **ret, struct qmp_error *err)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "x", json_object_new_int(7));
	qmp_server_event(g_srv, "TEST", d);
	return 0;
}

static const struct qmp_cmd cmds[] = {
	{ "echo",
	  cmd_echo,
	  { { "s", QMP_T_STR, 1 },
	    { "n", QMP_T_INT, 0 },
	    { "b", QMP_T_BOOL, 0 } } },
	{ "fail", cmd_fail, { { NULL } } },
	{ "emit", cmd_emit, { { NULL } } },
};

/* A test client: buffered line reader over one end of a socket. */
struct cli {
	int fd;
	char buf[1 << 17];
	size_t len;
};

/* Read one CRLF-terminated message (5 s timeout); returns parsed JSON. */
static struct json_object *cli_read(struct cli *c)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		struct pollfd p = { c->fd, POLLIN, 0 };
		ssize_t n;

		if (nl) {
			struct json_object *o;
			size_t l = nl - c->buf + 1;

			*nl = 0;
			o = json_tokener_parse(c->buf);
			memmove(c->buf, c->buf + l, c->len - l);
			c->len -= l;
			assert_non_null(o);
			return o;
		}
		if (poll(&p, 1, 5000) != 1)
			fail_msg("no answer from the server in 5 s");
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (n <= 0)
			return NULL;
		c->len += n;
	}
}

static void cli_send(struct cli *c, const char *s)
{
	size_t len = strlen(s);

	assert_int_equal(write(c->fd, s, len), (ssize_t)len);
}

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

/* Send req, expect an error of class cls whose desc contains sub. */
static void expect_error(struct cli *c, const char *req, const char *cls,
			 const char *sub)
{
	struct json_object *o;

	cli_send(c, req);
	o = cli_read(c);
	assert_non_null(o);
	if (!get_str(o, "error", "class"))
		fail_msg("request %s: no error in %s", req,
			 json_object_to_json_string(o));
	assert_string_equal(get_str(o, "error", "class"), cls);
	if (!strstr(get_str(o, "error", "desc"), sub))
		fail_msg("request %s: desc '%s' lacks '%s'", req,
			 get_str(o, "error", "desc"), sub);
	json_object_put(o);
}

/* Send req and expect a "return" (returned, caller puts it). */
static struct json_object *expect_return(struct cli *c, const char *req)
{
	struct json_object *o, *r;

	cli_send(c, req);
	o = cli_read(c);
	assert_non_null(o);
	if (!json_object_object_get_ex(o, "return", &r))
		fail_msg("request %s: no return in %s", req,
			 json_object_to_json_string(o));
	return o;
}

/* Connect a socketpair client, check the greeting; negotiate if asked. */
static struct cli *cli_new(bool negotiate)
{
	struct cli *c = calloc(1, sizeof(*c));
	struct json_object *g;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(qmp_server_add_client(g_srv, sv[1]), 0);
	c->fd = sv[0];
	g = cli_read(c);
	assert_non_null(g);
	assert_string_equal(get_str(g, "QMP", NULL) ? "ok" : "none", "ok");
	{
		struct json_object *q, *v, *maj;

		json_object_object_get_ex(g, "QMP", &q);
		assert_true(json_object_object_get_ex(q, "version", &v));
		assert_true(json_object_object_get_ex(v, "qemu", &v));
		assert_true(json_object_object_get_ex(v, "major", &maj));
		assert_true(json_object_is_type(maj, json_type_int));
		assert_true(json_object_object_get_ex(q, "capabilities", &v));
		assert_true(json_object_is_type(v, json_type_array));
	}
	json_object_put(g);
	if (negotiate)
		json_object_put(
			expect_return(c, "{\"execute\":\"qmp_capabilities\"}"));
	return c;
}

static void cli_free(struct cli *c)
{
	close(c->fd);
	free(c);
}

static int setup(void **state)
{
	g_srv = qmp_server_new(cmds, sizeof(cmds) / sizeof(cmds[0]), NULL);
	assert_non_null(g_srv);
	assert_int_equal(qmp_server_start(g_srv), 0);
	g_calls = 0;
	return 0;
}

static int teardown(void **state)
{
	qmp_server_free(g_srv);
	g_srv = NULL;
	return 0;
}

static void test_negotiation(void **state)
{
	struct cli *c = cli_new(false);

	expect_error(c, "{\"execute\":\"echo\",\"arguments\":{\"s\":\"x\"}}",
		     QMP_ERR_NOT_FOUND, "Expecting capabilities negotiation");
	assert_int_equal(g_calls, 0);
	expect_error(
		c,
		"{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}",
		QMP_ERR_GENERIC, "Capability 'oob' not available");
	json_object_put(expect_return(c, "{\"execute\":\"qmp_capabilities\"}"));
	expect_error(c, "{\"execute\":\"qmp_capabilities\"}", QMP_ERR_NOT_FOUND,
		     "already complete");
	cli_free(c);
}

static void test_dispatch(void **state)
{
	struct cli *c = cli_new(true);
	struct json_object *o, *r, *id;

	o = expect_return(
		c,
		"{\"execute\":\"echo\",\"arguments\":{\"s\":\"hi\",\"n\":3},\"id\":{\"tag\":[1,2]}}");
	assert_true(json_object_object_get_ex(o, "id", &id));
	assert_string_equal(
		json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN),
		"{\"tag\":[1,2]}");
	json_object_object_get_ex(o, "return", &r);
	assert_string_equal(get_str(r, "s", NULL), "hi");
	json_object_put(o);
	assert_int_equal(g_calls, 1);

	/* errors echo the id too */
	cli_send(c, "{\"execute\":\"fail\",\"id\":\"abc\"}");
	o = cli_read(c);
	assert_string_equal(get_str(o, "error", "class"), QMP_ERR_NOT_ACTIVE);
	assert_string_equal(get_str(o, "id", NULL), "abc");
	json_object_put(o);

	o = expect_return(c, "{\"execute\":\"query-commands\"}");
	assert_non_null(strstr(json_object_to_json_string(o), "\"emit\""));
	json_object_put(o);
	o = expect_return(c, "{\"execute\":\"query-version\"}");
	assert_non_null(strstr(json_object_to_json_string(o), "\"package\""));
	json_object_put(o);

	/* two requests in one write, split across writes */
	cli_send(c, "{\"execute\":\"echo\",\"arguments\":{\"s\":\"a\"}}{\"exe");
	json_object_put(cli_read(c));
	cli_send(c, "cute\":\"echo\",\"arguments\":{\"s\":\"b\"}}\n");
	o = cli_read(c);
	json_object_object_get_ex(o, "return", &r);
	assert_string_equal(get_str(r, "s", NULL), "b");
	json_object_put(o);
	cli_free(c);
}

static void test_bad_requests(void **state)
{
	struct cli *c = cli_new(true);

	expect_error(c, "{\"execute\":\"nope\"}", QMP_ERR_NOT_FOUND,
		     "The command nope has not been found");
	expect_error(c, "{\"execute\":42}", QMP_ERR_GENERIC,
		     "'execute' must be a string");
	expect_error(c, "{\"arguments\":{}}", QMP_ERR_GENERIC,
		     "lacks member 'execute'");
	expect_error(c, "{\"execute\":\"echo\",\"arguments\":[1]}",
		     QMP_ERR_GENERIC, "'arguments' must be an object");
	expect_error(c, "{\"execute\":\"echo\",\"bogus\":1}", QMP_ERR_GENERIC,
		     "member 'bogus' is unexpected");
	expect_error(c, "{\"execute\":\"echo\"}", QMP_ERR_GENERIC,
		     "Parameter 's' is missing");
	expect_error(c, "{\"execute\":\"echo\",\"arguments\":{\"s\":1}}",
		     QMP_ERR_GENERIC,
		     "Invalid parameter type for 's', expected: string");
	expect_error(
		c,
		"{\"execute\":\"echo\",\"arguments\":{\"s\":\"x\",\"n\":\"3\"}}",
		QMP_ERR_GENERIC, "expected: integer");
	expect_error(
		c, "{\"execute\":\"echo\",\"arguments\":{\"s\":\"x\",\"b\":1}}",
		QMP_ERR_GENERIC, "expected: boolean");
	expect_error(
		c,
		"{\"execute\":\"echo\",\"arguments\":{\"s\":\"x\",\"zz\":1}}",
		QMP_ERR_GENERIC, "Parameter 'zz' is unexpected");
	expect_error(c, "[1,2]\n", QMP_ERR_GENERIC, "must be a JSON object");
	expect_error(c, "\"str\"\n", QMP_ERR_GENERIC, "must be a JSON object");
	expect_error(c, "42\n", QMP_ERR_GENERIC, "must be a JSON object");
	expect_error(c, "null\n", QMP_ERR_GENERIC, "must be a JSON object");
	assert_int_equal(g_calls, 0);
	cli_free(c);
}

static void test_garbage(void **state)
{
	struct cli *c = cli_new(true);
	char *big, *deep;
	size_t i;

	expect_error(c, "}}}garbage\n", QMP_ERR_GENERIC, "JSON parse error");
	expect_error(c, "{\"execute\" \"x\"}\n", QMP_ERR_GENERIC,
		     "JSON parse error");
	expect_error(c, "\x01\xff\xfe binary\n", QMP_ERR_GENERIC,
		     "JSON parse error");
	/* strings must be UTF-8: replies quote command names back */
	expect_error(c, "{\"execute\": \"\xff\xfe\x80\"}\n", QMP_ERR_GENERIC,
		     "JSON parse error");
	expect_error(c, "{\"execute\": \"\xc3\"}\n", QMP_ERR_GENERIC,
		     "JSON parse error");
	/* the server still works after each */
	json_object_put(expect_return(
		c, "{\"execute\":\"echo\",\"arguments\":{\"s\":\"ok\"}}"));

	/* a huge request: one error, then the rest of the line is skipped */
	big = malloc(200000);
	strcpy(big, "{\"execute\":\"echo\",\"arguments\":{\"s\":\"");
	for (i = strlen(big); i < 199990; i++)
		big[i] = 'a';
	strcpy(big + i, "\"}}\n");
	expect_error(c, big, QMP_ERR_GENERIC, "larger than 65536");
	free(big);
	json_object_put(expect_return(
		c, "{\"execute\":\"echo\",\"arguments\":{\"s\":\"ok\"}}"));

	/* deep nesting */
	deep = malloc(3000);
	strcpy(deep, "{\"execute\":\"echo\",\"arguments\":{\"s\":\"x\",\"n\":");
	for (i = strlen(deep); i < 2990; i++)
		deep[i] = '[';
	strcpy(deep + i, "\n");
	expect_error(c, deep, QMP_ERR_GENERIC, "nesting too deep");
	free(deep);
	json_object_put(expect_return(
		c, "{\"execute\":\"echo\",\"arguments\":{\"s\":\"ok\"}}"));
	assert_int_equal(g_calls, 3);
	cli_free(c);
}

static void test_events(void **state)
{
	struct cli *a = cli_new(true), *b = cli_new(false);
	struct json_object *o, *ts, *v;
	int got_event = 0, got_return = 0;

	cli_send(a, "{\"execute\":\"emit\",\"id\":1}");
	/* event and return both arrive, in any order */
	while (got_event + got_return < 2) {
		o = cli_read(a);
		if (json_object_object_get_ex(o, "event", &v)) {
			assert_string_equal(json_object_get_string(v), "TEST");
			assert_true(
				json_object_object_get_ex(o, "timestamp", &ts));
			assert_true(
				json_object_object_get_ex(ts, "seconds", &v));
			assert_true(json_object_get_int64(v) > 1600000000);
			assert_true(json_object_object_get_ex(
				ts, "microseconds", &v));
			json_object_object_get_ex(o, "data", &v);
			json_object_object_get_ex(v, "x", &v);
			assert_int_equal(json_object_get_int(v), 7);
			got_event++;
		} else {
			assert_true(json_object_object_get_ex(o, "return", &v));
			got_return++;
		}
		json_object_put(o);
	}
	/* b has not negotiated: no event; its next message is its reply */
	qmp_server_event(g_srv, "OTHER", NULL);
	o = cli_read(a);
	assert_string_equal(get_str(o, "event", NULL), "OTHER");
	assert_false(json_object_object_get_ex(o, "data", NULL));
	json_object_put(o);
	json_object_put(expect_return(b, "{\"execute\":\"qmp_capabilities\"}"));
	cli_free(a);
	cli_free(b);
}

/* A client that never reads is dropped; the others and the server go on. */
static void test_slow_client(void **state)
{
	struct cli *slow = cli_new(true), *ok = cli_new(true);
	struct timespec t0, t1;
	char pad[4000];
	int i, n = 0;

	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* ok reads each event as it comes; slow never reads */
	for (i = 0; i < 600; i++) {
		struct json_object *o;

		qmp_server_event(g_srv, "FLOOD", json_object_new_string(pad));
		o = cli_read(ok);
		assert_non_null(o);
		assert_string_equal(get_str(o, "event", NULL), "FLOOD");
		json_object_put(o);
		n++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* never blocked on the sleeper */
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_int_equal(n, 600);
	/* slow got dropped: its socket reaches EOF after the queued data */
	for (i = 0; i < 200 && qmp_server_nclients(g_srv) != 1; i++)
		usleep(10000);
	assert_int_equal(qmp_server_nclients(g_srv), 1);
	{
		char buf[65536];
		ssize_t r;

		while ((r = read(slow->fd, buf, sizeof(buf))) > 0)
			;
		assert_true(r == 0 || errno == ECONNRESET);
	}
	json_object_put(expect_return(
		ok, "{\"execute\":\"echo\",\"arguments\":{\"s\":\"x\"}}"));
	cli_free(slow);
	cli_free(ok);
}

static void test_client_limit(void **state)
{
	struct cli *c[QMP_MAX_CLIENTS];
	int i, sv[2];

	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		c[i] = cli_new(false);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(qmp_server_add_client(g_srv, sv[1]), -EMFILE);
	close(sv[0]);
	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		cli_free(c[i]);
	for (i = 0; i < 200 && qmp_server_nclients(g_srv); i++)
		usleep(10000);
	assert_int_equal(qmp_server_nclients(g_srv), 0);
}

static void test_unix_socket(void **state)
{
	char dir[] = "/tmp/qmp-test.XXXXXX", path[128];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct json_object *o;
	struct cli *c;
	struct stat st;
	int i;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	assert_int_equal(qmp_server_listen(g_srv, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a second server on the same live path is refused */
	{
		struct qmp_server *s2 = qmp_server_new(cmds, 1, NULL);

		assert_int_equal(qmp_server_listen(s2, path), -EADDRINUSE);
		qmp_server_free(s2);
	}
	strcpy(a.sun_path, path);
	for (i = 0; i < 3; i++) {
		c = calloc(1, sizeof(*c));
		c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_int_equal(
			connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
		o = cli_read(c);
		assert_true(json_object_object_get_ex(o, "QMP", NULL));
		json_object_put(o);
		json_object_put(
			expect_return(c, "{\"execute\":\"qmp_capabilities\"}"));
		cli_free(c);
	}
	qmp_server_free(g_srv);
	g_srv = NULL;
	assert_int_equal(access(path, F_OK), -1); /* removed */
	/* a regular file in the way is not replaced */
	close(open(path, O_CREAT | O_WRONLY, 0600));
	g_srv = qmp_server_new(cmds, 1, NULL);
	assert_int_equal(qmp_server_listen(g_srv, path), -EEXIST);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_negotiation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_client, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_client_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unix_socket, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
