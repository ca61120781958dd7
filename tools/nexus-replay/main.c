/*
 * nexus-replay - replays the initiator side of captured iSCSI sessions
 * against nexus (simulated) or a live target, and diffs every answer
 * with the captured target's.
 *
 *   nexus-replay [--json] [--no-data] [--port N] [--verbose]
 *                [--target URL [--allow-writes] [--lun-map C=L,...]
 *                 [--timeout SECS]] capture.pcap
 *
 * The capture (pcap or pcapng; traces/nx_trace.h) is decoded into
 * sessions and commands; a simulated nexus target is configured from
 * what the capture shows (or, with --target, the live target is used as
 * it is) and the commands are replayed in captured order
 * (tools/nexus-replay/replay.c).  For each command whose answers differ
 * (status, sense key/ASC/ASCQ, residual, Data-In bytes, the R2T sequence
 * of a write) it prints the command, both answers and the clause behind
 * the expected answer; the last line is always
 *     replayed N commands in S sessions, D differ
 * (N counts SCSI Command PDUs sent; D counts differing commands and
 * TMFs; a live replay without --allow-writes says how many writes it
 * skipped: "replayed N commands in S sessions (W writes skipped), D
 * differ").  Exit: 0 nothing differs, 1 something differs, 2 unusable
 * input or a live target that failed (refused, silent past --timeout).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

static const char *const kind_names[RP_KINDS] = { "status", "sense",
						  "residual", "data", "tmf",
						  "r2t" };

static void usage(FILE *f)
{
	fprintf(f, "usage: nexus-replay [--json] [--no-data] [--port N] "
		"[--verbose]\n"
		"                    [--target URL [--allow-writes] "
		"[--lun-map C=L,...] [--timeout SECS]]\n"
		"                    capture.pcap\n"
		"  --json          machine-readable report on stdout\n"
		"  --no-data       compare status, sense and residuals only\n"
		"  --port N        the iSCSI port when it is not 3260 and no SYN "
		"was captured\n"
		"  --verbose       every command, and the initiator/simulator log "
		"on stderr\n"
		"  --target URL    replay against a live target instead of a "
		"simulated nexus:\n"
		"                  iscsi://[user[%%secret]@]host[:port]/iqn/lun; "
		"every captured\n"
		"                  session logs in to that target (CHAP from the "
		"URL)\n"
		"  --allow-writes  (live) also send the commands that write the "
		"medium;\n"
		"                  without it they are skipped and counted in the "
		"summary\n"
		"  --lun-map C=L   (live) captured LUN C goes to LUN L; default: "
		"a capture of\n"
		"                  one LUN goes to the URL's LUN, several keep "
		"their numbers\n"
		"  --timeout SECS  (live) bound on every wait, default 10; a "
		"target that\n"
		"                  refuses or stays silent ends the replay with "
		"exit 2\n"
		"exit: 0 no difference, 1 differences, 2 unusable input or failed "
		"target\n");
}

/* ---- report ---------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void rp_note(const struct rp_opts *o, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nexus-replay: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void answer_text(const struct rp_answer *a, char *buf, size_t cap)
{
	uint8_t key, asc, ascq;
	int o;

	if (!a->present) {
		snprintf(buf, cap, "none (%s)", a->none_why);
		return;
	}
	if (a->rejected) {
		snprintf(buf, cap, "Reject, reason %02Xh", a->reject_reason);
		return;
	}
	if (a->response != 0) {
		snprintf(buf, cap, "iSCSI response %02Xh (target failure)",
			 a->response);
		return;
	}
	o = snprintf(buf, cap, "%s", rp_status_name(a->status));
	if (a->status == 0x02 && o > 0 && (size_t)o < cap) {
		rp_sense_triplet(a->sense, a->sense_len, &key, &asc, &ascq);
		o += snprintf(buf + o, cap - (size_t)o, ", %s %02Xh/%02Xh %s",
			      rp_sense_key_name(key), asc, ascq,
			      rp_asc_name(asc, ascq));
	}
	if (o > 0 && (size_t)o < cap && (a->flags & 0x06))
		o += snprintf(buf + o, cap - (size_t)o, ", %s residual %u",
			      (a->flags & 0x02) ? "underflow" : "overflow",
			      a->residual);
	if (o > 0 && (size_t)o < cap && a->data_len)
		snprintf(buf + o, cap - (size_t)o, ", data-in %u bytes",
			 a->data_len);
}

static void diff_kinds(unsigned diff, char *buf, size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < RP_KINDS && o < cap; k++)
		if (diff & (1u << k))
			o += (size_t)snprintf(buf + o, cap - o, "%s%s",
					      o ? "," : "", kind_names[k]);
}

/* ---- R2T words --------------------------------------------------------------- */

