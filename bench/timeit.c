/* SPDX-License-Identifier: MIT */
/*
 * timeit: time named commands side by side.
 *
 *   timeit [-n RUNS] [-w WARMUP] [-b NAME] [-f FILE]... [--csv FILE] NAME=COMMAND...
 *
 * Each command is one argument (or one line of a -f file) of the form
 * NAME=PROGRAM ARG..., split on blanks into an argv and run without a
 * shell, so no quoting, globbing or variables: what is written is what is
 * exec'd. An argument that needs a blank inside it needs a wrapper script.
 *
 * The commands run interleaved, round-robin (A B C A B C ...), so that
 * drift over the run (CPU frequency, page cache, a noisy neighbour) falls
 * on every command alike instead of on whichever ran last. Each run is
 * timed with CLOCK_MONOTONIC from just before posix_spawn() to the return
 * of waitpid(): exec, dynamic linking, the command's own work, its exit and
 * the reaping are all in; timeit's own bookkeeping is not.
 *
 * Any run that does not exit 0 aborts the whole benchmark, naming the
 * command: the time of a command that failed early says nothing about the
 * time of one that works.
 *
 * Build: cc -O2 -Wall -Wextra -o timeit timeit.c (bench/launch.sh does it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Large enough for any sane benchmark, small enough that RUNS * commands
 * doubles can never overflow a size_t or exhaust memory by a typo. */
#define MAX_RUNS 1000000UL
#define MAX_NAME 32

/* What the glibc execvp() falls back to is "/bin:/usr/bin"; a bench run
 * from a stripped environment should still find /usr/sbin tools. */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct command {
	char *name;     /* NAME, validated: [A-Za-z0-9_.-]+ */
	char *line;     /* COMMAND as given, for messages and the CSV */
	char **argv;    /* COMMAND split on blanks, NULL-terminated */
	char *words;    /* the buffer argv points into */
	char *path;     /* argv[0] resolved once, before any timing */
	double *ms;     /* one sample per timed run, in run order */

	/* Filled in by summarize(). */
	double median, p10, p90, min, max, mean;
};

struct bench {
	struct command *cmds;
	size_t n_cmds;
	unsigned long runs;
	unsigned long warmup;
	const char *baseline;   /* a NAME, or NULL for the first command */
	const char *csv_path;
};

