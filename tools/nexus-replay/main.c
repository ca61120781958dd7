/*
 * nexus-replay - replays the initiator side of captured iSCSI sessions
 * against nexus and diffs every answer with the captured target's.
 *
 *   nexus-replay [--json] [--no-data] [--port N] [--verbose]
 *                [--target URL] capture.pcap
 *
 * The capture (pcap or pcapng; traces/nx_trace.h) is decoded into
 * sessions and commands; a simulated nexus target is configured from
 * what the capture shows and the commands are replayed in captured order
 * (tools/nexus-replay/replay.c).  For each command whose answers differ
 * (status, sense key/ASC/ASCQ, residual, Data-In bytes) it prints the
 * command, both answers and the clause behind nexus's answer; the last
 * line is always
 *     replayed N commands in S sessions, D differ
 * (N counts SCSI Command PDUs; D counts differing commands and TMFs).
 * Exit: 0 nothing differs, 1 something differs, 2 unusable input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

static const char *const kind_names[] = { "status", "sense", "residual",
					  "data", "tmf" };

static void usage(FILE *f)
{
	fprintf(f, "usage: nexus-replay [--json] [--no-data] [--port N] "
		"[--verbose] [--target URL] capture.pcap\n"
		"  --json      machine-readable report on stdout\n"
		"  --no-data   compare status, sense and residuals only\n"
		"  --port N    the iSCSI port when it is not 3260 and no SYN "
		"was captured\n"
		"  --verbose   every command, and the simulator log on stderr\n"
		"  --target    replay against a live target (not implemented "
		"yet)\n");
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
	for (unsigned k = 0; k < 5 && o < cap; k++)
		if (diff & (1u << k))
			o += (size_t)snprintf(buf + o, cap - o, "%s%s",
					      o ? "," : "", kind_names[k]);
}

static void report_json_cmd(const struct rp_opts *o, const struct nx_tr_cmd *m,
			    uint32_t idx, uint32_t session, const char *cdb,
			    const char *cap, const char *nx, const char *kinds,
			    const char *clause, uint32_t first)
{
	FILE *f = o->out;

	fprintf(f, "{\"command\":%u,\"session\":%u,\"frame\":%u,\"lun\":%u,"
		"\"cdb\":", idx + 1, session, m->frame_cmd,
		nx_tr_lun_number(m->lun));
	json_str(f, cdb);
	fprintf(f, ",\"differs\":");
	json_str(f, kinds);
	fprintf(f, ",\"captured\":");
	json_str(f, cap);
	fprintf(f, ",\"nexus\":");
	json_str(f, nx);
	if (first != UINT32_MAX)
		fprintf(f, ",\"first_data_diff\":%u", first);
	if (clause) {
		fprintf(f, ",\"clause\":");
		json_str(f, clause);
	}
	fprintf(f, "}\n");
}

void rp_report_cmd(const struct rp_opts *o, const struct nx_trace *t,
		   uint32_t idx, uint32_t session, const struct rp_answer *cap,
		   const struct rp_answer *nx, unsigned diff, uint32_t first)
{
	const struct nx_tr_cmd *m = &t->cmds[idx];
	char cdb[160], ctext[256], ntext[256], kinds[64];
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
	if (o->json) {
		report_json_cmd(o, m, idx, session, cdb, ctext, ntext, kinds,
				clause, first);
		return;
	}
	fprintf(o->out, "%s command %u (session %u, frame %u) LUN %u: %s\n",
		diff ? "DIFF" : "same", idx + 1, session, m->frame_cmd,
		nx_tr_lun_number(m->lun), cdb);
	if (!diff)
		return;
	fprintf(o->out, "    differs:  %s\n", kinds);
	fprintf(o->out, "    captured: %s\n", ctext);
	fprintf(o->out, "    nexus:    %s\n", ntext);
	if (diff & RP_D_DATA) {
		fprintf(o->out, "    data:     first difference at byte %u", first);
		if (first < cap->data_len && first < nx->data_len)
			fprintf(o->out, " (captured %02Xh, nexus %02Xh)",
				cap->data[first], nx->data[first]);
		fprintf(o->out, "; lengths %u / %u\n", cap->data_len,
			nx->data_len);
	}
	if (clause)
		fprintf(o->out, "    clause:   %s\n", clause);
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
		fprintf(o->out, ",\"nexus\":");
		json_str(o->out, nx);
		fprintf(o->out, ",\"clause\":\"RFC 7143 11.6.1; SAM-5 7\"}\n");
		return;
	}
	fprintf(o->out, "%s TMF %s (session %u, frame %u) LUN %u\n",
		diff ? "DIFF" : "same", rp_tmf_name(f->function), session,
		f->frame_req, nx_tr_lun_number(f->lun));
	if (diff)
		fprintf(o->out, "    captured: %s\n    nexus:    %s\n"
			"    clause:   RFC 7143 11.6.1 (response codes); SAM-5 7 "
			"(task management functions)\n", cap, nx);
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
	for (unsigned i = 0; i < cfg->lu_count; i++) {
		const struct rp_lu *l = &cfg->lus[i];

		fprintf(f, "nexus: %s LUN %u: %llu blocks of %u bytes%s\n",
			cfg->targets[l->target], l->lun,
			(unsigned long long)l->blocks, l->block_size,
			l->capacity_seen ? "" : " (size not in the capture: "
			"default 1 GiB)");
	}
}

/* ---- main ------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, struct rp_opts *o,
		      const char **path, uint16_t *port)
{
	*path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0)
			o->json = true;
		else if (strcmp(a, "--no-data") == 0)
			o->no_data = true;
		else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
			o->verbose = true;
		else if (strcmp(a, "--target") == 0 && i + 1 < argc)
			o->target_url = argv[++i];
		else if (strcmp(a, "--port") == 0 && i + 1 < argc)
			*port = (uint16_t)strtoul(argv[++i], NULL, 0);
		else if (a[0] == '-' || *path != NULL)
			return -1;
		else
			*path = a;
	}
	return *path ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct rp_opts o = { .out = stdout };
	static struct nx_trace t;
	static struct rp_config cfg;
	struct rp_stats st;
	const char *path;
	uint16_t port = 0;

	if (parse_args(argc, argv, &o, &path, &port) != 0) {
		usage(stderr);
		return 2;
	}
	if (o.target_url != NULL) {
		fprintf(stderr, "nexus-replay: --target (live replay over TCP) is "
			"not implemented yet; replaying against the simulated "
			"target is\n");
		return 2;
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
	if (rp_replay_sim(&t, &cfg, &o, &st) != 0) {
		nx_trace_free(&t);
		return 2;
	}
	if (st.not_compared && !o.json)
		fprintf(o.out, "note: %u commands had no answer in the capture "
			"(not compared)\n", st.not_compared);
	if (o.json)
		fprintf(o.out, "{\"summary\":{\"commands\":%u,\"sessions\":%u,"
			"\"differ\":%u,\"not_compared\":%u,\"tmfs\":%u,"
			"\"status\":%u,\"sense\":%u,\"residual\":%u,\"data\":%u,"
			"\"tmf\":%u}}\n", st.commands, st.sessions, st.differ,
			st.not_compared, st.tmfs, st.kinds[0], st.kinds[1],
			st.kinds[2], st.kinds[3], st.kinds[4]);
	else
		fprintf(o.out, "replayed %u commands in %u sessions, %u differ\n",
			st.commands, st.sessions, st.differ);
	nx_trace_free(&t);
	return st.differ ? 1 : 0;
}
