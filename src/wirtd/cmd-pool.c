// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirtd's storage pool commands (pool_list, pool_info, pool_define,
 * pool_build, pool_start, pool_destroy, pool_undefine, pool_autostart,
 * pool_refresh, pool_dumpxml), each under pool_lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/util.h"
#include "wirtd/cmds.h"
#include "wirtd/pool.h"
#include "wirtd/wirtd.h"

/* pool_json - the listing entry of p: state, sizes, type, target. */
static struct json_object *pool_json(const struct poolrec *p)
{
	struct json_object *o = json_object_new_object();
	struct pool_sizes s;

	pool_sizes(p, &s);
	json_object_object_add(o, "name", json_object_new_string(p->def.name));
	json_object_object_add(o, "uuid", json_object_new_string(p->def.uuid));
	json_object_object_add(
		o, "type", json_object_new_string(pool_type_name(p->def.type)));
	json_object_object_add(o, "target",
			       json_object_new_string(p->def.target));
	json_object_object_add(o, "active", json_object_new_boolean(p->active));
	json_object_object_add(o, "autostart",
			       json_object_new_boolean(p->autostart));
	json_object_object_add(o, "persistent", json_object_new_boolean(true));
	json_object_object_add(o, "capacity",
			       json_object_new_uint64(s.capacity));
	json_object_object_add(o, "allocation",
			       json_object_new_uint64(s.allocation));
	json_object_object_add(o, "available",
			       json_object_new_uint64(s.available));
	return o;
}

struct json_object *cmd_pool_list(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	struct poolrec *p;

	pthread_mutex_lock(&pool_lock);
	for (p = pool_first(); p; p = p->next)
		json_object_array_add(a, pool_json(p));
	pthread_mutex_unlock(&pool_lock);
	json_object_object_add(o, "pools", a);
	return o;
}

struct json_object *cmd_pool_info(struct json_object *args, struct cmd_ctx *c)
{
	struct json_object *o = NULL;
	struct poolrec *p;

	pthread_mutex_lock(&pool_lock);
	p = pool_get(arg_str(args, "pool"), c);
	if (p)
		o = pool_json(p);
	pthread_mutex_unlock(&pool_lock);
	return o;
}

struct json_object *cmd_pool_dumpxml(struct json_object *args,
				     struct cmd_ctx *c)
{
	struct json_object *o = NULL;
	struct pool_sizes s;
	struct poolrec *p;
	char *xml;

	pthread_mutex_lock(&pool_lock);
	p = pool_get(arg_str(args, "pool"), c);
	if (p && !pool_sizes(p, &s) &&
	    (xml = pool_format(&p->def, p->active ? &s : NULL))) {
		o = json_object_new_object();
		json_object_object_add(o, "xml", json_object_new_string(xml));
		free(xml);
	}
	pthread_mutex_unlock(&pool_lock);
	return o;
}

struct json_object *cmd_pool_define(struct json_object *args, struct cmd_ctx *c)
{
	const char *xml = arg_str(args, "xml");
	struct json_object *o = NULL;
	struct pool_def d;
	struct poolrec *p;

	if (!xml) {
		snprintf(c->err, c->errlen, "no \"xml\" argument");
		return NULL;
	}
	if (pool_parse(xml, strlen(xml), &d, c->err, c->errlen))
		return NULL;
	pthread_mutex_lock(&pool_lock);
	p = pool_define(&d, c);
	if (p) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
				       json_object_new_string(p->def.name));
	}
	pthread_mutex_unlock(&pool_lock);
	return o;
}

/* Life-cycle commands on one pool: wirtd's command and its action. */
static int do_build(struct poolrec *p, struct json_object *a, struct cmd_ctx *c)
{
	return pool_build(p, c);
}

static int do_start(struct poolrec *p, struct json_object *a, struct cmd_ctx *c)
{
	return pool_start(p, c);
}

static int do_stop(struct poolrec *p, struct json_object *a, struct cmd_ctx *c)
{
	return pool_stop(p, c);
}

static int do_undefine(struct poolrec *p, struct json_object *a,
		       struct cmd_ctx *c)
{
	return pool_undefine(p, c);
}

static int do_autostart(struct poolrec *p, struct json_object *a,
			struct cmd_ctx *c)
{
	return pool_set_autostart(p, !arg_bool(a, "disable"), c);
}

/* do_refresh - a dir pool is read afresh at each listing: check that it
 * is active and its directory is still there. */
static int do_refresh(struct poolrec *p, struct json_object *a,
		      struct cmd_ctx *c)
{
	struct pool_sizes s;

	if (!p->active) {
		snprintf(
			c->err, c->errlen,
			"Requested operation is not valid: storage pool '%s' is not active",
			p->def.name);
		return -EINVAL;
	}
	if (pool_sizes(p, &s)) {
		snprintf(c->err, c->errlen, "cannot read directory '%s': %s",
			 p->def.target, strerror(errno));
		return -errno;
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct poolrec *p, struct json_object *a, struct cmd_ctx *c);
} actions[] = {
	{ "pool_build", do_build },	    { "pool_start", do_start },
	{ "pool_destroy", do_stop },	    { "pool_undefine", do_undefine },
	{ "pool_autostart", do_autostart }, { "pool_refresh", do_refresh },
};

/* cmd_pool_action - one of the actions above, named by args' "action"
 * (set by the dispatcher's table entry through pool_action_*). */
static struct json_object *
pool_action(const char *name, struct json_object *args, struct cmd_ctx *c)
{
	struct poolrec *p;
	size_t i;
	int r = -EINVAL;

	for (i = 0; i < ARRAY_SIZE(actions); i++)
		if (!strcmp(actions[i].name, name))
			break;
	pthread_mutex_lock(&pool_lock);
	p = pool_get(arg_str(args, "pool"), c);
	if (p && i < ARRAY_SIZE(actions))
		r = actions[i].fn(p, args, c);
	pthread_mutex_unlock(&pool_lock);
	return r ? NULL : ok();
}

#define POOL_ACTION(fn, name)                                               \
	struct json_object *fn(struct json_object *args, struct cmd_ctx *c) \
	{                                                                   \
		return pool_action(name, args, c);                          \
	}

POOL_ACTION(cmd_pool_build, "pool_build")
POOL_ACTION(cmd_pool_start, "pool_start")
POOL_ACTION(cmd_pool_destroy, "pool_destroy")
POOL_ACTION(cmd_pool_undefine, "pool_undefine")
POOL_ACTION(cmd_pool_autostart, "pool_autostart")
POOL_ACTION(cmd_pool_refresh, "pool_refresh")
