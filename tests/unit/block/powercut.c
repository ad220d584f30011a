// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Power-cut harness, recording and replay (see powercut.h).  Writes are
 * recorded in units that do not cross a 4 KiB boundary (a page: what the
 * disk may keep or lose independently); a flush makes every earlier unit of
 * its own file durable.
 */
#include "powercut.h"
#include "powercut-int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/blk.h"
#include "block/qcow2.h"
#include "common/util.h"

#define UNIT 4096
#define MAX_PENDING 4096

enum ev_kind { EV_WRITE, EV_FLUSH, EV_TRUNC, EV_FALLOC, EV_ACK };

struct event {
	enum ev_kind kind;
	int file, mode;
	uint64_t off, len;
	uint8_t *data;
	unsigned ack;
};

struct tracked {
	char name[64];
	dev_t dev;
	ino_t ino;
	uint8_t *start;
	size_t start_len;
};

static struct {
	char dir[256];
	struct tracked f[PC_MAX_FILES];
	unsigned nf;
	struct event *ev;
	unsigned nev, maxev;
	struct pc_ack *acks;
	unsigned nacks;
	pthread_mutex_t lock;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void die(const char *what)
{
	fprintf(stderr, "powercut: %s: %s\n", what, strerror(errno));
	abort();
}

void *pc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("malloc");
	return p;
}

/* Which tracked file is @fd?  -1 if none. */
static int file_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	for (unsigned i = 0; i < S.nf; i++)
		if (S.f[i].dev == st.st_dev && S.f[i].ino == st.st_ino)
			return (int)i;
	return -1;
}

static struct event *add_event(enum ev_kind k, int file)
{
	struct event *e;

	if (S.nev == S.maxev) {
		S.maxev = S.maxev ? S.maxev * 2 : 1024;
		S.ev = realloc(S.ev, S.maxev * sizeof(*S.ev));
		if (!S.ev)
			die("realloc");
	}
	e = &S.ev[S.nev++];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	e->file = file;
	return e;
}

static void untracked(int fd)
{
	fprintf(stderr,
		"powercut: the library wrote to fd %d, which is no tracked image\n",
		fd);
	abort();
}

static ssize_t rec_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	int f = file_of(fd);
	size_t done = 0;

	if (f < 0)
		untracked(fd);
	pthread_mutex_lock(&S.lock);
	while (done < len) {
		uint64_t o = off + done;
		size_t n = MIN(len - done, UNIT - (o & (UNIT - 1)));
		struct event *e = add_event(EV_WRITE, f);

		e->off = o;
		e->len = n;
		e->data = pc_xmalloc(n);
		memcpy(e->data, (const uint8_t *)buf + done, n);
		done += n;
	}
	pthread_mutex_unlock(&S.lock);
	return blk_real_io_ops()->pwrite(fd, buf, len, off);
}

static int rec_simple(enum ev_kind k, int fd, int mode, uint64_t off,
		      uint64_t len)
{
	int f = file_of(fd);
	struct event *e;

	if (f < 0)
		untracked(fd);
	pthread_mutex_lock(&S.lock);
	e = add_event(k, f);
	e->mode = mode;
	e->off = off;
	e->len = len;
	pthread_mutex_unlock(&S.lock);
	return 0;
}

/*
 * The recording is the disk: a flush is an event in it, and the real file
 * (which only the running operation reads) needs no real sync.
 */
static int rec_fdatasync(int fd)
{
	return rec_simple(EV_FLUSH, fd, 0, 0, 0);
}

static int rec_ftruncate(int fd, off_t len)
{
	rec_simple(EV_TRUNC, fd, 0, 0, len);
	return blk_real_io_ops()->ftruncate(fd, len);
}

static int rec_fallocate(int fd, int mode, off_t off, off_t len)
{
	rec_simple(EV_FALLOC, fd, mode, off, len);
	return blk_real_io_ops()->fallocate(fd, mode, off, len);
}

static const struct blk_io_ops rec_ops = {
	.pwrite = rec_pwrite,
	.fdatasync = rec_fdatasync,
	.ftruncate = rec_ftruncate,
	.fallocate = rec_fallocate,
};

const char *pc_begin(const char *name)
{
	if (S.nf || S.nev || S.nacks)
		pc_end(); /* a failed scenario left its recording */
	snprintf(S.dir, sizeof(S.dir), "/tmp/wirt-powercut-%s.XXXXXX", name);
	if (!mkdtemp(S.dir) || chdir(S.dir) < 0)
		die("mkdtemp");
	if (mkdir("crash", 0755) < 0)
		die("mkdir crash");
	return S.dir;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	p = pc_xmalloc(st.st_size);
	if (pread_full(fd, p, st.st_size, 0) != st.st_size)
		die(path);
	close(fd);
	*len = st.st_size;
	return p;
}

