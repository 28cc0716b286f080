/* startup: time from spawning the server to its first served request.
 * Not a test; bench/run.sh drives it.
 *
 *   startup [-n RUNS] -- PROGRAM ARGS...
 *
 * PROGRAM must listen on a loopback port and print its JSON "listening"
 * line with "url":"http://HOST:PORT" on stderr (dataproducts serve does).
 * Each run forks PROGRAM, reads its stderr until that line, then sends
 * GET /health in a tight loop (a fresh connection each try) until one
 * answers 200; the time from fork to that answer is the run's figure. The
 * server is then stopped with SIGTERM. Prints one JSON object:
 *   {"runs":[ms,...],"medianMs":ms,"maxMs":ms,"serverStartupMs":ms}
 * where serverStartupMs is what the server itself logged in the last run. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One GET /health on a new connection; 1 when it answered 200. */
static int health(const char *host, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	inet_pton(AF_INET, host, &a.sin_addr);
	int ok = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
		char req[256], buf[512];
		int n = snprintf(req, sizeof req,
				 "GET /health HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n",
				 host, port);
		if (write(fd, req, (size_t)n) == n) {
			ssize_t got = read(fd, buf, sizeof buf - 1);
			if (got > 12) {
				buf[got] = '\0';
				ok = !strncmp(buf, "HTTP/1.1 200", 12);
			}
		}
	}
	close(fd);
	return ok;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = 5, i = 1;
	if (i + 1 < argc && !strcmp(argv[i], "-n")) {
		runs = atoi(argv[i + 1]);
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc || runs < 1 || runs > 100) {
		fprintf(stderr, "usage: startup [-n RUNS] -- PROGRAM ARGS...\n");
		return 2;
	}
	char **prog = argv + i + 1;
	double ms[100], server_ms = -1;
	signal(SIGPIPE, SIG_IGN);
	for (int r = 0; r < runs; r++) {
		int p[2];
		if (pipe(p) < 0) {
			perror("pipe");
			return 1;
		}
		double t0 = now_ms();
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			dup2(p[1], 2);
			close(p[0]);
			close(p[1]);
			execvp(prog[0], prog);
			_exit(127);
		}
		close(p[1]);
		char log[65536];
		size_t used = 0;
		char host[64] = "", *line;
		int port = 0;
		while (!port) {
			struct pollfd pf = {.fd = p[0], .events = POLLIN};
			if (poll(&pf, 1, 10000) <= 0 || used + 1 >= sizeof log) {
				fprintf(stderr, "startup: no \"listening\" line within 10 s\n");
				kill(pid, SIGKILL);
				return 1;
			}
			ssize_t got = read(p[0], log + used, sizeof log - 1 - used);
			if (got <= 0) {
				fprintf(stderr, "startup: the server exited:\n%.*s\n", (int)used, log);
				return 1;
			}
			used += (size_t)got;
			log[used] = '\0';
			if ((line = strstr(log, "\"listening\"")) && strchr(line, '\n')) {
				const char *u = strstr(line, "\"url\":\"http://");
				if (!u || sscanf(u + 14, "%63[^:]:%d", host, &port) != 2) {
					fprintf(stderr, "startup: cannot read the url in: %s\n", line);
					kill(pid, SIGKILL);
					return 1;
				}
				const char *s = strstr(line, "\"startupMs\":");
				if (s)
					server_ms = atof(s + 12);
			}
		}
		while (!health(host, port)) {
			if (now_ms() - t0 > 10000) {
				fprintf(stderr, "startup: /health did not answer 200 within 10 s\n");
				kill(pid, SIGKILL);
				return 1;
			}
		}
		ms[r] = now_ms() - t0;
		kill(pid, SIGTERM);
		/* keep reading so a chatty shutdown never blocks on a full pipe */
		char sink[4096];
		while (read(p[0], sink, sizeof sink) > 0)
			;
		close(p[0]);
		int status;
		waitpid(pid, &status, 0);
	}
	printf("{\"runs\":[");
	for (int r = 0; r < runs; r++)
		printf("%s%.1f", r ? "," : "", ms[r]);
	qsort(ms, (size_t)runs, sizeof ms[0], cmp);
	double median = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
	printf("],\"medianMs\":%.1f,\"maxMs\":%.1f,\"serverStartupMs\":%.1f}\n", median,
	       ms[runs - 1], server_ms);
	return 0;
}
