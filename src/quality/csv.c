/* csv: a streaming RFC 4180 reader (see csv.h and docs/quality-types.md).
 *
 * Two paths share one fixed read buffer of CSV_BUF bytes:
 *  - the fast path handles a record that lies wholly inside the buffer, has
 *    no CR except the one of a CRLF line end, and whose quoted fields (if
 *    any) contain neither "" nor a line break: fields then point straight
 *    into the read buffer, found with memchr (no per-byte calls, no copies);
 *  - the general path is a small state machine that copies the record's
 *    unquoted/unescaped bytes into a growable record buffer (capped at
 *    CSV_MAX_RECORD) and refills the read buffer as often as it must. It
 *    handles everything else: records straddling the buffer end, "",
 *    quoted line breaks, lone CR line ends, the final record without a line
 *    end, and every error.
 * The fast path never consumes input when it gives up, so the general path
 * restarts the same record from its first byte.
 *
 * Errors are sticky: after CSV_MALFORMED, CSV_IO, CSV_NOMEM, CSV_TOO_BIG or
 * CSV_TOO_SLOW every later
 * csv_next() returns the same status (the record boundaries are lost). */
#include "quality/csv.h"
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/clock.h"

#define CSV_BUF (256 * 1024)
#define REC_INIT (64 * 1024)

struct csv_reader {
	int fd;
	char sep;
	bool started;   /* BOM check done */
	bool eof;       /* read() returned 0 */
	bool lone_cr;   /* a lone CR line end was seen: fast path off */
	bool cr_valid;  /* cr_off is valid for the current buffer contents */
	int status;     /* sticky error/EOF status, 1 while records remain */
	size_t pos, len;
	size_t cr_off;  /* offset of the first CR at or after some pos <= cur pos (len if none) */
	uint64_t base;  /* file offset of buf[0] */
	uint64_t line;  /* line number at buf[pos] */
	char *buf;
	char *rec;      /* general-path record bytes */
	size_t rec_len, rec_cap;
	uint64_t max_bytes;  /* 0 = no byte budget */
	int64_t deadline_ns; /* 0 = no time budget */
	const char **fptr;
	size_t *flen;
	size_t *foff;
	bool stop[256]; /* sep, CR, LF: the bytes that end an unquoted run */
	char err[160];
};

int csv_open(struct csv_reader **out, int fd, char sep)
{
	*out = NULL;
	if (sep == '"' || sep == '\r' || sep == '\n')
		return CSV_MALFORMED;
	struct csv_reader *r = calloc(1, sizeof *r);
	if (!r)
		return CSV_NOMEM;
	r->fd = fd;
	r->sep = sep;
	r->status = CSV_RECORD;
	r->line = 1;
	r->buf = malloc(CSV_BUF);
	r->fptr = malloc(CSV_MAX_FIELDS * sizeof *r->fptr);
	r->flen = malloc(CSV_MAX_FIELDS * sizeof *r->flen);
	r->foff = malloc(CSV_MAX_FIELDS * sizeof *r->foff);
	if (!r->buf || !r->fptr || !r->flen || !r->foff) {
		csv_close(r);
		return CSV_NOMEM;
	}
	r->stop[(unsigned char)sep] = true;
	r->stop['\r'] = true;
	r->stop['\n'] = true;
	*out = r;
	return 0;
}

void csv_close(struct csv_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->rec);
	free(r->fptr);
	free(r->flen);
	free(r->foff);
	free(r);
}

uint64_t csv_bytes(const struct csv_reader *r)
{
	return r->base + r->pos;
}

void csv_set_budget(struct csv_reader *r, uint64_t max_bytes, int64_t deadline_ns)
{
	r->max_bytes = max_bytes;
	r->deadline_ns = deadline_ns;
}

const char *csv_error(const struct csv_reader *r)
{
	return r->err[0] ? r->err : "no error";
}

static int fail(struct csv_reader *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct csv_reader *r, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	r->status = status;
	return status;
}

/* Reads more bytes. When everything buffered was consumed the buffer restarts
 * at offset 0, otherwise bytes are appended after len (only at start-up).
 * Returns bytes read (0 at EOF) or CSV_IO. */
static ssize_t fill(struct csv_reader *r)
{
	if (r->pos == r->len) {
		r->base += r->len;
		r->pos = r->len = 0;
	}
	r->cr_valid = false;
	if (r->deadline_ns && clock_mono_ns() > r->deadline_ns)
		return fail(r, CSV_TOO_SLOW, "the time budget ran out after %llu bytes",
			    (unsigned long long)(r->base + r->len));
	if (r->max_bytes && r->base + r->len > r->max_bytes)
		return fail(r, CSV_TOO_BIG, "the file is larger than the byte budget of %llu bytes",
			    (unsigned long long)r->max_bytes);
	size_t want = CSV_BUF - r->len;
	if (r->max_bytes) { /* read at most one byte past the budget */
		uint64_t left = r->max_bytes + 1 - (r->base + r->len);
		if (left < want)
			want = (size_t)left;
	}
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->len, want);
		if (n > 0) {
			r->len += (size_t)n;
			return n;
		}
		if (n == 0) {
			r->eof = true;
			return 0;
		}
		if (errno != EINTR)
			return fail(r, CSV_IO, "read: %s", strerror(errno));
	}
}