void pc_track(const char *file)
{
	struct tracked *t = &S.f[S.nf++];
	struct stat st;

	if (stat(file, &st) < 0)
		die(file);
	snprintf(t->name, sizeof(t->name), "%s", file);
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->start = slurp(file, &t->start_len);
}

void pc_share(const char *file)
{
	char p[128], t[128];

	snprintf(p, sizeof(p), "crash/%s", file);
	snprintf(t, sizeof(t), "../%s", file);
	if (symlink(t, p) < 0)
		die(p);
}

void pc_record(void)
{
	blk_set_io_ops(&rec_ops);
}

void pc_ack(const struct pc_view *v, unsigned n)
{
	struct pc_ack *a;

	S.acks = realloc(S.acks, (S.nacks + 1) * sizeof(*S.acks));
	if (!S.acks)
		die("realloc");
	a = &S.acks[S.nacks];
	a->v = pc_xmalloc(n * sizeof(*v));
	a->n = n;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *d = pc_xmalloc(v[i].len);

		memcpy(d, v[i].data, v[i].len);
		a->v[i] = v[i];
		a->v[i].data = d;
		a->v[i].file = strdup(v[i].file);
		a->v[i].snap = v[i].snap ? strdup(v[i].snap) : NULL;
	}
	pthread_mutex_lock(&S.lock);
	add_event(EV_ACK, -1)->ack = S.nacks++;
	pthread_mutex_unlock(&S.lock);
}

void pc_end(void)
{
	char cmd[300];

	blk_set_io_ops(NULL);
	for (unsigned i = 0; i < S.nev; i++)
		free(S.ev[i].data);
	free(S.ev);
	for (unsigned i = 0; i < S.nacks; i++) {
		for (unsigned j = 0; j < S.acks[i].n; j++) {
			free((void *)S.acks[i].v[j].data);
			free((void *)S.acks[i].v[j].file);
			free((void *)S.acks[i].v[j].snap);
		}
		free(S.acks[i].v);
	}
	free(S.acks);
	for (unsigned i = 0; i < S.nf; i++)
		free(S.f[i].start);
	if (chdir("/") < 0)
		die("chdir");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", S.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "powercut: cannot remove %s\n", S.dir);
	S.ev = NULL;
	S.nev = S.maxev = 0;
	S.acks = NULL;
	S.nacks = 0;
	S.nf = 0;
}

unsigned pc_nacks(void)
{
	return S.nacks;
}

const struct pc_ack *pc_get_ack(unsigned i)
{
	return &S.acks[i];
}

unsigned pc_nfiles(void)
{
	return S.nf;
}

const char *pc_file_name(unsigned i)
{
	return S.f[i].name;
}

bool pc_file_is_qcow2(unsigned i)
{
	return S.f[i].start_len >= 4 && !memcmp(S.f[i].start, "QFI\xfb", 4);
}

/* ---- replay ---- */

/* A crash state: events [0, end) of which those marked in keep[] reached
 * the disk (durable ones are always marked). */
struct state {
	unsigned end;
	uint8_t *keep;
	uint64_t hash;
};

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Rebuild the tracked files in crash/ as state @st left them. */
static void build_files(const struct state *st)
{
	int fd[PC_MAX_FILES];
	char p[128];

	for (unsigned i = 0; i < S.nf; i++) {
		snprintf(p, sizeof(p), "crash/%s", S.f[i].name);
		fd[i] = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd[i] < 0 ||
		    pwrite_full(fd[i], S.f[i].start, S.f[i].start_len, 0) < 0)
			die(p);
	}
	for (unsigned i = 0; i < st->end; i++) {
		const struct event *e = &S.ev[i];
		int r = 0;

		if (!st->keep[i])
			continue;
		if (e->kind == EV_WRITE)
			r = pwrite_full(fd[e->file], e->data, e->len, e->off) <
					    0 ?
				    -1 :
				    0;
		else if (e->kind == EV_TRUNC)
			r = ftruncate(fd[e->file], e->len);
		else if (e->kind == EV_FALLOC)
			r = fallocate(fd[e->file], e->mode, e->off, e->len);
		if (r < 0)
			die("replay");
	}
	for (unsigned i = 0; i < S.nf; i++)
		close(fd[i]);
}

static uint64_t state_hash(const uint8_t *keep, unsigned end)
{
	uint64_t h = 1469598103934665603ULL;

	for (unsigned i = 0; i < end; i++) {
		if (!keep[i] || S.ev[i].kind == EV_ACK ||
		    S.ev[i].kind == EV_FLUSH)
			continue;
		h = (h ^ i) * 1099511628211ULL;
	}
	return h;
}

struct states {
	struct state *s;
	unsigned n, max;
};

