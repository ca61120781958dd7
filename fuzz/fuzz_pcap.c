/*
 * fuzz_pcap.c - the capture reader of nexus-replay (issue 7: "the pcap
 * reader is fuzzed").
 *
 * Surface: everything nexus-replay does with a capture file before it
 * talks to a target, i.e. bytes an engineer got from somebody else's
 * tcpdump: libpcap's pcap / pcapng parser (via fmemopen +
 * pcap_fopen_offline), the link layers (Ethernet + VLAN tags, Linux SLL /
 * SLL2, BSD loopback, raw IP), IPv4 / IPv6 (extension headers,
 * fragments), TCP segment filing and per-direction reassembly
 * (retransmissions, overlaps, holes, sequence wrap), iSCSI PDU decoding
 * (resynchronisation mid-stream, digests from the captured login or
 * detected by CRC32C, RFC 7143 11), command / answer pairing by ITT,
 * Data-In / Data-Out by buffer offset, and the replay configuration
 * learnt from READ CAPACITY / INQUIRY answers (tools/nexus-replay/
 * explain.c), plus the one-line descriptions the report prints.
 *
 * Input format: the raw capture file.  Seeds (fuzz/corpus/fuzz_pcap/)
 * are the samples of traces/samples cut down to a few hundred frames,
 * in both pcapng (SLL / IPv6 and Ethernet / IPv4) and classic pcap.
 *
 * Besides the sanitizers, the harness checks what the replay relies on:
 * every index in range, runs ordered and disjoint, Data-In inside its
 * buffer, each command sent before it is answered in the event order,
 * R2Ts stored when counted; the R2T rules (traces/r2t.c) run on every
 * decoded sequence and login.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "traces/nx_trace.h"
#include "tools/nexus-replay/replay.h"

static void check_dir(const struct nx_tr_dir *d)
{
	uint64_t bytes = 0;

	for (uint32_t r = 0; r < d->runs_n; r++) {
		const struct nx_tr_run *run = &d->runs[r];

		fz_check(run->len == 0 || run->data != NULL);
		if (r > 0)
			fz_check(d->runs[r - 1].off + d->runs[r - 1].len <=
				 run->off);
		if (run->len)
			(void)nx_tr_run_frame(run, run->off + run->len - 1);
		bytes += run->len;
	}
	fz_check(bytes == d->bytes);
}

static void check_cmd(const struct nx_trace *t, const struct nx_tr_cmd *m)
{
	char buf[160];

	fz_check(m->conn < t->conns_n);
	fz_check(m->cdb_len <= NX_TR_CDB_MAX);
	fz_check(m->sense_len <= NX_TR_SENSE_MAX);
	fz_check(m->in_end <= m->in_cap);
	fz_check(m->in_end == 0 || m->in != NULL);
	fz_check(m->in_cap <= NX_TR_DATA_MAX);
	rp_cdb_describe(m->cdb, m->cdb_len, buf, sizeof(buf));
	(void)nx_tr_lun_number(m->lun);
	/* R2Ts: kept ones stored, the rules and words run on any values. */
	fz_check(m->r2ts == 0 || m->r2t != NULL);
	fz_check(m->imm_len <= m->unsol_len);
	if (m->r2ts) {
		struct nx_tr_burst b;
		char why[256], text[640];

		nx_tr_burst_of(&t->conns[m->conn].login, &b);
		(void)nx_tr_r2t_check(&b, m->edtl, m->unsol_len, m->edtl, true,
				      m->r2t, m->r2ts, why, sizeof(why));
		nx_tr_r2t_format(m->r2t, m->r2ts, text, sizeof(text));
		nx_tr_burst_format(&b, text, sizeof(text));
		fz_check(nx_tr_r2t_same(m->r2t, m->r2ts, m->r2t, m->r2ts));
	}
	(void)rp_writes_medium(m->cdb, m->write);
}

/* Each command: one CMD event, then at most one CMD_DONE after it (the
 * replay submits at the first and awaits the answer at the second). */
static void check_events(const struct nx_trace *t)
{
	uint8_t *seen = calloc(t->cmds_n + 1, 1);

	fz_check(seen != NULL);
	for (uint32_t i = 0; i < t->events_n; i++) {
		const struct nx_tr_event *e = &t->events[i];

		if (i > 0)
			fz_check(t->events[i - 1].frame <= e->frame);
		switch (e->kind) {
		case NX_TR_EV_CMD:
			fz_check(e->arg < t->cmds_n && seen[e->arg] == 0);
			seen[e->arg] = 1;
			break;
		case NX_TR_EV_CMD_DONE:
			fz_check(e->arg < t->cmds_n && seen[e->arg] == 1);
			seen[e->arg] = 2;
			break;
		case NX_TR_EV_TMF:
		case NX_TR_EV_TMF_DONE:
			fz_check(e->arg < t->tmfs_n);
			break;
		default:
			fz_check(e->arg < t->conns_n);
			break;
		}
	}
	free(seen);
}

static void check_trace(const struct nx_trace *t)
{
	char addr[64];

	fz_check(t->conns_n <= NX_TR_CONNS_MAX);
	for (uint32_t i = 0; i < t->conns_n; i++) {
		check_dir(&t->conns[i].dir[0]);
		check_dir(&t->conns[i].dir[1]);
		nx_tr_addr_str(&t->conns[i], true, addr, sizeof(addr));
		nx_tr_addr_str(&t->conns[i], false, addr, sizeof(addr));
	}
	for (uint32_t i = 0; i < t->cmds_n; i++)
		check_cmd(t, &t->cmds[i]);
	for (uint32_t i = 0; i < t->tmfs_n; i++)
		fz_check(t->tmfs[i].conn < t->conns_n);
	check_events(t);
}

/* What the report does with a command: both answers described and
 * compared (here the captured one against itself: must be equal). */
static void check_answers(const struct nx_trace *t)
{
	for (uint32_t i = 0; i < t->cmds_n; i++) {
		const struct nx_tr_cmd *m = &t->cmds[i];
		struct rp_answer a = {
			.present = m->answered, .rejected = m->rejected,
			.response = m->response, .status = m->status,
			.flags = m->flags, .residual = m->residual,
			.sense = m->sense, .sense_len = m->sense_len,
			.data = m->in, .data_len = m->in_end,
		};
		uint32_t first = UINT32_MAX;

		fz_check(rp_compare(&a, &a, false, &first) == 0);
		(void)rp_clause(m->cdb, &a);
		(void)rp_ua_clause(&a, &a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nx_trace *t = calloc(1, sizeof(*t));
	struct rp_config *cfg = calloc(1, sizeof(*cfg));
	FILE *fp;

	fz_check(t != NULL && cfg != NULL);
	/* fmemopen of 0 bytes fails on older glibc: an empty file then. */
	fp = size ? fmemopen((void *)data, size, "rb") : tmpfile();
	fz_check(fp != NULL);
	if (nx_trace_read_fp(t, fp, "fuzz-input") == 0 &&
	    nx_trace_decode(t) == 0) {
		check_trace(t);
		rp_config_from_trace(t, cfg);
		fz_check(cfg->lu_count <= RP_LUS_MAX);
		fz_check(cfg->target_count <= RP_TARGETS_MAX);
		check_answers(t);
	}
	nx_trace_free(t);
	free(t);
	free(cfg);
	return 0;
}
