/*
 * runner.c - selects tests from the registry, runs each one on its own
 * through CMocka (one group per test, so every test gets its own
 * PASS/FAIL/SKIP and a crash-free failure cannot leak into the next), and
 * writes the reports: one line per test on stdout, JUnit XML, a Markdown
 * matrix, and the summary "N passed, N failed, N skipped" as the last
 * line.
 *
 * CMocka's own banners go to stdout, which is pointed at /dev/null while
 * a test runs; its failure messages (stderr) stay visible.
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nx_conf.h"

enum verdict { V_PASS, V_FAIL, V_SKIP };

struct outcome {
	const struct nx_conf_test *t;
	enum verdict v;
	double secs;
	char *notes;
};

static const struct nx_conf_backend *cur_be;
static const struct nx_conf_opts *cur_opts;
static uint64_t cur_seed;
static char cur_name[128];
static unsigned cur_fixture;

const char *nx_conf_test_name(void)
{
	return cur_name;
}

unsigned nx_conf_test_fixture(void)
{
	return cur_fixture;
}

static int setup(void **state)
{
	return nx_conf_env_setup(cur_be, cur_opts, cur_seed) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	nx_conf_env_teardown();
	return 0;
}

/* FNV-1a: a test's seed depends on its name, not on which others run. */
static uint64_t name_hash(const char *suite, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = suite; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	h = (h ^ '.') * 0x100000001b3ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	return h;
}

static bool selected(const struct nx_conf_opts *o, const struct nx_conf_test *t)
{
	char full[256];

	if (o->suite != NULL && strcmp(o->suite, t->suite) != 0)
		return false;
	if (o->pattern == NULL)
		return true;
	snprintf(full, sizeof(full), "%s.%s", t->suite, t->name);
	if (strpbrk(o->pattern, "*?[") != NULL)
		return fnmatch(o->pattern, full, 0) == 0;
	return strstr(full, o->pattern) != NULL;
}

static const struct nx_conf_backend *pick_backend(const char *name)
{
	if (name == NULL || !strcmp(name, "sim"))
		return &nx_conf_backend_sim;
	if (!strcmp(name, "loopback"))
		return &nx_conf_backend_loopback;
	if (!strcmp(name, "tcp"))
		return &nx_conf_backend_tcp;
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CMocka's assertion messages (stderr) become the test's notes; its
 * "[ ... ]" banners are dropped. */
static void keep_messages(FILE *err)
{
	char line[1024];

	rewind(err);
	while (fgets(line, sizeof(line), err) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "[  ERROR   ] --- ", 17) ||
		    !strncmp(line, "[   LINE   ] --- ", 17))
			nx_conf_note("%s", line + 17);
		else if (line[0] != '[' && line[0] != '\0' &&
			 strstr(line, "FAILED TEST(S)") == NULL &&
			 strstr(line, "SKIPPED TEST(S)") == NULL)
			nx_conf_note("%s", line);
	}
	fclose(err);
}

static bool transport_is(const struct nx_conf_opts *opts, const char *name)
{
	return opts->transport != NULL && strcmp(opts->transport, name) == 0;
}

/* The iscsi suite tests iSCSI itself (login, PDUs, sessions, digests,
 * CHAP): over SRP there is none of it.  SRP's own login, IUs, credits and
 * logout are tested in sim/srp_test.c and transports/srp/iu_test.c. */
static void skip_iscsi_suite(void **state)
{
	NX_SKIP("iSCSI suite: not over SRP (SRP r16a has no iSCSI layer; "
		"SRP's own protocol is tested by sim/srp_test.c)");
}

