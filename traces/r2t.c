/*
 * r2t.c - the data-out phase of a write as RFC 7143 shapes it: the burst
 * keys a login settled, the unsolicited first burst, and what an R2T
 * sequence must look like (nx_trace.h).  nexus-replay compares the
 * captured target's R2Ts with nexus's (or a live target's) and explains
 * a difference with these rules.
 *
 *   13.10 InitialR2T=No (OR): the first burst may go unsolicited;
 *   13.11 ImmediateData=Yes (AND): part of it inside the command PDU, up
 *         to the target's MaxRecvDataSegmentLength (13.12);
 *   13.14 FirstBurstLength (min) bounds the unsolicited bytes;
 *   11.8.3 each R2T asks for a Desired Data Transfer Length that MUST NOT
 *         be 0 nor exceed MaxBurstLength (13.13, min), at a Buffer Offset
 *         inside the Expected Data Transfer Length;
 *   11.8.4 R2TSN numbers a task's R2Ts from 0;
 *   13.19 DataSequenceInOrder=Yes (OR): sequences at continuously
 *         increasing offsets, no gap, no overlap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_trace.h"

/* RFC 7143 13.x defaults. */
#define DEF_FIRST_BURST 65536u
#define DEF_MAX_BURST 262144u
#define DEF_MRDSL 8192u

/* "Yes" 1, "No" 0, anything else (absent, Irrelevant, Reject) -1. */
static int yes_no(const char *v)
{
	if (strcmp(v, "Yes") == 0)
		return 1;
	if (strcmp(v, "No") == 0)
		return 0;
	return -1;
}

static bool settle_bool(const char *ini, const char *tgt, bool def, bool or)
{
	int a = yes_no(ini), b = yes_no(tgt);

	if (a < 0 && b < 0)
		return def;
	if (a < 0 || b < 0)
		return (a < 0 ? b : a) != 0;
	return or ? (a || b) : (a && b);
}

static uint32_t settle_min(uint32_t ini, uint32_t tgt, uint32_t def)
{
	if (ini == 0 && tgt == 0)
		return def;
	if (ini == 0 || tgt == 0)
		return ini ? ini : tgt;
	return ini < tgt ? ini : tgt;
}

void nx_tr_burst_of(const struct nx_tr_login *l, struct nx_tr_burst *b)
{
	memset(b, 0, sizeof(*b));
	b->known = l->seen;
	b->initial_r2t = settle_bool(l->offer_initial_r2t, l->tgt_initial_r2t,
				     true, true);
	b->immediate_data = settle_bool(l->offer_immediate, l->tgt_immediate,
					true, false);
	b->seq_in_order = settle_bool(l->offer_seq_in_order,
				      l->tgt_seq_in_order, true, true);
	b->first_burst = settle_min(l->offer_first_burst, l->tgt_first_burst,
				    DEF_FIRST_BURST);
	b->max_burst = settle_min(l->offer_max_burst, l->tgt_max_burst,
				  DEF_MAX_BURST);
	b->max_outstanding_r2t = (uint16_t)settle_min(l->offer_max_r2t,
						      l->tgt_max_r2t, 1);
	b->tgt_mrdsl = l->tgt_mrdsl ? l->tgt_mrdsl : DEF_MRDSL;
}

uint32_t nx_tr_unsolicited(const struct nx_tr_burst *b, uint32_t edtl,
			   uint32_t *immediate)
{
	uint32_t first = edtl < b->first_burst ? edtl : b->first_burst;
	uint32_t imm = 0;

	if (b->immediate_data)
		imm = first < b->tgt_mrdsl ? first : b->tgt_mrdsl;
	if (immediate != NULL)
		*immediate = imm;
	return b->initial_r2t ? imm : first;
}

uint32_t nx_tr_r2t_expected(const struct nx_tr_burst *b, uint32_t unsol,
			    uint32_t want, struct nx_tr_r2t *out, uint32_t cap)
{
	uint32_t burst = b->max_burst ? b->max_burst : DEF_MAX_BURST;
	uint32_t n = 0;

	for (uint64_t off = unsol; off < want; off += burst) {
		uint32_t len = want - off < burst ? (uint32_t)(want - off) : burst;

		if (n < cap)
			out[n] = (struct nx_tr_r2t){ .r2tsn = n,
				.offset = (uint32_t)off, .len = len };
		n++;
	}
	return n;
}

