/* log: JSON log lines built in place (escaping once, no printf per byte) and
 * written by one background thread from a mutex-protected byte ring, so a
 * request never waits for a slow stderr; a full ring drops and counts lines.
 * See log.h for the API and docs/operations.md for the format. */
#include "util/log.h"
#include "util/utf8.h"
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* room kept free for ,"truncated":true}\n at the end of a line */
#define TAIL_RESERVE 24
#define LIMIT (LOG_LINE_MAX - TAIL_RESERVE)
/* ~16,000 request lines: at 70,000 requests/s on 2 cores the writer thread,
 * starved of CPU by the request threads and the load generator, sometimes
 * fell 50 ms behind a 1 MiB buffer and lines were dropped though stderr was
 * a plain file; 4 MiB dropped none in the same runs (docs/operations.md) */
#define DEFAULT_CAP ((size_t)4 << 20)
/* Once woken by a first line, the writer lets lines gather this long before
 * it writes them in one write(2): one wake-up and one syscall per batch
 * instead of per line under load (a futex wake per line cost ~2 us of CPU
 * per request). Lines reach stderr about this much later. */
#define BATCH_NS 1000000L

static const char *const level_names[] = {"info", "warn", "error"};

/* ------------------------------------------------------------ the writer */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t wake;	/* the writer: there is work */
	pthread_cond_t written; /* flushers: tail advanced */
	char *buf;
	size_t cap;
	uint64_t head, tail; /* bytes ever queued / written; head - tail <= cap */
	int fd;
	bool running; /* a writer thread owns the ring */
	bool stop;
	bool exited;
	bool waiting;  /* the writer sleeps on wake until a line comes */
	bool batching; /* the writer lets lines gather (BATCH_NS) */
	bool urgent;   /* flush, shutdown or a half-full ring: write now */
	uint64_t dropped, dropped_reported;
	pthread_t thread;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
       .written = PTHREAD_COND_INITIALIZER, .fd = 2};

/* write(2) until done; gives up on an error other than EINTR/EAGAIN. */
static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			(void)poll(&pf, 1, 100);
		} else {
			return;
		}
	}
}

static void put_u64(char *out, size_t *len, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		out[(*len)++] = tmp[--n];
}

static void line_close(struct log_line *l);

static void *writer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g.mu);
	for (;;) {
		while (g.head == g.tail && g.dropped == g.dropped_reported && !g.stop) {
			g.waiting = true;
			pthread_cond_wait(&g.wake, &g.mu);
			g.waiting = false;
		}
		if (!g.stop && !g.urgent) {
			struct timespec dl;
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_nsec += BATCH_NS;
			if (dl.tv_nsec >= 1000000000L) {
				dl.tv_sec++;
				dl.tv_nsec -= 1000000000L;
			}
			g.batching = true;
			while (!g.stop && !g.urgent &&
			       pthread_cond_timedwait(&g.wake, &g.mu, &dl) != ETIMEDOUT)
				;
			g.batching = false;
		}
		g.urgent = false;
		if (g.head == g.tail && g.dropped == g.dropped_reported && g.stop)
			break;
		uint64_t t = g.tail, h = g.head;
		uint64_t drops = g.dropped - g.dropped_reported;
		g.dropped_reported = g.dropped;
		int fd = g.fd;
		pthread_mutex_unlock(&g.mu);
		/* the bytes between t and h are ours until tail moves: callers
		 * only write at head, and never past tail + cap */
		size_t off = (size_t)(t % g.cap), n = (size_t)(h - t);
		size_t first = n < g.cap - off ? n : g.cap - off;
		write_all(fd, g.buf + off, first);
		write_all(fd, g.buf, n - first);
		if (drops) {
			struct log_line l;
			log_begin(&l, LOG_WARN, "log lines dropped: stderr was too slow");
			log_int(&l, "dropped", (int64_t)drops);
			line_close(&l);
			write_all(fd, l.buf, l.len);
		}
		pthread_mutex_lock(&g.mu);
		g.tail = h;
		pthread_cond_broadcast(&g.written);
	}
	g.exited = true;
	pthread_cond_broadcast(&g.written);
	pthread_mutex_unlock(&g.mu);
	return NULL;
}