static void emit(struct csv_reader *r, struct csv_record *rec, size_t nf, uint64_t line)
{
	rec->nfields = nf;
	rec->fields = r->fptr;
	rec->lens = r->flen;
	rec->line = line;
}

/* Fast path: 1 with a record, 0 to let the general path take this record
 * (nothing consumed except blank lines, which are skipped here too). */
static int fast_next(struct csv_reader *r, struct csv_record *rec)
{
	const char sep = r->sep;
	for (;;) {
		char *p = r->buf + r->pos, *end = r->buf + r->len;
		if (p == end)
			return 0;
		char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return 0;
		char *cend = eol;
		if (cend > p && cend[-1] == '\r')
			cend--;
		if (!r->cr_valid || r->cr_off < r->pos) {
			char *cr = memchr(p, '\r', (size_t)(end - p));
			r->cr_off = cr ? (size_t)(cr - r->buf) : r->len;
			r->cr_valid = true;
		}
		if (r->cr_off < (size_t)(cend - r->buf))
			return 0; /* lone CR or a CR inside quotes */
		if (cend == p) { /* blank line */
			r->pos = (size_t)(eol + 1 - r->buf);
			r->line++;
			continue;
		}
		size_t nf = 0;
		const char *s = p;
		for (;;) {
			if (nf == CSV_MAX_FIELDS)
				return 0;
			if (*s == '"') {
				const char *q = memchr(s + 1, '"', (size_t)(cend - (s + 1)));
				if (!q)
					return 0; /* quoted line break, or straddles */
				r->fptr[nf] = s + 1;
				r->flen[nf] = (size_t)(q - s - 1);
				nf++;
				if (q + 1 == cend)
					break;
				if (q[1] != sep)
					return 0; /* "" or text after the closing quote */
				s = q + 2;
			} else {
				const char *q = memchr(s, sep, (size_t)(cend - s));
				r->fptr[nf] = s;
				if (!q) {
					r->flen[nf++] = (size_t)(cend - s);
					break;
				}
				r->flen[nf++] = (size_t)(q - s);
				s = q + 1;
			}
		}
		emit(r, rec, nf, r->line);
		r->pos = (size_t)(eol + 1 - r->buf);
		r->line++;
		return 1;
	}
}

static int rec_append(struct csv_reader *r, const char *s, size_t n, uint64_t line)
{
	if (n == 0)
		return 0;
	if (n > CSV_MAX_RECORD - r->rec_len)
		return fail(r, CSV_MALFORMED,
			    "line %llu: record longer than %d bytes",
			    (unsigned long long)line, CSV_MAX_RECORD);
	if (r->rec_len + n > r->rec_cap) {
		size_t cap = r->rec_cap ? r->rec_cap : REC_INIT;
		while (cap < r->rec_len + n)
			cap *= 2;
		if (cap > CSV_MAX_RECORD)
			cap = CSV_MAX_RECORD;
		char *nr = realloc(r->rec, cap);
		if (!nr)
			return fail(r, CSV_NOMEM, "out of memory");
		r->rec = nr;
		r->rec_cap = cap;
	}
	memcpy(r->rec + r->rec_len, s, n);
	r->rec_len += n;
	return 0;
}

enum { ST_START, ST_UNQUOTED, ST_QUOTED, ST_QUOTE, ST_CR };

