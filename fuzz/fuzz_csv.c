/* fuzz_csv: the streaming CSV reader (src/quality/csv.c) and the cell type
 * validators it feeds (src/quality/typecheck.c), as a data set's file reaches
 * them in a data quality computation.
 *
 * Input: byte 0 configures the run, the rest is the file.
 *   bits 0-1  separator: ',' ';' '\t' '|'
 *   bits 2-7  read size: 0 = whole reads; k > 0 = read() returns at most k
 *             bytes (k = 1 feeds the reader one byte at a time)
 * The file is read twice, once with whole reads and once with the chosen read
 * size, and both runs must give the same records, line numbers and final
 * status: the fast path (records inside the buffer) and the general path
 * (records across reads) are checked against each other. Each field is also
 * run through every type validator. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "quality/csv.h"
#include "quality/typecheck.h"

/* read() is wrapped at link time (-Wl,--wrap=read) so the reader sees short
 * reads on our descriptor; every other read() passes through. */
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __wrap_read(int fd, void *buf, size_t n);
static int chunk_fd = -1;
static size_t chunk;

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	if (fd == chunk_fd && chunk && n > chunk)
		n = chunk;
	return __real_read(fd, buf, n);
}

static int memfd = -1;

static void load(const uint8_t *data, size_t size)
{
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size ||
	    lseek(memfd, 0, SEEK_SET) != 0)
		abort();
}

/* A digest of one run: records are folded in as they come (fields are only
 * valid until the next csv_next), then compared. */
struct digest {
	uint64_t h;
	size_t records;
	int status;
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static void read_all(struct digest *d, char sep, size_t size, bool types)
{
	struct csv_reader *r;
	d->h = 0xcbf29ce484222325ULL;
	d->records = 0;
	if (csv_open(&r, memfd, sep) != 0)
		abort();
	struct csv_record rec;
	int rc;
	uint64_t last_line = 0;
	while ((rc = csv_next(r, &rec)) == CSV_RECORD) {
		d->records++;
		/* contract: >= 1 field, lines increase, fields within the caps */
		if (rec.nfields < 1 || rec.nfields > CSV_MAX_FIELDS || rec.line <= last_line)
			abort();
		last_line = rec.line;
		size_t bytes = 0;
		d->h = mix(d->h, &rec.line, sizeof rec.line);
		d->h = mix(d->h, &rec.nfields, sizeof rec.nfields);
		for (size_t i = 0; i < rec.nfields; i++) {
			const char *f = rec.fields[i];
			size_t n = rec.lens[i];
			if (!f)
				abort();
			bytes += n;
			d->h = mix(d->h, &n, sizeof n);
			d->h = mix(d->h, f, n);
			if (!types || n == 0)
				continue;
			static const struct type_params plain = {0, 0}, dec = {6, 2};
			for (int t = FT_STRING; t <= FT_CUSTOM; t++) {
				double v;
				bool ok = typecheck_valid((enum field_type)t,
							  t == FT_DECIMAL ? &dec : &plain, f, n);
				if (ok && (t == FT_INTEGER || t == FT_DOUBLE || t == FT_DECIMAL) &&
				    !typecheck_number(&v, (enum field_type)t, f, n))
					abort(); /* a valid number must parse */
			}
		}
		if (bytes > size)
			abort();
	}
	d->status = rc;
	/* errors and EOF are sticky */
	if (csv_next(r, &rec) != rc)
		abort();
	if (csv_bytes(r) > size)
		abort();
	(void)csv_error(r);
	csv_close(r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	memfd = memfd_create("fuzz_csv", MFD_CLOEXEC);
	if (memfd < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char seps[] = {',', ';', '\t', '|'};
	char sep = seps[data[0] & 3];
	size_t k = data[0] >> 2;
	data++, size--;
	load(data, size);

	struct digest whole, chunked;
	chunk_fd = -1;
	read_all(&whole, sep, size, true);
	if (k == 0)
		return 0;
	if (lseek(memfd, 0, SEEK_SET) != 0)
		abort();
	chunk_fd = memfd;
	chunk = k;
	read_all(&chunked, sep, size, false);
	chunk_fd = -1;
	if (whole.status != chunked.status || whole.records != chunked.records ||
	    whole.h != chunked.h)
		abort(); /* the result depends on how read() splits the file */
	return 0;
}