struct r2t_text {
	char cap[640], nx[640], expected[640];
	char cap_keys[160], nx_keys[160];
	char cap_bad[256], nx_bad[256];   /* "" = keeps RFC 7143 */
	const char *rule;
};

static void r2t_side(const struct rp_r2ts *r, uint32_t edtl, char *seq,
		     size_t seq_cap, char *keys, size_t keys_cap, char *bad,
		     size_t bad_cap)
{
	char list[512];

	nx_tr_r2t_format(r->r2t, r->n, list, sizeof(list));
	snprintf(seq, seq_cap, "%s after %u unsolicited bytes", list, r->unsol);
	nx_tr_burst_format(r->burst, keys, keys_cap);
	bad[0] = '\0';
	nx_tr_r2t_check(r->burst, edtl, r->unsol, r->want, r->complete,
			r->r2t, r->n, bad, bad_cap);
}

static void r2t_words(const struct rp_opts *o, uint32_t edtl,
		      const struct rp_r2ts *cap, const struct rp_r2ts *nx,
		      struct r2t_text *w)
{
	struct nx_tr_r2t exp[NX_TR_R2T_KEEP];
	uint32_t n;
	char list[512];

	r2t_side(cap, edtl, w->cap, sizeof(w->cap), w->cap_keys,
		 sizeof(w->cap_keys), w->cap_bad, sizeof(w->cap_bad));
	r2t_side(nx, edtl, w->nx, sizeof(w->nx), w->nx_keys,
		 sizeof(w->nx_keys), w->nx_bad, sizeof(w->nx_bad));
	/* What a target that solicits the rest of the wanted bytes in
	 * order, MaxBurstLength at a time, sends under the captured keys:
	 * what nexus does (transports/iscsi/scsi.c cmd_send_r2ts). */
	n = nx_tr_r2t_expected(cap->burst, cap->unsol, cap->want, exp,
			       NX_TR_R2T_KEEP);
	nx_tr_r2t_format(exp, n, list, sizeof(list));
	snprintf(w->expected, sizeof(w->expected), "%s (bytes %u..%u in "
		 "order, at most MaxBurstLength each)", list, cap->unsol,
		 cap->want ? cap->want - 1 : 0);
	w->rule = "RFC 7143 11.8.3: each R2T asks for 1..MaxBurstLength "
		  "bytes inside the Expected Data Transfer Length; 13.10, "
		  "13.11, 13.14: the unsolicited first burst (ImmediateData, "
		  "InitialR2T, FirstBurstLength) is not asked for; 13.19: "
		  "with DataSequenceInOrder=Yes at increasing offsets without "
		  "gap; 11.8.4: R2TSN from 0";
	(void)o;
}

static void json_field(FILE *f, const char *key, const char *val)
{
	fprintf(f, ",\"%s\":", key);
	json_str(f, val);
}