/* One R2T against 11.8.3 / 11.8.4 / 13.13 and the unsolicited burst. */
static int check_one(const struct nx_tr_burst *b, uint32_t edtl,
		     uint32_t unsol, const struct nx_tr_r2t *r, uint32_t i,
		     char *why, size_t cap)
{
	uint64_t end = (uint64_t)r->offset + r->len;

	if (r->r2tsn != i)
		snprintf(why, cap, "R2T %u carries R2TSN %u: R2TSNs count a "
			 "task's R2Ts from 0 (RFC 7143 11.8.4)", i + 1, r->r2tsn);
	else if (r->len == 0)
		snprintf(why, cap, "R2T %u asks for 0 bytes: the Desired Data "
			 "Transfer Length MUST NOT be 0 (RFC 7143 11.8.3)", i + 1);
	else if (r->len > b->max_burst)
		snprintf(why, cap, "R2T %u asks for %u bytes, more than "
			 "MaxBurstLength %u (RFC 7143 11.8.3, 13.13)", i + 1,
			 r->len, b->max_burst);
	else if (end > edtl)
		snprintf(why, cap, "R2T %u asks for bytes %u..%llu beyond the "
			 "Expected Data Transfer Length %u (RFC 7143 11.8.3)",
			 i + 1, r->offset, (unsigned long long)end - 1, edtl);
	else if (r->offset < unsol)
		snprintf(why, cap, "R2T %u asks again for bytes below %u, which "
			 "the initiator sent unsolicited (RFC 7143 13.10, 13.14)",
			 i + 1, unsol);
	else
		return 0;
	return 1;
}

static bool overlaps(const struct nx_tr_r2t *r, uint32_t i)
{
	for (uint32_t j = 0; j < i; j++)
		if (r[j].offset < (uint64_t)r[i].offset + r[i].len &&
		    r[i].offset < (uint64_t)r[j].offset + r[j].len)
			return true;
	return false;
}

int nx_tr_r2t_check(const struct nx_tr_burst *b, uint32_t edtl,
		    uint32_t unsol, uint32_t want, bool complete,
		    const struct nx_tr_r2t *r, uint32_t n, char *why,
		    size_t cap)
{
	uint32_t kept = n < NX_TR_R2T_KEEP ? n : NX_TR_R2T_KEEP;
	uint64_t next = unsol, asked = 0;

	for (uint32_t i = 0; i < kept; i++) {
		if (check_one(b, edtl, unsol, &r[i], i, why, cap))
			return 1;
		if (b->seq_in_order && r[i].offset != next) {
			snprintf(why, cap, "R2T %u asks for offset %u where the "
				 "data sequences in order continue at %llu "
				 "(RFC 7143 13.19, DataSequenceInOrder=Yes)",
				 i + 1, r[i].offset, (unsigned long long)next);
			return 1;
		}
		if (overlaps(r, i)) {
			snprintf(why, cap, "R2T %u asks again for bytes an "
				 "earlier R2T asked for (RFC 7143 11.8.3)", i + 1);
			return 1;
		}
		next = (uint64_t)r[i].offset + r[i].len;
		asked += r[i].len;
	}
	if (complete && n == kept && want > unsol && asked != want - unsol) {
		snprintf(why, cap, "the R2Ts ask for %llu of the %u bytes after "
			 "the %u unsolicited ones, yet the command completed "
			 "(RFC 7143 11.8.3)", (unsigned long long)asked,
			 want - unsol, unsol);
		return 1;
	}
	return 0;
}

bool nx_tr_r2t_same(const struct nx_tr_r2t *a, uint32_t na,
		    const struct nx_tr_r2t *b, uint32_t nb)
{
	uint32_t kept = na < NX_TR_R2T_KEEP ? na : NX_TR_R2T_KEEP;

	if (na != nb)
		return false;
	for (uint32_t i = 0; i < kept; i++)
		if (a[i].offset != b[i].offset || a[i].len != b[i].len)
			return false;
	return true;
}

void nx_tr_r2t_format(const struct nx_tr_r2t *r, uint32_t n, char *buf,
		      size_t cap)
{
	uint32_t kept = n < NX_TR_R2T_KEEP ? n : NX_TR_R2T_KEEP;
	size_t o;
	int w;

	if (cap == 0)
		return;
	w = snprintf(buf, cap, n == 0 ? "no R2T" : "%u R2T%s:", n,
		     n == 1 ? "" : "s");
	o = w > 0 ? (size_t)w : 0;
	for (uint32_t i = 0; i < kept && o < cap; i++) {
		/* Room for " ..." must remain when more follow. */
		if (i == 8 && kept > 9) {
			snprintf(buf + o, cap - o, " ... (%u more)", n - i);
			return;
		}
		w = snprintf(buf + o, cap - o, " %u+%u", r[i].offset, r[i].len);
		o += w > 0 ? (size_t)w : 0;
	}
}

void nx_tr_burst_format(const struct nx_tr_burst *b, char *buf, size_t cap)
{
	int w = snprintf(buf, cap, "FirstBurstLength %u, MaxBurstLength %u, "
			 "ImmediateData %s, InitialR2T %s", b->first_burst,
			 b->max_burst, b->immediate_data ? "Yes" : "No",
			 b->initial_r2t ? "Yes" : "No");

	if (w < 0 || (size_t)w >= cap)
		return;
	if (b->max_outstanding_r2t != 1)
		w += snprintf(buf + w, cap - (size_t)w, ", MaxOutstandingR2T %u",
			      b->max_outstanding_r2t);
	if ((size_t)w < cap && !b->seq_in_order)
		snprintf(buf + w, cap - (size_t)w, ", DataSequenceInOrder No");
}