/* Queues a finished line, or writes it when no writer runs. */
static void emit(const char *p, size_t n)
{
	pthread_mutex_lock(&g.mu);
	if (!g.running) {
		int fd = g.fd;
		pthread_mutex_unlock(&g.mu);
		write_all(fd, p, n);
		return;
	}
	if (g.head - g.tail + n > g.cap) {
		g.dropped++;
		pthread_mutex_unlock(&g.mu);
		return;
	}
	size_t off = (size_t)(g.head % g.cap);
	size_t first = n < g.cap - off ? n : g.cap - off;
	memcpy(g.buf + off, p, first);
	memcpy(g.buf, p + first, n - first);
	g.head += n;
	if (g.waiting) {
		pthread_cond_signal(&g.wake);
	} else if (g.batching && !g.urgent && g.head - g.tail > g.cap / 2) {
		g.urgent = true; /* do not let the batch overflow the ring */
		pthread_cond_signal(&g.wake);
	}
	pthread_mutex_unlock(&g.mu);
}

int log_start(int fd, size_t cap)
{
	if (!cap)
		cap = DEFAULT_CAP;
	char *buf = malloc(cap);
	if (!buf)
		return -1;
	pthread_mutex_lock(&g.mu);
	if (g.running) {
		pthread_mutex_unlock(&g.mu);
		free(buf);
		return -1;
	}
	g.buf = buf;
	g.cap = cap;
	g.head = g.tail = 0;
	g.fd = fd;
	g.stop = g.exited = g.waiting = g.batching = g.urgent = false;
	g.dropped_reported = g.dropped;
	/* the thread inherits a full signal mask: SIGTERM/SIGINT stay with
	 * the thread that sigwaits for them */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&g.thread, NULL, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		g.buf = NULL;
		pthread_mutex_unlock(&g.mu);
		free(buf);
		return -1;
	}
	g.running = true;
	pthread_mutex_unlock(&g.mu);
	return 0;
}

/* Waits on `written` until done() or the deadline; true when done. */
static bool wait_until(bool (*done)(uint64_t), uint64_t arg, int timeout_ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	while (!done(arg))
		if (pthread_cond_timedwait(&g.written, &g.mu, &dl) == ETIMEDOUT)
			return done(arg);
	return true;
}

static bool written_up_to(uint64_t target)
{
	return g.exited || (g.tail >= target && g.dropped == g.dropped_reported);
}

static bool writer_exited(uint64_t unused)
{
	(void)unused;
	return g.exited;
}

int log_flush(int timeout_ms)
{
	pthread_mutex_lock(&g.mu);
	if (!g.running) {
		pthread_mutex_unlock(&g.mu);
		return 0;
	}
	uint64_t target = g.head;
	g.urgent = true;
	pthread_cond_signal(&g.wake);
	bool ok = wait_until(written_up_to, target, timeout_ms);
	pthread_mutex_unlock(&g.mu);
	return ok ? 0 : -1;
}

void log_shutdown(int timeout_ms)
{
	pthread_mutex_lock(&g.mu);
	if (!g.running) {
		pthread_mutex_unlock(&g.mu);
		return;
	}
	g.stop = true;
	pthread_cond_signal(&g.wake);
	bool done = wait_until(writer_exited, 0, timeout_ms);
	/* from here lines go straight to the fd */
	g.running = false;
	pthread_mutex_unlock(&g.mu);
	if (done) {
		pthread_join(g.thread, NULL);
		free(g.buf);
		g.buf = NULL;
	} else {
		/* the writer is stuck in write(); it still reads the ring, so the
		 * buffer stays allocated and the thread is left to the exit */
		pthread_detach(g.thread);
	}
}