static void report_json_r2t(const struct rp_opts *o, const struct r2t_text *w)
{
	char key[48];

	json_field(o->out, "r2t_captured", w->cap);
	snprintf(key, sizeof(key), "r2t_%s", o->peer);
	json_field(o->out, key, w->nx);
	json_field(o->out, "r2t_expected", w->expected);
	json_field(o->out, "r2t_keys_captured", w->cap_keys);
	snprintf(key, sizeof(key), "r2t_keys_%s", o->peer);
	json_field(o->out, key, w->nx_keys);
	if (w->cap_bad[0])
		json_field(o->out, "r2t_violation_captured", w->cap_bad);
	snprintf(key, sizeof(key), "r2t_violation_%s", o->peer);
	if (w->nx_bad[0])
		json_field(o->out, key, w->nx_bad);
	json_field(o->out, "r2t_clause", w->rule);
}

static void report_text_r2t(const struct rp_opts *o, const struct r2t_text *w)
{
	FILE *f = o->out;
	bool same_keys = strcmp(w->cap_keys, w->nx_keys) == 0;

	fprintf(f, "    r2t:      captured %s (%s)\n", w->cap, w->cap_keys);
	fprintf(f, "    r2t:      %-8s %s (%s)\n", o->peer, w->nx,
		same_keys ? "same keys" : w->nx_keys);
	fprintf(f, "    r2t:      expected %s\n", w->expected);
	if (w->cap_bad[0])
		fprintf(f, "    r2t:      captured breaks %s\n", w->cap_bad);
	if (w->nx_bad[0])
		fprintf(f, "    r2t:      %s breaks %s\n", o->peer, w->nx_bad);
	if (!same_keys)
		fprintf(f, "    r2t:      the keys differ: the %s settled other "
			"values from the same offers\n", o->peer);
	fprintf(f, "    rule:     %s\n", w->rule);
}

static void report_json_cmd(const struct rp_opts *o, const struct nx_tr_cmd *m,
			    uint32_t idx, uint32_t session, const char *cdb,
			    const char *cap, const char *nx, const char *kinds,
			    const char *clause, uint32_t first,
			    const struct r2t_text *r2t)
{
	FILE *f = o->out;

	fprintf(f, "{\"command\":%u,\"session\":%u,\"frame\":%u,\"lun\":%u",
		idx + 1, session, m->frame_cmd, nx_tr_lun_number(m->lun));
	json_field(f, "cdb", cdb);
	json_field(f, "differs", kinds);
	json_field(f, "captured", cap);
	json_field(f, o->peer, nx);
	if (first != UINT32_MAX)
		fprintf(f, ",\"first_data_diff\":%u", first);
	if (clause)
		json_field(f, "clause", clause);
	if (r2t != NULL)
		report_json_r2t(o, r2t);
	fprintf(f, "}\n");
}

static void report_text_data(FILE *f, const char *peer,
			     const struct rp_answer *cap,
			     const struct rp_answer *nx, uint32_t first)
{
	fprintf(f, "    data:     first difference at byte %u", first);
	if (first < cap->data_len && first < nx->data_len)
		fprintf(f, " (captured %02Xh, %s %02Xh)", cap->data[first], peer,
			nx->data[first]);
	fprintf(f, "; lengths %u / %u\n", cap->data_len, nx->data_len);
}