/* General path: a state machine over the buffer, copying into r->rec. */
static int slow_next(struct csv_reader *r, struct csv_record *rec)
{
	const char sep = r->sep;
	int st = ST_START;
	size_t nf = 0, fstart = 0;
	uint64_t line0 = r->line, qline = 0;
	r->rec_len = 0;

	for (;;) {
		if (r->pos == r->len) {
			if (!r->eof) {
				ssize_t n = fill(r);
				if (n < 0)
					return (int)n;
				if (n > 0)
					continue;
			}
			/* end of input */
			switch (st) {
			case ST_START:
				if (nf == 0) {
					r->status = CSV_EOF;
					return CSV_EOF;
				}
				fstart = r->rec_len; /* after a separator: one more empty field */
				break;
			case ST_QUOTED:
				return fail(r, CSV_MALFORMED,
					    "line %llu: end of file inside the quoted field opened on line %llu",
					    (unsigned long long)r->line, (unsigned long long)qline);
			default:
				break;
			}
			if (st != ST_CR) {
				if (nf == CSV_MAX_FIELDS)
					goto too_many;
				r->foff[nf] = fstart;
				r->flen[nf++] = r->rec_len - fstart;
			}
			goto done;
		}

		const char *b = r->buf + r->pos;
		size_t avail = r->len - r->pos;
		switch (st) {
		case ST_START:
			fstart = r->rec_len;
			if (*b == '"') {
				qline = r->line;
				r->pos++;
				st = ST_QUOTED;
			} else {
				st = ST_UNQUOTED;
			}
			break;
		case ST_UNQUOTED: {
			size_t i = 0;
			while (i < avail && !r->stop[(unsigned char)b[i]])
				i++;
			if (rec_append(r, b, i, line0) < 0)
				return r->status;
			r->pos += i;
			if (i == avail)
				break; /* refill */
			char c = b[i];
			if (c == sep || c == '\n' || c == '\r') {
				if (c != sep && nf == 0 && r->rec_len == fstart) {
					/* blank line: zero bytes between line ends */
					r->pos++;
					if (c == '\n') {
						r->line++;
						line0 = r->line;
						st = ST_START;
					} else {
						st = ST_CR;
						nf = (size_t)-1; /* marks "blank" for ST_CR */
					}
					break;
				}
				if (nf == CSV_MAX_FIELDS)
					goto too_many;
				r->foff[nf] = fstart;
				r->flen[nf++] = r->rec_len - fstart;
				r->pos++;
				if (c == sep) {
					st = ST_START;
				} else if (c == '\n') {
					r->line++;
					goto done;
				} else {
					st = ST_CR;
				}
			}
			break;
		}
		case ST_QUOTED: {
			const char *q = memchr(b, '"', avail);
			size_t i = q ? (size_t)(q - b) : avail;
			for (const char *nl = b; (nl = memchr(nl, '\n', (size_t)(b + i - nl))); nl++)
				r->line++;
			if (rec_append(r, b, i, line0) < 0)
				return r->status;
			r->pos += i;
			if (q) {
				r->pos++;
				st = ST_QUOTE;
			}
			break;
		}
		case ST_QUOTE: /* just after a quote inside a quoted field */
			if (*b == '"') {
				if (rec_append(r, b, 1, line0) < 0)
					return r->status;
				r->pos++;
				st = ST_QUOTED;
				break;
			}
			if (*b == sep || *b == '\n' || *b == '\r') {
				if (nf == CSV_MAX_FIELDS)
					goto too_many;
				r->foff[nf] = fstart;
				r->flen[nf++] = r->rec_len - fstart;
				r->pos++;
				if (*b == sep) {
					st = ST_START;
				} else if (*b == '\n') {
					r->line++;
					goto done;
				} else {
					st = ST_CR;
				}
				break;
			}
			return fail(r, CSV_MALFORMED,
				    "line %llu: unexpected '%c' after the closing quote of field %zu",
				    (unsigned long long)r->line, *b >= 0x20 && *b < 0x7f ? *b : '?',
				    nf + 1);
		case ST_CR: /* after a CR that ends a line */
			r->line++;
			if (*b == '\n')
				r->pos++;
			else
				r->lone_cr = true;
			if (nf == (size_t)-1) { /* it ended a blank line */
				nf = 0;
				line0 = r->line;
				st = ST_START;
				break;
			}
			goto done;
		}
	}
done:
	if (st == ST_CR && r->pos == r->len && r->eof) {
		/* the CR was the file's last byte */
		r->line++;
		if (nf == (size_t)-1) {
			r->status = CSV_EOF;
			return CSV_EOF;
		}
	}
	/* Until a byte was copied r->rec is NULL (all fields empty, offsets 0):
	 * point them at "" rather than compute NULL + 0, which is undefined. */
	const char *base = r->rec ? r->rec : "";
	for (size_t i = 0; i < nf; i++)
		r->fptr[i] = base + r->foff[i];
	emit(r, rec, nf, line0);
	return CSV_RECORD;
too_many:
	return fail(r, CSV_MALFORMED, "line %llu: more than %d fields in a record",
		    (unsigned long long)line0, CSV_MAX_FIELDS);
}

int csv_next(struct csv_reader *r, struct csv_record *rec)
{
	if (r->status != CSV_RECORD)
		return r->status;
	if (!r->started) {
		r->started = true;
		while (r->len < 3 && !r->eof) {
			ssize_t n = fill(r);
			if (n < 0)
				return (int)n;
		}
		if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
			r->pos = 3;
	}
	if (!r->lone_cr) {
		if (r->pos == r->len && !r->eof) {
			ssize_t n = fill(r);
			if (n < 0)
				return (int)n;
		}
		if (fast_next(r, rec))
			return CSV_RECORD;
	}
	return slow_next(r, rec);
}
