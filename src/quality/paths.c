/* paths: confinement of data set files to their tenant's directory and the
 * safe open of one (see paths.h, docs/quality.md "Where files are read").
 *
 * Resolution uses openat2(2) with RESOLVE_BENEATH from the tenant's
 * directory, so "..", absolute symlinks and symlinks climbing out are
 * refused by the kernel (EXDEV) whether or not their target exists: the DQ
 * code never tells whether a file outside the directory exists. Where
 * openat2 is unavailable (kernel < 5.6, or a seccomp filter) it falls back
 * to realpath(3) + a prefix check + open(O_NOFOLLOW) of the resolved path.
 *
 * The file is first opened with O_PATH: that neither opens a FIFO or device
 * (no blocking, no driver side effects) nor, when closed, drops the POSIX
 * locks the process holds on the inode (Linux skips locks_remove_posix for
 * O_PATH files). fstat() of it decides: regular, not the database (device +
 * inode of the database and its -wal/-shm/-journal), within the byte budget.
 * Only then is it opened for reading (O_NONBLOCK, O_NOCTTY), and the second
 * descriptor must name the same inode. Should a race still put the
 * database's inode there, that descriptor is never closed (closing it would
 * release SQLite's locks, as SQLite's own unix VFS knows): it is parked for
 * the life of the process. */
#include "quality/paths.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "domain/datafile.h"
#include "quality/profile.h"
#include "util/log.h"

int quality_location_ok(const char *loc)
{
	if (!loc || !*loc || strlen(loc) > 1024 || loc[0] == '/' || strchr(loc, '\\'))
		return 0;
	for (const char *p = loc; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		while (*p == '/')
			p++;
	}
	return 1;
}

static atomic_int use_openat2 = 1;

void quality_paths_use_openat2(int on)
{
	atomic_store(&use_openat2, on);
}

/* Descriptors that turned out to be the database: kept open, see above. */
static pthread_mutex_t parked_mu = PTHREAD_MUTEX_INITIALIZER;
static int parked[64];
static size_t nparked;

static void park(int fd)
{
	pthread_mutex_lock(&parked_mu);
	if (nparked < sizeof parked / sizeof parked[0])
		parked[nparked++] = fd; /* beyond 64 the descriptor simply leaks, still unclosed */
	pthread_mutex_unlock(&parked_mu);
	log_event(LOG_WARN, "a data file was swapped for the database while being opened; its"
			    " descriptor is kept open so SQLite keeps its locks");
}

/* Opens loc below the directory dfd (canonical path dir) without leaving it;
 * -1 with errno (EXDEV: it would leave the directory). */
static int open_beneath(int dfd, const char *dir, const char *loc, int flags)
{
	if (atomic_load(&use_openat2)) {
		struct open_how how = {
			.flags = (uint64_t)flags,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		for (int tries = 0; tries < 8; tries++) {
			long fd = syscall(SYS_openat2, dfd, loc, &how, sizeof how);
			if (fd >= 0)
				return (int)fd;
			if (errno == EAGAIN || errno == EINTR)
				continue; /* a concurrent rename: the kernel asks to retry */
			if (errno != ENOSYS && errno != EPERM)
				return -1;
			atomic_store(&use_openat2, 0);
			break;
		}
		if (atomic_load(&use_openat2)) {
			errno = EAGAIN;
			return -1;
		}
	}
	char joined[PATH_MAX * 2], real[PATH_MAX];
	if ((size_t)snprintf(joined, sizeof joined, "%s/%s", dir, loc) >= sizeof joined) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!realpath(joined, real))
		return -1;
	if (!datafile_within(dir, real)) {
		errno = EXDEV;
		return -1;
	}
	return open(real, flags | O_NOFOLLOW);
}

static struct datafile_id id_of(const struct stat *sb)
{
	return (struct datafile_id){(uint64_t)sb->st_dev, (uint64_t)sb->st_ino};
}

size_t quality_db_ids(struct datafile_id *out, const char *db_path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	size_t n = 0;
	if (!db_path)
		return 0;
	for (size_t i = 0; i < 4; i++) {
		char p[PATH_MAX];
		struct stat sb;
		if ((size_t)snprintf(p, sizeof p, "%s%s", db_path, suffix[i]) < sizeof p &&
		    stat(p, &sb) == 0)
			out[n++] = id_of(&sb);
	}
	return n;
}