void rp_report_cmd(const struct rp_opts *o, const struct nx_trace *t,
		   uint32_t idx, uint32_t session, const struct rp_answer *cap,
		   const struct rp_answer *nx, unsigned diff, uint32_t first,
		   const struct rp_r2ts *r2c, const struct rp_r2ts *r2n)
{
	const struct nx_tr_cmd *m = &t->cmds[idx];
	char cdb[160], ctext[256], ntext[256], kinds[64];
	static struct r2t_text w;
	bool r2t = r2c != NULL && ((diff & RP_D_R2T) ||
				   (o->verbose && (r2c->n || r2n->n)));
	const char *clause;

	if (!diff && !o->verbose)
		return;
	rp_cdb_describe(m->cdb, m->cdb_len, cdb, sizeof(cdb));
	answer_text(cap, ctext, sizeof(ctext));
	answer_text(nx, ntext, sizeof(ntext));
	diff_kinds(diff, kinds, sizeof(kinds));
	clause = rp_ua_clause(cap, nx);
	if (clause == NULL)
		clause = rp_clause(m->cdb, nx);
	if (r2t)
		r2t_words(o, m->edtl, r2c, r2n, &w);
	if (o->json) {
		report_json_cmd(o, m, idx, session, cdb, ctext, ntext, kinds,
				clause, first, r2t ? &w : NULL);
		return;
	}
	fprintf(o->out, "%s command %u (session %u, frame %u) LUN %u: %s\n",
		diff ? "DIFF" : "same", idx + 1, session, m->frame_cmd,
		nx_tr_lun_number(m->lun), cdb);
	if (diff) {
		fprintf(o->out, "    differs:  %s\n", kinds);
		fprintf(o->out, "    captured: %s\n", ctext);
		fprintf(o->out, "    %-9s %s\n", o->peer_label, ntext);
	}
	if (diff & RP_D_DATA)
		report_text_data(o->out, o->peer, cap, nx, first);
	if (diff && clause)
		fprintf(o->out, "    clause:   %s\n", clause);
	if (r2t)
		report_text_r2t(o, &w);
}

void rp_report_skip(const struct rp_opts *o, const struct nx_trace *t,
		    uint32_t idx, uint32_t session, const char *why)
{
	const struct nx_tr_cmd *m = &t->cmds[idx];
	char cdb[160];

	if (!o->verbose)
		return;
	rp_cdb_describe(m->cdb, m->cdb_len, cdb, sizeof(cdb));
	if (o->json) {
		fprintf(o->out, "{\"command\":%u,\"session\":%u,\"frame\":%u,"
			"\"lun\":%u", idx + 1, session, m->frame_cmd,
			nx_tr_lun_number(m->lun));
		json_field(o->out, "cdb", cdb);
		json_field(o->out, "skipped", why);
		fprintf(o->out, "}\n");
		return;
	}
	fprintf(o->out, "skip command %u (session %u, frame %u) LUN %u: %s\n"
		"    not sent: %s\n", idx + 1, session, m->frame_cmd,
		nx_tr_lun_number(m->lun), cdb, why);
}

void rp_report_tmf(const struct rp_opts *o, const struct nx_trace *t,
		   const struct nx_tr_tmf *f, uint32_t session, bool nx_ok,
		   uint8_t nx_rsp)
{
	bool diff = f->answered && (!nx_ok || nx_rsp != f->response);
	const char *cap = f->answered ? rp_tmf_rsp_name(f->response) :
			  "none (no answer in the capture)";
	const char *nx = nx_ok ? rp_tmf_rsp_name(nx_rsp) : "none";

	if (!diff && !o->verbose)
		return;
	if (o->json) {
		fprintf(o->out, "{\"tmf\":");
		json_str(o->out, rp_tmf_name(f->function));
		fprintf(o->out, ",\"session\":%u,\"frame\":%u,\"differs\":\"%s\","
			"\"captured\":", session, f->frame_req, diff ? "tmf" : "");
		json_str(o->out, cap);
		json_field(o->out, o->peer, nx);
		fprintf(o->out, ",\"clause\":\"RFC 7143 11.6.1; SAM-5 7\"}\n");
		return;
	}
	fprintf(o->out, "%s TMF %s (session %u, frame %u) LUN %u\n",
		diff ? "DIFF" : "same", rp_tmf_name(f->function), session,
		f->frame_req, nx_tr_lun_number(f->lun));
	if (diff)
		fprintf(o->out, "    captured: %s\n    %-9s %s\n"
			"    clause:   RFC 7143 11.6.1 (response codes); SAM-5 7 "
			"(task management functions)\n", cap, o->peer_label, nx);
}

/* ---- the capture summary ---------------------------------------------------- */

