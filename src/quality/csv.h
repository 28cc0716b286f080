/* csv: a streaming RFC 4180 reader. Reads a file descriptor through a fixed
 * buffer, so memory does not grow with the file: only with the longest
 * record, which is capped (CSV_MAX_RECORD). Handles quoted fields with
 * embedded separators, quotes ("") and newlines, LF and CRLF line ends, a
 * UTF-8 BOM, and ragged rows (records with more or fewer fields). */
#ifndef DP_CSV_H
#define DP_CSV_H
#include <stddef.h>
#include <stdint.h>

#define CSV_MAX_RECORD (1024 * 1024) /* bytes in one record, quotes removed */
#define CSV_MAX_FIELDS 4096

struct csv_reader;

/* One record: fields[i] points at lens[i] bytes (not NUL-terminated, quotes
 * removed, "" unescaped). Borrowed: valid until the next csv_next() call. */
struct csv_record {
	size_t nfields;
	const char *const *fields;
	const size_t *lens;
	uint64_t line; /* 1-based line number where the record starts */
};

enum csv_status {
	CSV_RECORD = 1,   /* *rec holds a record */
	CSV_EOF = 0,      /* no more records */
	CSV_IO = -1,      /* read() failed */
	CSV_MALFORMED = -2, /* unterminated quote, text after a closing quote, or a record over the caps */
	CSV_NOMEM = -3,
	CSV_TOO_BIG = -4,  /* more bytes than the budget (csv_set_budget) */
	CSV_TOO_SLOW = -5, /* the deadline passed before the end of the file */
};

/* Reads from fd (not closed by the reader). sep is normally ','. */
int csv_open(struct csv_reader **out, int fd, char sep);
int csv_next(struct csv_reader *r, struct csv_record *rec);
/* A budget for one pass: at most max_bytes bytes are read (0 = no limit;
 * reading stops within one buffer of the limit) and no read starts after
 * deadline_ns of clock_mono_ns() (0 = none). Checked before every read(),
 * so a pass that exceeds either ends with CSV_TOO_BIG / CSV_TOO_SLOW. */
void csv_set_budget(struct csv_reader *r, uint64_t max_bytes, int64_t deadline_ns);
/* Bytes consumed so far (for progress and MB/s). */
uint64_t csv_bytes(const struct csv_reader *r);
/* Human-readable reason after CSV_MALFORMED/CSV_IO (borrowed). */
const char *csv_error(const struct csv_reader *r);
void csv_close(struct csv_reader *r);

#endif