static void command_free(struct command *c)
{
	free(c->name);
	free(c->line);
	free(c->argv);
	free(c->words);
	free(c->path);
	free(c->ms);
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Names end up as table labels, CSV fields and (later) JSON keys and plot
 * legends; a small alphabet keeps all of those free of quoting rules. */
static bool name_valid(const char *s, size_t len)
{
	if (len == 0 || len > MAX_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

/* Parse "NAME=COMMAND" into *c. where is "argument 3" or "file:12", used
 * only in messages. Returns 0, or -1 after printing why. */
static int command_parse(struct command *c, const char *spec, const char *where)
{
	const char *eq, *p;
	size_t n_words = 0, i = 0, name_len;
	char *save = NULL, *w;

	memset(c, 0, sizeof(*c));

	eq = strchr(spec, '=');
	if (!eq || spec[0] == '-') {
		fprintf(stderr, "timeit: %s: '%s' is not NAME=COMMAND%s\n", where, spec,
			spec[0] == '-' ? " (options go before the commands)" : "");
		return -1;
	}
	/* "NAME = COMMAND" reads naturally in a file: allow blanks before '='. */
	name_len = eq - spec;
	while (name_len > 0 && is_blank(spec[name_len - 1]))
		name_len--;
	if (!name_valid(spec, name_len)) {
		fprintf(stderr, "timeit: %s: bad name '%.*s' (want 1-%d of A-Z a-z 0-9 _ . -)\n",
			where, (int)name_len, spec, MAX_NAME);
		return -1;
	}

	/* Trim the command line so that the CSV and messages show it as it
	 * will be run. */
	p = eq + 1;
	while (is_blank(*p))
		p++;
	if (*p == '\0') {
		fprintf(stderr, "timeit: %s: command '%.*s' is empty\n", where, (int)name_len, spec);
		return -1;
	}

	c->name = strndup(spec, name_len);
	c->line = strdup(p);
	c->words = strdup(p);
	if (!c->name || !c->line || !c->words)
		goto oom;
	for (size_t len = strlen(c->line); len > 0 && is_blank(c->line[len - 1]); len--)
		c->line[len - 1] = '\0';

	for (const char *q = p; *q; ) {
		while (is_blank(*q))
			q++;
		if (*q == '\0')
			break;
		n_words++;
		while (*q && !is_blank(*q))
			q++;
	}

	c->argv = calloc(n_words + 1, sizeof(char *));
	if (!c->argv)
		goto oom;
	for (w = strtok_r(c->words, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		c->argv[i++] = w;
	c->argv[i] = NULL;
	return 0;

oom:
	fprintf(stderr, "timeit: out of memory\n");
	return -1;
}

/* Why path cannot be exec'd, or NULL if it can (as far as we can tell
 * without exec'ing it). */
static const char *not_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (access(path, X_OK) < 0)
		return errno == EACCES ? "not executable" : strerror(errno);
	return NULL;
}

/* Find argv[0] as execvp() would, but once, up front: a missing program is
 * reported before minutes of timing rather than after, and the PATH walk
 * stays out of the timed region. argv[0] itself is left as written, so the
 * program sees the name it was given. Returns 0, or -1 after printing why. */
static int command_resolve(struct command *c)
{
	const char *prog = c->argv[0];
	const char *path_env, *dir, *end, *why;
	char *cand;

	if (strchr(prog, '/')) {
		why = not_executable(prog);
		if (why) {
			fprintf(stderr, "timeit: command '%s': %s: %s\n", c->name, prog, why);
			return -1;
		}
		c->path = strdup(prog);
		if (!c->path) {
			fprintf(stderr, "timeit: out of memory\n");
			return -1;
		}
		return 0;
	}

	path_env = getenv("PATH");
	if (!path_env || !*path_env)
		path_env = DEFAULT_PATH;

	for (dir = path_env; ; dir = end + 1) {
		size_t dlen;

		end = strchrnul(dir, ':');
		dlen = end - dir;
		/* An empty PATH element means the current directory. */
		if (asprintf(&cand, "%.*s%s%s", (int)dlen, dir, dlen ? "/" : "./", prog) < 0) {
			fprintf(stderr, "timeit: out of memory\n");
			return -1;
		}
		if (!not_executable(cand)) {
			c->path = cand;
			return 0;
		}
		free(cand);
		if (*end == '\0')
			break;
	}

	fprintf(stderr, "timeit: command '%s': %s: not found in PATH (%s)\n", c->name, prog, path_env);
	return -1;
}

static void describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "ended with wait status 0x%x", (unsigned)status);
}

/* Subtract in integer nanoseconds: a double of the absolute time since
 * boot would keep fewer significant digits than the clock has. */
static double elapsed_ms(const struct timespec *t0, const struct timespec *t1)
{
	long long ns = (long long)(t1->tv_sec - t0->tv_sec) * 1000000000LL +
		       (t1->tv_nsec - t0->tv_nsec);

	return ns / 1e6;
}

/* Run c once with fa's redirections and wait for it. On success stores the
 * wall time in *ret_ms and the wait status in *ret_status, and returns 0;
 * returns -errno if the clock, the spawn or the wait failed. */
static int run_once(const struct command *c, const posix_spawn_file_actions_t *fa,
		    double *ret_ms, int *ret_status)
{
	struct timespec t0, t1;
	pid_t pid;
	int r, status;

	if (clock_gettime(CLOCK_MONOTONIC, &t0) < 0)
		return -errno;

	/* posix_spawn rather than fork: glibc spawns with CLONE_VM|CLONE_VFORK,
	 * so the cost of starting a child does not grow with timeit's own
	 * memory (the sample arrays) and is the same small constant for every
	 * command. It also reports an exec failure as its return value. */
	r = posix_spawn(&pid, c->path, fa, NULL, c->argv, environ);
	if (r != 0)
		return -r;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;

	if (clock_gettime(CLOCK_MONOTONIC, &t1) < 0)
		return -errno;

	*ret_ms = elapsed_ms(&t0, &t1);
	*ret_status = status;
	return 0;
}

/* One round-robin pass of every command, rounds times; timed passes store
 * sample [round] of each command. Returns 0, or -1 after printing which
 * command failed and how. */
static int run_rounds(struct bench *b, const posix_spawn_file_actions_t *fa,
		      unsigned long rounds, bool timed)
{
	for (unsigned long round = 0; round < rounds; round++)
		for (size_t i = 0; i < b->n_cmds; i++) {
			struct command *c = &b->cmds[i];
			char why[128];
			double ms = 0;
			int r, status;

			r = run_once(c, fa, &ms, &status);
			if (r < 0) {
				fprintf(stderr, "timeit: command '%s': cannot run %s: %s\n",
					c->name, c->path, strerror(-r));
				return -1;
			}
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				describe_status(status, why, sizeof(why));
				fprintf(stderr,
					"timeit: command '%s' failed on %s run %lu of %lu: %s\n"
					"timeit:   command line: %s\n"
					"timeit:   its output went to /dev/null; run it by hand to see why\n",
					c->name, timed ? "timed" : "warm-up", round + 1, rounds, why, c->line);
				return -1;
			}
			if (timed)
				c->ms[round] = ms;
		}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The p-quantile of sorted[0..n), interpolating linearly between the two
 * nearest ranks (numpy's and R's default), so that p10/p90 of a small run
 * do not jump from sample to sample. */
static double quantile(const double *sorted, size_t n, double p)
{
	double h = (n - 1) * p;
	size_t lo = (size_t)h;

	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}

static int summarize(struct command *c, size_t n)
{
	double *s, sum = 0;

	/* Sort a copy: the samples stay in run order for whoever wants to
	 * look for drift later. */
	s = malloc(n * sizeof(double));
	if (!s)
		return -ENOMEM;
	memcpy(s, c->ms, n * sizeof(double));
	qsort(s, n, sizeof(double), cmp_double);

	for (size_t i = 0; i < n; i++)
		sum += s[i];
	c->min = s[0];
	c->max = s[n - 1];
	c->p10 = quantile(s, n, 0.10);
	c->median = quantile(s, n, 0.50);
	c->p90 = quantile(s, n, 0.90);
	c->mean = sum / n;
	free(s);
	return 0;
}

static void print_table(const struct bench *b, const struct command *base)
{
	int w = 4;

	for (size_t i = 0; i < b->n_cmds; i++) {
		int len = (int)strlen(b->cmds[i].name);
		if (len > w)
			w = len;
	}

	printf("%-*s %7s %10s %10s %10s %10s %10s %9s\n",
	       w, "name", "runs", "median ms", "p10 ms", "p90 ms", "min ms", "max ms", "ratio");
	for (size_t i = 0; i < b->n_cmds; i++) {
		const struct command *c = &b->cmds[i];

		printf("%-*s %7lu %10.3f %10.3f %10.3f %10.3f %10.3f %8.2fx\n",
		       w, c->name, b->runs, c->median, c->p10, c->p90, c->min, c->max,
		       c->median / base->median);
	}
	printf("ratio = median / median of '%s'\n", base->name);
}

/* RFC 4180: a field with a comma, quote or newline is quoted, quotes doubled. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int write_csv(FILE *f, const struct bench *b, const struct command *base)
{
	fputs("name,runs,warmup,median_ms,p10_ms,p90_ms,min_ms,max_ms,mean_ms,ratio,baseline,command\n", f);
	for (size_t i = 0; i < b->n_cmds; i++) {
		const struct command *c = &b->cmds[i];

		fprintf(f, "%s,%lu,%lu,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%s,",
			c->name, b->runs, b->warmup, c->median, c->p10, c->p90, c->min, c->max,
			c->mean, c->median / base->median, base->name);
		csv_field(f, c->line);
		fputc('\n', f);
	}
	/* Buffered write errors only show up here. */
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}

static int add_command(struct bench *b, const char *spec, const char *where)
{
	struct command *cmds, c;

	if (command_parse(&c, spec, where) < 0) {
		command_free(&c);
		return -1;
	}
	for (size_t i = 0; i < b->n_cmds; i++)
		if (strcmp(b->cmds[i].name, c.name) == 0) {
			fprintf(stderr, "timeit: %s: name '%s' is used twice\n", where, c.name);
			command_free(&c);
			return -1;
		}

	cmds = reallocarray(b->cmds, b->n_cmds + 1, sizeof(*cmds));
	if (!cmds) {
		fprintf(stderr, "timeit: out of memory\n");
		command_free(&c);
		return -1;
	}
	b->cmds = cmds;
	b->cmds[b->n_cmds++] = c;
	return 0;
}

/* One NAME=COMMAND per line; blank lines and lines starting with '#' are
 * skipped. */
static int read_file(struct bench *b, const char *path)
{
	FILE *f;
	char *line = NULL, where[PATH_MAX + 32];
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	int r = 0;

	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "timeit: %s: %s\n", path, strerror(errno));
		return -1;
	}

	errno = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		while (is_blank(*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%lu", path, lineno);
		r = add_command(b, p, where);
		if (r < 0)
			break;
	}
	if (r == 0 && ferror(f)) {
		fprintf(stderr, "timeit: %s: read error\n", path);
		r = -1;
	}

	free(line);
	(void)fclose(f);   /* read-only: nothing to lose on close */
	return r;
}

