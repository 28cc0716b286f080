/* log: the one structured logger (issue 12). Every log line is one JSON
 * object on one line, {"ts":"<RFC 3339 UTC, ms>","level":"info|warn|error",
 * "msg":"...", fields...}, built in place with its escaping done once (quotes,
 * backslashes and every control character escaped, malformed UTF-8 replaced
 * by '?'), then handed to a background thread through a bounded in-memory
 * buffer so a caller never waits for stderr. When the buffer is full the line
 * is dropped and counted; the count is logged as one line once the writer
 * catches up, and is exported in /metrics. Before log_start() and after
 * log_shutdown() lines are written directly (startup and fatal errors).
 *
 *   log_event(LOG_WARN, "lease lost", LOG_STR("computationId", id),
 *             LOG_INT("attempt", n));
 *
 * or, for lines whose fields depend on conditions, the builder:
 *
 *   struct log_line l;
 *   log_begin(&l, LOG_INFO, "request");
 *   log_str(&l, "path", path);
 *   log_end(&l);
 *
 * docs/operations.md ("Logs") describes the format and the drop semantics. */
#ifndef DP_LOG_H
#define DP_LOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_INFO, LOG_WARN, LOG_ERROR };

/* A line longer than this is cut: its last string value is truncated (on a
 * character boundary), later fields are left out and "truncated":true ends
 * the line, which stays valid JSON. */
#define LOG_LINE_MAX 8192

struct log_line {
	size_t len;
	bool truncated;
	char buf[LOG_LINE_MAX];
};

/* Starts a line: ts, level and msg (escaped like any string value). */
void log_begin(struct log_line *l, enum log_level level, const char *msg);
/* A string field; NULL writes null. */
void log_str(struct log_line *l, const char *key, const char *value);
void log_int(struct log_line *l, const char *key, int64_t value);
/* A number with `decimals` digits after the point (0..9); NaN/inf write null. */
void log_num(struct log_line *l, const char *key, double value, int decimals);
void log_bool(struct log_line *l, const char *key, bool value);
/* Ends the line and queues it (or writes it, when no writer runs). */
void log_end(struct log_line *l);

/* One-call form: a typed field list built by the LOG_* macros. */
enum log_field_type { LOG_T_END, LOG_T_STR, LOG_T_INT, LOG_T_NUM, LOG_T_BOOL };
struct log_field {
	const char *key;
	enum log_field_type type;
	int decimals;
	union {
		const char *s;
		int64_t i;
		double d;
		bool b;
	} v;
};
#define LOG_STR(k, x) ((struct log_field){.key = (k), .type = LOG_T_STR, .v.s = (x)})
#define LOG_INT(k, x) ((struct log_field){.key = (k), .type = LOG_T_INT, .v.i = (int64_t)(x)})
#define LOG_NUM(k, x, dec) \
	((struct log_field){.key = (k), .type = LOG_T_NUM, .decimals = (dec), .v.d = (double)(x)})
#define LOG_BOOL(k, x) ((struct log_field){.key = (k), .type = LOG_T_BOOL, .v.b = (x)})
/* The leading empty field makes the list valid with no fields at all. */
#define log_event(level, msg, ...)                                                               \
	log_fields((level), (msg), (const struct log_field[]){{.type = LOG_T_END}, __VA_ARGS__},    \
		   sizeof((const struct log_field[]){{.type = LOG_T_END}, __VA_ARGS__}) /             \
			   sizeof(struct log_field))
void log_fields(enum log_level level, const char *msg, const struct log_field *f, size_t n);

/* Starts the writer thread on fd with a buffer of cap bytes (0: 4 MiB).
 * The thread blocks every signal. 0 on success, -1 when the thread could not
 * start (lines are then written directly). */
int log_start(int fd, size_t cap);
/* Waits until every line queued before the call is written, at most
 * timeout_ms; 0 when written, -1 on timeout. */
int log_flush(int timeout_ms);
/* Writes what is queued (waiting at most timeout_ms for a stuck stderr; then
 * the rest is lost and the thread is left behind) and stops the thread;
 * lines logged afterwards are written directly. */
void log_shutdown(int timeout_ms);
/* Lines dropped because the buffer was full, since the process started. */
uint64_t log_dropped_total(void);

#endif