static void capture_summary(const struct rp_opts *o, const struct nx_trace *t,
			    const struct rp_config *cfg)
{
	FILE *f = o->json ? stderr : o->out;
	uint64_t missing = 0;
	uint32_t holes = 0, retx = 0, ooo = 0, conflicts = 0, resyncs = 0,
		 cut = 0, dig = 0, conns = 0, guessed = 0;

	for (uint32_t i = 0; i < t->conns_n; i++) {
		const struct nx_tr_conn *c = &t->conns[i];

		if (!c->iscsi)
			continue;
		conns++;
		guessed += c->login.digests_guessed;
		for (int d = 0; d < 2; d++) {
			missing += c->dir[d].missing;
			holes += c->dir[d].holes;
			retx += c->dir[d].retransmits + c->dir[d].overlaps;
			ooo += c->dir[d].out_of_order;
			conflicts += c->dir[d].conflicts;
			resyncs += c->resyncs[d];
			cut += c->cut_pdus[d];
			dig += c->digest_errors[d];
		}
	}
	fprintf(f, "capture: %u frames (%u TCP), %u iSCSI connections, %u "
		"commands, %u TMFs\n", t->frames, t->frames_tcp, conns,
		t->cmds_n, t->tmfs_n);
	if (holes || retx || ooo || resyncs || cut || dig || conflicts)
		fprintf(f, "capture: %u holes (%llu bytes missing), %u "
			"retransmitted/overlapping segments (%u differing), %u "
			"out of order, %u resynchronisations, %u PDUs cut, %u "
			"digest errors\n", holes, (unsigned long long)missing,
			retx, conflicts, ooo, resyncs, cut, dig);
	if (guessed)
		fprintf(f, "capture: %u connections without their login: "
			"digests detected from the bytes\n", guessed);
	for (unsigned i = 0; o->target_url == NULL && i < cfg->lu_count; i++) {
		const struct rp_lu *l = &cfg->lus[i];

		fprintf(f, "nexus: %s LUN %u: %llu blocks of %u bytes%s\n",
			cfg->targets[l->target], l->lun,
			(unsigned long long)l->blocks, l->block_size,
			l->capacity_seen ? "" : " (size not in the capture: "
			"default 1 GiB)");
	}
}

/* ---- main ------------------------------------------------------------------- */

/* --lun-map C=L[,C=L...]: LUNs 0..16383 (SAM-5 4.7, flat addressing). */
static int parse_lun_map(struct rp_opts *o, const char *arg)
{
	const char *p = arg;

	while (*p) {
		char *end;
		unsigned long c = strtoul(p, &end, 10), l;

		if (end == p || *end != '=' || c > 16383)
			return -1;
		p = end + 1;
		l = strtoul(p, &end, 10);
		if (end == p || (*end != ',' && *end != '\0') || l > 16383 ||
		    o->lun_map_n == RP_LUN_MAP_MAX)
			return -1;
		o->lun_map[o->lun_map_n][0] = (uint32_t)c;
		o->lun_map[o->lun_map_n][1] = (uint32_t)l;
		o->lun_map_n++;
		p = *end ? end + 1 : end;
	}
	return o->lun_map_n ? 0 : -1;
}

static int parse_timeout(struct rp_opts *o, const char *arg)
{
	char *end;
	double s = strtod(arg, &end);

	if (end == arg || *end != '\0' || !(s > 0) || s > 3600)
		return -1;
	o->timeout_ms = (uint32_t)(s * 1000 + 0.5);
	return o->timeout_ms ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct rp_opts *o,
		      const char **path, uint16_t *port)
{
	bool live_only = false;

	*path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (strcmp(a, "--json") == 0)
			o->json = true;
		else if (strcmp(a, "--no-data") == 0)
			o->no_data = true;
		else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
			o->verbose = true;
		else if (strcmp(a, "--target") == 0 && more)
			o->target_url = argv[++i];
		else if (strcmp(a, "--allow-writes") == 0)
			o->allow_writes = live_only = true;
		else if (strcmp(a, "--lun-map") == 0 && more) {
			if (parse_lun_map(o, argv[++i]) != 0)
				return -1;
			live_only = true;
		} else if (strcmp(a, "--timeout") == 0 && more) {
			if (parse_timeout(o, argv[++i]) != 0)
				return -1;
			live_only = true;
		} else if (strcmp(a, "--port") == 0 && more)
			*port = (uint16_t)strtoul(argv[++i], NULL, 0);
		else if (a[0] == '-' || *path != NULL)
			return -1;
		else
			*path = a;
	}
	if (live_only && o->target_url == NULL) {
		fprintf(stderr, "nexus-replay: --allow-writes, --lun-map and "
			"--timeout go with --target\n");
		return -1;
	}
	return *path ? 0 : -1;
}

