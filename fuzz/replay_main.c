/* replay_main: a libFuzzer-compatible driver without libFuzzer, so `make test`
 * replays each fuzz target's corpus with the clang ASan/UBSan build.
 *
 * Usage: fuzz_<name> FILE|DIR...  Every file (directories are read one level
 * deep, in name order) is copied into a buffer of exactly its size (so ASan
 * sees any over-read) and passed to LLVMFuzzerTestOneInput once, in a forked
 * child: a sanitizer report, abort, leak (the child exit()s, so LeakSanitizer
 * runs) or a hang over REPLAY_TIMEOUT seconds fails that input only, and the
 * run goes on. Prints "<prog>: N inputs, M failures" and exits 1 if M > 0. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPLAY_TIMEOUT 20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned ninputs, nfailed;

static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	/* exactly size bytes, so reading one past the end is an ASan report */
	uint8_t *exact = malloc(len ? len : 1);
	if (exact && len)
		memcpy(exact, buf, len);
	free(buf);
	*size = len;
	return exact;
}

static void run_one(const char *path)
{
	size_t size;
	uint8_t *data = slurp(path, &size);
	ninputs++;
	if (!data) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
		nfailed++;
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(REPLAY_TIMEOUT);
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		exit(0);
	}
	free(data);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		fprintf(stderr, "replay: fork/wait failed for %s: %s\n", path, strerror(errno));
		nfailed++;
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	nfailed++;
	if (WIFSIGNALED(st))
		fprintf(stderr, "replay: FAILED %s (signal %d%s)\n", path, WTERMSIG(st),
			WTERMSIG(st) == SIGALRM ? ": timeout" : "");
	else
		fprintf(stderr, "replay: FAILED %s (exit %d)\n", path, WEXITSTATUS(st));
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int regular(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			nfailed++;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			run_one(argv[i]);
			continue;
		}
		struct dirent **ents;
		int n = scandir(argv[i], &ents, regular, by_name);
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], ents[k]->d_name);
			if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
				run_one(path);
			free(ents[k]);
		}
		free(ents);
	}
	printf("%s: %u inputs, %u failures\n", prog, ninputs, nfailed);
	return nfailed ? 1 : 0;
}