static void add_state(struct states *ss, unsigned end, const uint8_t *keep)
{
	uint64_t h = state_hash(keep, end);
	struct state *st;

	for (unsigned i = 0; i < ss->n; i++)
		if (ss->s[i].hash == h)
			return;
	if (ss->n == ss->max) {
		ss->max = ss->max ? ss->max * 2 : 64;
		ss->s = realloc(ss->s, ss->max * sizeof(*ss->s));
		if (!ss->s)
			die("realloc");
	}
	st = &ss->s[ss->n++];
	st->end = end;
	st->hash = h;
	st->keep = pc_xmalloc(end ? end : 1);
	memcpy(st->keep, keep, end);
}

/*
 * The states of a power cut while event @end (a flush, or the end of the
 * log) had not completed: every unit followed by a flush of its file
 * before @end is kept; of the others (pending) every subset when there are
 * few, else none, all, in-order prefixes and random subsets.
 */
static void states_at(struct states *ss, unsigned end, uint64_t *rng)
{
	unsigned *pend = pc_xmalloc(MAX_PENDING * sizeof(unsigned)), np = 0;
	uint8_t *keep = pc_xmalloc(end + 1);
	bool flushed[PC_MAX_FILES] = { 0 };

	for (unsigned i = end; i-- > 0;) {
		const struct event *e = &S.ev[i];

		keep[i] = 1;
		if (e->kind == EV_FLUSH)
			flushed[e->file] = true;
		else if (e->kind != EV_ACK && !flushed[e->file] &&
			 np < MAX_PENDING)
			pend[np++] = i;
	}
	/* pend[] runs backwards: pend[np-1] is the oldest */
	if (np <= 5) {
		for (unsigned m = 0; m < (1U << np); m++) {
			for (unsigned j = 0; j < np; j++)
				keep[pend[j]] = (m >> j) & 1;
			add_state(ss, end, keep);
		}
	} else {
		/* in-order prefixes, none and all included */
		for (unsigned c = 0; c <= 6; c++) {
			unsigned cut = np - np * c / 6;

			for (unsigned j = 0; j < np; j++)
				keep[pend[j]] = j >= cut;
			add_state(ss, end, keep);
		}
		for (unsigned r = 0; r < 8; r++) {
			for (unsigned j = 0; j < np; j++)
				keep[pend[j]] = rng_next(rng) & 1;
			add_state(ss, end, keep);
		}
	}
	free(keep);
	free(pend);
}

/* Latest acknowledgement recorded before event @end, or -1. */
static int ack_before(unsigned end)
{
	int a = -1;

	for (unsigned i = 0; i < end; i++)
		if (S.ev[i].kind == EV_ACK)
			a = (int)S.ev[i].ack;
	return a;
}

/* Build and check one state; 0 good, 1 good with COPIED-clear, -1 bad. */
static int check_state(const struct state *st, bool cc_ok)
{
	build_files(st);
	return pc_check_built(ack_before(st->end), cc_ok);
}

static void describe(const struct state *st)
{
	unsigned w = 0, kept = 0;

	for (unsigned i = 0; i < st->end; i++) {
		if (S.ev[i].kind != EV_WRITE)
			continue;
		w++;
		kept += st->keep[i];
	}
	fprintf(stderr,
		"  crash state: power cut before event %u of %u, %u of %u writes reached the disk\n",
		st->end, S.nev, kept, w);
}

void pc_replay(unsigned max, uint64_t seed, bool copied_clear_ok,
	       struct pc_result *r)
{
	struct states ss = { 0 };
	uint64_t rng = seed | 1;

	blk_set_io_ops(NULL);
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; getenv("POWERCUT_DEBUG") && i < S.nev; i++)
		fprintf(stderr,
			"event %u: kind %d file %d off 0x%llx len %llu\n", i,
			S.ev[i].kind, S.ev[i].file,
			(unsigned long long)S.ev[i].off,
			(unsigned long long)S.ev[i].len);
	for (unsigned i = 0; i < S.nev; i++) {
		if (S.ev[i].kind == EV_WRITE || S.ev[i].kind == EV_FLUSH)
			r->events++;
		if (S.ev[i].kind == EV_FLUSH)
			states_at(&ss, i, &rng);
	}
	states_at(&ss, S.nev, &rng);
	/* too many: a seeded sample of them */
	while (ss.n > max) {
		unsigned j = rng_next(&rng) % ss.n;

		free(ss.s[j].keep);
		ss.s[j] = ss.s[--ss.n];
	}
	for (unsigned i = 0; i < ss.n; i++) {
		int c = check_state(&ss.s[i], copied_clear_ok);

		r->states++;
		if (c < 0) {
			r->failures++;
			describe(&ss.s[i]);
		} else if (c == 1) {
			r->copied_clear++;
		}
		free(ss.s[i].keep);
	}
	free(ss.s);
}