uint64_t log_dropped_total(void)
{
	pthread_mutex_lock(&g.mu);
	uint64_t n = g.dropped;
	pthread_mutex_unlock(&g.mu);
	return n;
}

/* ----------------------------------------------------------- the builder */

static const char hex[] = "0123456789abcdef";

/* Appends raw bytes if they fit below LIMIT; false (line truncated) if not. */
static bool put(struct log_line *l, const char *s, size_t n)
{
	if (l->truncated || l->len + n > LIMIT) {
		l->truncated = true;
		return false;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	return true;
}

/* Appends s as a JSON string (quotes included). A value that does not fit is
 * cut at a character boundary and the line marked truncated. */
static void put_string(struct log_line *l, const char *s)
{
	if (l->truncated)
		return;
	if (!s) {
		put(l, "null", 4);
		return;
	}
	/* one byte for the closing quote is always kept */
	size_t limit = LIMIT - 1;
	if (l->len + 1 > limit) {
		l->truncated = true;
		return;
	}
	char *o = l->buf;
	size_t len = l->len;
	o[len++] = '"';
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			/* a run of plain ASCII: copied as is */
			const unsigned char *q = p + 1;
			while (*q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
				q++;
			size_t n = (size_t)(q - p);
			if (len + n > limit) {
				n = limit - len;
				memcpy(o + len, p, n);
				len += n;
				l->truncated = true;
				break;
			}
			memcpy(o + len, p, n);
			len += n;
			p = q;
			continue;
		}
		char esc[6];
		size_t n;
		const char *src = esc;
		size_t adv = 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c, n = 2;
		} else if (c < 0x20) {
			esc[0] = '\\';
			n = 2;
			switch (c) {
			case '\n': esc[1] = 'n'; break;
			case '\r': esc[1] = 'r'; break;
			case '\t': esc[1] = 't'; break;
			case '\b': esc[1] = 'b'; break;
			case '\f': esc[1] = 'f'; break;
			default:
				esc[1] = 'u', esc[2] = '0', esc[3] = '0';
				esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
				n = 6;
			}
		} else {
			size_t sl = utf8_seq_len(p);
			if (sl == 0) {
				esc[0] = '?', n = 1; /* malformed: one byte replaced */
			} else {
				src = (const char *)p, n = sl, adv = sl;
			}
		}
		if (len + n > limit) {
			l->truncated = true;
			break;
		}
		memcpy(o + len, src, n);
		len += n;
		p += adv;
	}
	o[len++] = '"';
	l->len = len;
}

static bool put_key(struct log_line *l, const char *key)
{
	if (!put(l, ",", 1))
		return false;
	put_string(l, key);
	return put(l, ":", 1);
}

/* "YYYY-MM-DDTHH:MM:SS" of the current second, cached per thread. */
static void put_ts(struct log_line *l)
{
	static _Thread_local time_t cached_sec = -1;
	static _Thread_local char cached[20];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_sec) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		int f[6] = {(tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday,
			    tm.tm_hour, tm.tm_min, tm.tm_sec};
		char *c = cached;
		c[0] = (char)('0' + f[0] / 1000), c[1] = (char)('0' + f[0] / 100 % 10);
		c[2] = (char)('0' + f[0] / 10 % 10), c[3] = (char)('0' + f[0] % 10);
		static const char seps[] = "--T::";
		for (int i = 1; i < 6; i++) {
			char *d = c + 4 + (i - 1) * 3;
			d[0] = seps[i - 1];
			d[1] = (char)('0' + f[i] / 10 % 10);
			d[2] = (char)('0' + f[i] % 10);
		}
		cached_sec = ts.tv_sec;
	}
	int ms = (int)(ts.tv_nsec / 1000000);
	char *o = l->buf + l->len;
	memcpy(o, "{\"ts\":\"", 7);
	memcpy(o + 7, cached, 19);
	o[26] = '.';
	o[27] = (char)('0' + ms / 100), o[28] = (char)('0' + ms / 10 % 10);
	o[29] = (char)('0' + ms % 10);
	memcpy(o + 30, "Z\"", 2);
	l->len += 32;
}