static void run_one(const struct nx_conf_test *t, struct outcome *o,
		    FILE *out)
{
	struct CMUnitTest ct = {
		.name = t->name, .test_func = t->fn,
		.setup_func = setup, .teardown_func = teardown,
	};
	static const char *const label[] = { "PASS", "FAIL", "SKIP" };
	int devnull = open("/dev/null", O_WRONLY), saved = dup(1), failed;
	FILE *err = cur_opts->verbose ? NULL : tmpfile();
	int saved_err = err ? dup(2) : -1;
	double t0 = now_s();

	/* The backend's sim is seeded with this: nx_random_u64 and every
	 * simulated choice of the test follow from it. */
	cur_seed = cur_opts->seed ^ name_hash(t->suite, t->name);
	snprintf(cur_name, sizeof(cur_name), "%s.%s", t->suite, t->name);
	cur_fixture = t->fixture;
	if (transport_is(cur_opts, "srp") && strcmp(t->suite, "iscsi") == 0)
		ct.test_func = skip_iscsi_suite;
	nx_conf_env_reset_notes();
	fflush(stdout);
	dup2(devnull, 1);
	if (err != NULL) {
		fflush(stderr);
		dup2(fileno(err), 2);
	}
	failed = _cmocka_run_group_tests(t->name, &ct, 1, NULL, NULL);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(devnull);
	if (err != NULL) {
		fflush(stderr);
		dup2(saved_err, 2);
		close(saved_err);
		keep_messages(err);
	}
	o->t = t;
	o->secs = now_s() - t0;
	o->v = failed ? V_FAIL : nx_conf_env_skipped() ? V_SKIP : V_PASS;
	o->notes = strdup(nx_conf_env_notes());
	fprintf(out, "%s  %-14s %s.%s\n", label[o->v], t->clause, t->suite,
		t->name);
	if (o->v != V_PASS || cur_opts->verbose) {
		for (const char *p = o->notes; *p;) {
			const char *nl = strchr(p, '\n');
			int n = nl ? (int)(nl - p) : (int)strlen(p);

			fprintf(out, "      %.*s\n", n, p);
			p += n + (nl != NULL);
		}
	}
	fflush(out);
}

static void xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n')
				fputc(*s, f);
		}
	}
}

static void write_junit(const char *path, const struct outcome *o, size_t n,
			const size_t cnt[3])
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		return;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"nexus-conform\" tests=\"%zu\" "
		   "failures=\"%zu\" skipped=\"%zu\">\n", n, cnt[V_FAIL],
		cnt[V_SKIP]);
	for (size_t i = 0; i < n; i++) {
		const struct nx_conf_test *t = o[i].t;

		if (i == 0 || strcmp(o[i - 1].t->suite, t->suite) != 0)
			fprintf(f, "%s  <testsuite name=\"%s\">\n",
				i ? "  </testsuite>\n" : "", t->suite);
		fprintf(f, "    <testcase classname=\"%s\" name=\"%s\" "
			   "time=\"%.6f\">\n", t->suite, t->name, o[i].secs);
		fprintf(f, "      <properties><property name=\"clause\" value=\"");
		xml_escape(f, t->clause);
		fprintf(f, "\"/><property name=\"requirement\" value=\"");
		xml_escape(f, t->requirement);
		fprintf(f, "\"/></properties>\n");
		if (o[i].v != V_PASS) {
			fprintf(f, "      <%s message=\"",
				o[i].v == V_FAIL ? "failure" : "skipped");
			xml_escape(f, o[i].notes);
			fprintf(f, "\"/>\n");
		}
		fprintf(f, "    </testcase>\n");
	}
	if (n > 0)
		fprintf(f, "  </testsuite>\n");
	fprintf(f, "</testsuites>\n");
	fclose(f);
}

static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputs("<br>", f);
		else
			fputc(*s, f);
	}
}