static int parse_count(const char *s, const char *what, unsigned long min, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > MAX_RUNS) {
		fprintf(stderr, "timeit: %s must be a whole number from %lu to %lu, not '%s'\n",
			what, min, MAX_RUNS, s);
		return -1;
	}
	*ret = v;
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: timeit [OPTIONS] NAME=COMMAND...\n"
	      "Time commands interleaved round-robin and compare their medians.\n"
	      "\n"
	      "  -n, --runs N          timed runs per command (default 100)\n"
	      "  -w, --warmup N        untimed warm-up runs per command (default 5)\n"
	      "  -b, --baseline NAME   ratios are relative to NAME (default: first command)\n"
	      "  -f, --file FILE       read NAME=COMMAND lines from FILE ('#' comments);\n"
	      "                        these come before commands given as arguments\n"
	      "      --csv FILE        also write one CSV row per command to FILE\n"
	      "  -h, --help            show this help\n"
	      "\n"
	      "COMMAND is split on blanks and exec'd without a shell; stdin, stdout and\n"
	      "stderr are /dev/null. Any run that does not exit 0 aborts the benchmark.\n", f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "runs",     required_argument, NULL, 'n' },
		{ "warmup",   required_argument, NULL, 'w' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "file",     required_argument, NULL, 'f' },
		{ "csv",      required_argument, NULL, 'C' },
		{ "help",     no_argument,       NULL, 'h' },
		{}
	};
	struct bench b = { .runs = 100, .warmup = 5 };
	const struct command *base = NULL;
	posix_spawn_file_actions_t fa;
	bool fa_init = false;
	FILE *csv = NULL;
	int opt, r, devnull = -1, ret = 1;

	/* '+': stop at the first NAME=COMMAND, never permute. */
	while ((opt = getopt_long(argc, argv, "+n:w:b:f:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (parse_count(optarg, "--runs", 1, &b.runs) < 0)
				goto usage_error;
			break;
		case 'w':
			if (parse_count(optarg, "--warmup", 0, &b.warmup) < 0)
				goto usage_error;
			break;
		case 'b':
			b.baseline = optarg;
			break;
		case 'f':
			if (read_file(&b, optarg) < 0)
				goto usage_error;
			break;
		case 'C':
			b.csv_path = optarg;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			goto usage_error;
		}
	}

	for (int i = optind; i < argc; i++) {
		char where[32];

		snprintf(where, sizeof(where), "argument %d", i);
		if (add_command(&b, argv[i], where) < 0)
			goto usage_error;
	}
	if (b.n_cmds == 0) {
		fprintf(stderr, "timeit: no commands given\n");
		usage(stderr);
		goto usage_error;
	}

	base = &b.cmds[0];
	if (b.baseline) {
		base = NULL;
		for (size_t i = 0; i < b.n_cmds; i++)
			if (strcmp(b.cmds[i].name, b.baseline) == 0)
				base = &b.cmds[i];
		if (!base) {
			fprintf(stderr, "timeit: --baseline: no command is named '%s'\n", b.baseline);
			goto usage_error;
		}
	}

	/* Everything that can fail without running anything fails here,
	 * before the first timed run: a missing program, memory, the CSV
	 * file. */
	for (size_t i = 0; i < b.n_cmds; i++) {
		if (command_resolve(&b.cmds[i]) < 0)
			goto out;
		b.cmds[i].ms = calloc(b.runs, sizeof(double));
		if (!b.cmds[i].ms) {
			fprintf(stderr, "timeit: out of memory\n");
			goto out;
		}
	}
	if (b.csv_path) {
		csv = fopen(b.csv_path, "we");
		if (!csv) {
			fprintf(stderr, "timeit: --csv %s: %s\n", b.csv_path, strerror(errno));
			goto out;
		}
	}

	/* The commands' output would otherwise interleave with the table, and
	 * a terminal is slower to write to than /dev/null, which would time
	 * the terminal. stdin too, so that nothing waits on the keyboard.
	 * O_CLOEXEC: only the dup2'd copies on 0-2 reach the commands. */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		fprintf(stderr, "timeit: /dev/null: %s\n", strerror(errno));
		goto out;
	}
	/* The posix_spawn family returns an error number instead of setting
	 * errno. */
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0) {
		fprintf(stderr, "timeit: posix_spawn_file_actions_init: %s\n", strerror(r));
		goto out;
	}
	fa_init = true;
	for (int fd = 0; fd <= 2; fd++) {
		r = posix_spawn_file_actions_adddup2(&fa, devnull, fd);
		if (r != 0) {
			fprintf(stderr, "timeit: posix_spawn_file_actions_adddup2: %s\n", strerror(r));
			goto out;
		}
	}

	fprintf(stderr, "timeit: %zu command%s, %lu warm-up + %lu timed runs each, interleaved\n",
		b.n_cmds, b.n_cmds == 1 ? "" : "s", b.warmup, b.runs);
	if (run_rounds(&b, &fa, b.warmup, false) < 0)
		goto out;
	if (run_rounds(&b, &fa, b.runs, true) < 0)
		goto out;

	for (size_t i = 0; i < b.n_cmds; i++)
		if (summarize(&b.cmds[i], b.runs) < 0) {
			fprintf(stderr, "timeit: out of memory\n");
			goto out;
		}

	print_table(&b, base);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "timeit: stdout: %m\n");
		goto out;
	}

	if (csv) {
		FILE *f = csv;

		r = write_csv(csv, &b, base);

		csv = NULL;
		/* fclose reports the last write's error (a full disk): check it. */
		if (fclose(f) == EOF && r == 0)
			r = -errno;
		if (r < 0) {
			fprintf(stderr, "timeit: --csv %s: %s\n", b.csv_path, strerror(-r));
			goto out;
		}
	}

	ret = 0;
	goto out;

usage_error:
	ret = 2;
out:
	if (csv) {
		/* Only on failure: leave no empty CSV that looks like a result. */
		(void)fclose(csv);
		if (unlink(b.csv_path) < 0)
			fprintf(stderr, "timeit: cannot remove %s: %m\n", b.csv_path);
	}
	if (fa_init)
		(void)posix_spawn_file_actions_destroy(&fa);
	if (devnull >= 0)
		(void)close(devnull);
	for (size_t i = 0; i < b.n_cmds; i++)
		command_free(&b.cmds[i]);
	free(b.cmds);
	return ret;
}