static void summary(const struct rp_opts *o, const struct rp_stats *st)
{
	char skipped[96] = "";

	if (st->not_compared && !o->json)
		fprintf(o->out, "note: %u commands had no answer in the capture "
			"(not compared)\n", st->not_compared);
	if (st->r2t_compared && !o->json)
		fprintf(o->out, "note: the R2T sequences of %u write%s "
			"compared\n", st->r2t_compared,
			st->r2t_compared == 1 ? "" : "s");
	if (o->json) {
		fprintf(o->out, "{\"summary\":{\"commands\":%u,\"sessions\":%u,"
			"\"differ\":%u,\"not_compared\":%u,\"tmfs\":%u,"
			"\"status\":%u,\"sense\":%u,\"residual\":%u,\"data\":%u,"
			"\"tmf\":%u,\"r2t\":%u,\"r2t_compared\":%u,"
			"\"skipped_writes\":%u,\"against\":", st->commands,
			st->sessions, st->differ, st->not_compared, st->tmfs,
			st->kinds[0], st->kinds[1], st->kinds[2], st->kinds[3],
			st->kinds[4], st->kinds[5], st->r2t_compared,
			st->skipped_writes);
		json_str(o->out, o->target_url ? o->target_url :
			 "nexus (simulated)");
		fprintf(o->out, "}}\n");
		return;
	}
	if (st->skipped_writes)
		snprintf(skipped, sizeof(skipped), " (%u write%s skipped: "
			 "--allow-writes)", st->skipped_writes,
			 st->skipped_writes == 1 ? "" : "s");
	fprintf(o->out, "replayed %u commands in %u sessions%s, %u differ\n",
		st->commands, st->sessions, skipped, st->differ);
}

int main(int argc, char **argv)
{
	struct rp_opts o = { .out = stdout, .timeout_ms = 10000,
			     .peer = "nexus", .peer_label = "nexus:" };
	static struct nx_trace t;
	static struct rp_config cfg;
	struct rp_stats st;
	const char *path;
	uint16_t port = 0;
	int rc;

	if (parse_args(argc, argv, &o, &path, &port) != 0) {
		usage(stderr);
		return 2;
	}
	if (o.target_url != NULL) {
		o.peer = "target";
		o.peer_label = "target:";
	}
	t.iscsi_port = port;
	if (nx_trace_load(&t, path) != 0) {
		fprintf(stderr, "nexus-replay: %s\n", t.err);
		nx_trace_free(&t);
		return 2;
	}
	if (t.err[0])
		fprintf(stderr, "nexus-replay: warning: %s\n", t.err);
	if (t.cmds_n == 0) {
		fprintf(stderr, "nexus-replay: %s: no iSCSI SCSI commands found "
			"(%u frames, %u TCP, %u TCP connections)%s\n", path,
			t.frames, t.frames_tcp, t.conns_n,
			t.conns_n ? "; iSCSI on a port other than 3260 without "
			"its SYN needs --port" : "");
		nx_trace_free(&t);
		return 2;
	}
	rp_config_from_trace(&t, &cfg);
	capture_summary(&o, &t, &cfg);
	memset(&st, 0, sizeof(st));
	rc = o.target_url ? rp_replay_live(&t, &cfg, &o, &st) :
			    rp_replay_sim(&t, &cfg, &o, &st);
	nx_trace_free(&t);
	if (rc != 0)
		return 2;
	summary(&o, &st);
	return st.differ ? 1 : 0;
}