static void write_matrix(const char *path, const struct nx_conf_opts *opts,
			 const struct outcome *o, size_t n, const size_t cnt[3])
{
	static const char *const label[] = { "PASS", "**FAIL**", "SKIP" };
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		return;
	}
	fprintf(f, "# nexus conformance matrix\n\n");
	fprintf(f, "Backend `%s`%s%s%s%s%s, seed %" PRIu64 ": %zu passed, %zu "
		   "failed, %zu skipped.\n\n",
		opts->backend ? opts->backend : "sim",
		transport_is(opts, "iser") ? ", transport iSER" :
		transport_is(opts, "srp") ? ", transport SRP" : "",
		opts->target_url ? ", target " : "",
		opts->target_url ? opts->target_url : "",
		opts->link ? ", link " : "", opts->link ? opts->link : "",
		opts->seed,
		cnt[V_PASS], cnt[V_FAIL], cnt[V_SKIP]);
	fprintf(f, "| Clause | Test | Requirement | Result |\n");
	fprintf(f, "|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "| %s | `%s.%s` | ", o[i].t->clause, o[i].t->suite,
			o[i].t->name);
		md_cell(f, o[i].t->requirement);
		fprintf(f, " | %s", label[o[i].v]);
		if (o[i].v != V_PASS && o[i].notes[0] != '\0') {
			fprintf(f, ": ");
			md_cell(f, o[i].notes);
		}
		fprintf(f, " |\n");
	}
	fclose(f);
}

static size_t list_tests(const struct nx_conf_opts *opts, FILE *out)
{
	size_t n = 0;

	for (size_t k = 0; k < nx_conf_table_count; k++) {
		const struct nx_conf_table *tb = nx_conf_tables[k];

		for (size_t i = 0; i < tb->count; i++) {
			const struct nx_conf_test *t = &tb->tests[i];

			if (!selected(opts, t))
				continue;
			n++;
			if (opts->list)
				fprintf(out, "%-14s %s.%s  %s\n", t->clause,
					t->suite, t->name, t->requirement);
		}
	}
	return n;
}

int nx_conf_main(const struct nx_conf_opts *opts)
{
	const struct nx_conf_backend *be = pick_backend(opts->backend);
	size_t total = list_tests(opts, stdout), n = 0, cnt[3] = { 0, 0, 0 };
	struct outcome *o;

	if (opts->list)
		return 0;
	if (be == NULL) {
		fprintf(stderr, "nexus-conform: backend '%s' is not available "
				"(sim, loopback, tcp)\n", opts->backend);
		return 2;
	}
	if ((transport_is(opts, "iser") || transport_is(opts, "srp")) &&
	    be != &nx_conf_backend_sim) {
		fprintf(stderr, "nexus-conform: --transport %s runs on the "
				"simulated RDMA fabric: --backend sim only\n",
			opts->transport);
		return 2;
	}
	o = calloc(total + 1, sizeof(*o));
	if (o == NULL)
		return 2;
	cur_be = be;
	cur_opts = opts;
	cmocka_set_message_output(CM_OUTPUT_STDOUT);
	for (size_t k = 0; k < nx_conf_table_count; k++) {
		const struct nx_conf_table *tb = nx_conf_tables[k];

		for (size_t i = 0; i < tb->count; i++) {
			if (!selected(opts, &tb->tests[i]))
				continue;
			run_one(&tb->tests[i], &o[n], stdout);
			cnt[o[n].v]++;
			n++;
		}
	}
	if (opts->junit != NULL)
		write_junit(opts->junit, o, n, cnt);
	if (opts->matrix != NULL)
		write_matrix(opts->matrix, opts, o, n, cnt);
	for (size_t i = 0; i < n; i++)
		free(o[i].notes);
	free(o);
	if (cnt[V_FAIL] != 0)
		fprintf(stdout, "reproduce: nexus-conform --backend %s%s%s%s%s%s%s "
				"--seed %" PRIu64 " --test PATTERN\n",
			be->name,
			opts->transport ? " --transport " : "",
			opts->transport ? opts->transport : "",
			opts->target_url ? " --target " : "",
			opts->target_url ? opts->target_url : "",
			opts->link ? " --link " : "", opts->link ? opts->link : "",
			opts->seed);
	fprintf(stdout, "%zu passed, %zu failed, %zu skipped\n", cnt[V_PASS],
		cnt[V_FAIL], cnt[V_SKIP]);
	fflush(stdout);
	if (n == 0)
		return 2;
	return cnt[V_FAIL] ? 1 : 0;
}