void log_begin(struct log_line *l, enum log_level level, const char *msg)
{
	l->len = 0;
	l->truncated = false;
	put_ts(l);
	const char *name = level_names[level <= LOG_ERROR ? level : LOG_ERROR];
	put(l, ",\"level\":\"", 10);
	put(l, name, strlen(name));
	put(l, "\",\"msg\":", 8);
	put_string(l, msg);
}

void log_str(struct log_line *l, const char *key, const char *value)
{
	size_t mark = l->len;
	if (!put_key(l, key)) {
		l->len = mark;
		return;
	}
	size_t before = l->len;
	put_string(l, value);
	if (l->len == before)
		l->len = mark; /* not even "" fitted: no half field */
}

void log_int(struct log_line *l, const char *key, int64_t value)
{
	char tmp[24];
	size_t n = 0;
	uint64_t u = (uint64_t)value;
	if (value < 0) {
		tmp[n++] = '-';
		u = 0 - u;
	}
	put_u64(tmp, &n, u);
	size_t mark = l->len;
	if (!put_key(l, key) || !put(l, tmp, n))
		l->len = mark; /* no half field */
}

void log_num(struct log_line *l, const char *key, double value, int decimals)
{
	char tmp[48];
	size_t n = 0;
	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	if (!isfinite(value)) {
		memcpy(tmp, "null", 4);
		n = 4;
	} else if (fabs(value) < 1e15) {
		uint64_t scale = 1;
		for (int i = 0; i < decimals; i++)
			scale *= 10;
		double a = fabs(value) * (double)scale + 0.5;
		uint64_t v = (uint64_t)a;
		if (value < 0 && v)
			tmp[n++] = '-';
		put_u64(tmp, &n, v / scale);
		if (decimals) {
			tmp[n++] = '.';
			uint64_t frac = v % scale;
			for (uint64_t d = scale / 10; d; d /= 10)
				tmp[n++] = (char)('0' + frac / d % 10);
		}
	} else {
		int w = snprintf(tmp, sizeof tmp, "%.*f", decimals, value);
		n = w > 0 && (size_t)w < sizeof tmp ? (size_t)w : 0;
		if (!n) {
			memcpy(tmp, "null", 4);
			n = 4;
		}
	}
	size_t mark = l->len;
	if (!put_key(l, key) || !put(l, tmp, n))
		l->len = mark;
}

void log_bool(struct log_line *l, const char *key, bool value)
{
	size_t mark = l->len;
	if (!put_key(l, key) || !put(l, value ? "true" : "false", value ? 4 : 5))
		l->len = mark;
}

static void line_close(struct log_line *l)
{
	/* TAIL_RESERVE bytes are always free past LIMIT */
	if (l->truncated) {
		memcpy(l->buf + l->len, ",\"truncated\":true", 17);
		l->len += 17;
	}
	l->buf[l->len++] = '}';
	l->buf[l->len++] = '\n';
}

void log_end(struct log_line *l)
{
	line_close(l);
	emit(l->buf, l->len);
}

void log_fields(enum log_level level, const char *msg, const struct log_field *f, size_t n)
{
	struct log_line l;
	log_begin(&l, level, msg);
	for (size_t i = 0; i < n; i++) {
		switch (f[i].type) {
		case LOG_T_END: break;
		case LOG_T_STR: log_str(&l, f[i].key, f[i].v.s); break;
		case LOG_T_INT: log_int(&l, f[i].key, f[i].v.i); break;
		case LOG_T_NUM: log_num(&l, f[i].key, f[i].v.d, f[i].decimals); break;
		case LOG_T_BOOL: log_bool(&l, f[i].key, f[i].v.b); break;
		}
	}
	log_end(&l);
}