static void fail(char *code, char *reason, size_t rlen, const char *c, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void fail(char *code, char *reason, size_t rlen, const char *c, const char *fmt, ...)
{
	va_list ap;
	snprintf(code, 8, "%s", c);
	va_start(ap, fmt);
	vsnprintf(reason, rlen, fmt, ap);
	va_end(ap);
}

/* The failure of open_beneath (errno) as a DQ code. */
static void open_failed(char *code, char *reason, size_t rlen, int err)
{
	if (err == EXDEV)
		fail(code, reason, rlen, DQ_OUTSIDE_ROOT,
		     "operational.location leads outside the tenant's directory");
	else if (err == ENOENT || err == ENOTDIR)
		fail(code, reason, rlen, DQ_FILE_MISSING,
		     "no file at operational.location in the tenant's directory");
	else
		fail(code, reason, rlen, DQ_FILE_UNREADABLE, "cannot open the file: %s",
		     strerror(err));
}

/* The tenant's directory: its canonical path and an O_PATH descriptor. */
static int tenant_dir(char *dir, const char *data_root, const char *tenant)
{
	char root[PATH_MAX], joined[PATH_MAX * 2];
	if (!realpath(data_root, root))
		return -1;
	if ((size_t)snprintf(joined, sizeof joined, "%s/%s", root, tenant) >= sizeof joined) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!realpath(joined, dir))
		return -1;
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int verdict(char *code, char *reason, size_t rlen, const struct stat *sb,
		   const struct quality_open_req *q)
{
	struct datafile_id db[4];
	size_t ndb = quality_db_ids(db, q->db_path);
	switch (datafile_check(S_ISREG(sb->st_mode), id_of(sb), (uint64_t)sb->st_size, db, ndb,
			       q->max_bytes)) {
	case DATAFILE_OK:
		return 0;
	case DATAFILE_DATABASE:
		fail(code, reason, rlen, DQ_NOT_DATA_FILE,
		     "operational.location names the server's database; it is never read");
		return -2;
	case DATAFILE_NOT_REGULAR:
		fail(code, reason, rlen, DQ_NOT_DATA_FILE,
		     "operational.location is not a regular file (a directory, FIFO, socket or"
		     " device); only regular files are read");
		return -1;
	case DATAFILE_TOO_BIG:
		fail(code, reason, rlen, DQ_TOO_BIG,
		     "the file has %llu bytes, more than the byte budget of %llu bytes",
		     (unsigned long long)sb->st_size, (unsigned long long)q->max_bytes);
		return -1;
	}
	return -1;
}

int quality_open(int *fd, uint64_t *size, char *code, char *reason, size_t rlen,
		 const struct quality_open_req *q)
{
	*fd = -1;
	*size = 0;
	const char *loc = q->location;
	if (!loc || !*loc) {
		fail(code, reason, rlen, DQ_NO_LOCATION, "the data set has no operational.location");
		return -1;
	}
	if (!quality_location_ok(loc)) {
		fail(code, reason, rlen, DQ_OUTSIDE_ROOT,
		     "operational.location must be a relative path without '..'");
		return -1;
	}
	if (!datafile_tenant_dir_ok(q->tenant_id)) {
		fail(code, reason, rlen, DQ_INTERNAL, "the tenant id is not a directory name");
		return -1;
	}
	char dir[PATH_MAX];
	int dfd = tenant_dir(dir, q->data_root, q->tenant_id);
	if (dfd < 0) {
		open_failed(code, reason, rlen, errno == ENOENT || errno == ENOTDIR ? ENOENT : errno);
		return -1;
	}
	int rc = -1;
	struct stat a, b;
	int pfd = open_beneath(dfd, dir, loc, O_PATH | O_CLOEXEC);
	if (pfd < 0) {
		open_failed(code, reason, rlen, errno);
		goto out;
	}
	if (fstat(pfd, &a) < 0) {
		open_failed(code, reason, rlen, errno);
		goto out;
	}
	if (verdict(code, reason, rlen, &a, q) < 0)
		goto out;
	int rfd = open_beneath(dfd, dir, loc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (rfd < 0) {
		open_failed(code, reason, rlen, errno);
		goto out;
	}
	if (fstat(rfd, &b) < 0) {
		open_failed(code, reason, rlen, errno);
		close(rfd);
		goto out;
	}
	int v = verdict(code, reason, rlen, &b, q);
	if (v == -2) {
		park(rfd);
		goto out;
	}
	if (v == 0 && (a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
		fail(code, reason, rlen, DQ_FILE_UNREADABLE,
		     "the file was replaced while it was being opened");
		v = -1;
	}
	if (v < 0) {
		close(rfd);
		goto out;
	}
	*fd = rfd;
	*size = (uint64_t)b.st_size;
	rc = 0;
out:
	if (pfd >= 0)
		close(pfd);
	close(dfd);
	return rc;
}

int quality_stat(struct stat *sb, const char *data_root, const char *tenant_id,
		 const char *location)
{
	if (!location || !quality_location_ok(location) || !datafile_tenant_dir_ok(tenant_id))
		return -1;
	char dir[PATH_MAX];
	int dfd = tenant_dir(dir, data_root, tenant_id);
	if (dfd < 0)
		return -1;
	int pfd = open_beneath(dfd, dir, location, O_PATH | O_CLOEXEC);
	int rc = pfd >= 0 && fstat(pfd, sb) == 0 ? 0 : -1;
	if (pfd >= 0)
		close(pfd);
	close(dfd);
	return rc;
}
