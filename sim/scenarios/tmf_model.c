/*
 * tmf_model.c - the models behind the `tmf` scenario (tmf_model.h).
 */
#include <stdio.h>
#include <string.h>

#include "tmf_model.h"

/* ---- unit attentions ---------------------------------------------------------- */

/* The order core/ua.c documents (SAM-5 5.14 leaves it to the device
 * server): resets, commands cleared, parameters changed, operating
 * conditions, the rest. */
static unsigned ua_class(uint8_t asc)
{
	switch (asc) {
	case 0x29:
		return 0;
	case 0x2f:
		return 1;
	case 0x2a:
		return 2;
	case 0x3f:
		return 3;
	default:
		return 4;
	}
}

static bool ua_eq(struct tm_ua a, uint8_t asc, uint8_t ascq)
{
	return a.asc == asc && a.ascq == ascq;
}

void tm_ledger_reset(struct tm_ledger *l)
{
	memset(l, 0, sizeof(*l));
	l->exact = true;
}

static struct tm_ua_count *count_of(struct tm_ledger *l, uint8_t asc,
				    uint8_t ascq, bool add)
{
	for (unsigned i = 0; i < l->ncodes; i++)
		if (ua_eq(l->c[i].ua, asc, ascq))
			return &l->c[i];
	if (!add)
		return NULL;
	nx_assert(l->ncodes < TM_UA_CODES);
	struct tm_ua_count *c = &l->c[l->ncodes++];
	memset(c, 0, sizeof(*c));
	c->ua.asc = asc;
	c->ua.ascq = ascq;
	return c;
}

void tm_ledger_fuzz(struct tm_ledger *l)
{
	if (!l->exact)
		return;
	l->exact = false;
	l->ncodes = 0;
	for (unsigned i = 0; i < l->n; i++) {
		struct tm_ua_count *c = count_of(l, l->q[i].asc, l->q[i].ascq, true);
		c->allow = 1;
		c->need = true;
	}
	l->n = 0;
}

/* core/ua.c nx_ua_establish(): no duplicates, priority position, and
 * when full the lowest entry gives way to a higher one. */
static void queue_insert(struct tm_ledger *l, uint8_t asc, uint8_t ascq)
{
	unsigned prio = ua_class(asc), pos = 0, count = l->n;

	for (unsigned i = 0; i < count; i++)
		if (ua_eq(l->q[i], asc, ascq))
			return;
	while (pos < count && ua_class(l->q[pos].asc) <= prio)
		pos++;
	if (count == TM_UA_QMAX) {
		if (pos == TM_UA_QMAX)
			return;
		count--;
	}
	memmove(&l->q[pos + 1], &l->q[pos], (count - pos) * sizeof(l->q[0]));
	l->q[pos].asc = asc;
	l->q[pos].ascq = ascq;
	l->n = (uint8_t)(count + 1);
}

void tm_ledger_establish(struct tm_ledger *l, uint8_t asc, uint8_t ascq,
			 bool sure)
{
	if (l->exact && sure) {
		queue_insert(l, asc, ascq);
		return;
	}
	tm_ledger_fuzz(l);
	struct tm_ua_count *c = count_of(l, asc, ascq, true);
	c->allow++;
	if (sure)
		c->need = true;
}

void tm_ledger_expect(struct tm_ledger *l, uint8_t asc, uint8_t ascq)
{
	tm_ledger_expect_n(l, asc, ascq, 1);
}

void tm_ledger_expect_n(struct tm_ledger *l, uint8_t asc, uint8_t ascq,
			unsigned n)
{
	struct tm_ua_count *c;

	tm_ledger_fuzz(l);
	c = count_of(l, asc, ascq, true);
	c->allow = (uint16_t)NX_MIN(c->allow + n, 60000u);
}

void tm_ledger_confirm(struct tm_ledger *l, uint8_t asc, uint8_t ascq)
{
	struct tm_ua_count *c;

	if (l->exact) {
		/* nothing raced it: the queue itself */
		queue_insert(l, asc, ascq);
		return;
	}
	c = count_of(l, asc, ascq, true);
	if (c->allow == 0)
		c->allow = 1; /* a nexus that came after the expectation */
	c->need = true;
}

static bool report_exact(struct tm_ledger *l, uint8_t asc, uint8_t ascq,
			 enum tm_clear clr, char *why, size_t why_len)
{
	char d[160];

	if (l->n == 0 || !ua_eq(l->q[0], asc, ascq)) {
		tm_ledger_describe(l, d, sizeof(d));
		snprintf(why, why_len, "unit attention %02Xh/%02Xh reported, the "
			 "model's queue for this I_T nexus is [%s]", asc, ascq, d);
		return false;
	}
	nx_assert(clr != TM_CLEAR_MAYBE);
	if (clr == TM_CLEAR_YES) {
		memmove(&l->q[0], &l->q[1], (l->n - 1u) * sizeof(l->q[0]));
		l->n--;
	}
	return true;
}

bool tm_ledger_report(struct tm_ledger *l, uint8_t asc, uint8_t ascq,
		      enum tm_clear clr, char *why, size_t why_len)
{
	struct tm_ua_count *c;

	if (l->exact && clr != TM_CLEAR_MAYBE)
		return report_exact(l, asc, ascq, clr, why, why_len);
	tm_ledger_fuzz(l);
	c = count_of(l, asc, ascq, false);
	if (c == NULL || c->got_lo >= c->allow) {
		snprintf(why, why_len, "unit attention %02Xh/%02Xh reported %s: "
			 "nothing established it %s", asc, ascq,
			 c == NULL ? "" : "again",
			 c == NULL ? "for this I_T nexus" :
			 "since its previous report cleared it");
		return false;
	}
	if (clr == TM_CLEAR_YES)
		c->got_lo++;
	if (clr != TM_CLEAR_NO)
		c->got_hi++;
	return true;
}

bool tm_ledger_drained(struct tm_ledger *l, char *why, size_t why_len)
{
	char d[160];

	if (l->exact) {
		if (l->n == 0)
			return true;
		tm_ledger_describe(l, d, sizeof(d));
		snprintf(why, why_len, "no unit attention pending, the model's "
			 "queue for this I_T nexus is [%s]: lost", d);
		return false;
	}
	for (unsigned i = 0; i < l->ncodes; i++) {
		const struct tm_ua_count *c = &l->c[i];
		if (c->need && c->got_hi == 0) {
			snprintf(why, why_len, "unit attention %02Xh/%02Xh was "
				 "established for this I_T nexus and never "
				 "reported", c->ua.asc, c->ua.ascq);
			return false;
		}
	}
	tm_ledger_reset(l);
	return true;
}

unsigned tm_ledger_qae(const struct tm_ledger *l)
{
	bool owed = false, maybe = false;

	if (l->exact)
		return l->n ? 2u : 1u;
	for (unsigned i = 0; i < l->ncodes; i++) {
		const struct tm_ua_count *c = &l->c[i];
		if (c->need && c->got_hi == 0)
			owed = true;
		if (c->got_lo < c->allow)
			maybe = true;
	}
	if (owed)
		return 2u;
	return maybe ? 3u : 1u;
}

void tm_ledger_describe(const struct tm_ledger *l, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (l->exact) {
		for (unsigned i = 0; i < l->n && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%02X/%02X",
					      i ? " " : "", l->q[i].asc, l->q[i].ascq);
		return;
	}
	for (unsigned i = 0; i < l->ncodes && o < len; i++) {
		const struct tm_ua_count *c = &l->c[i];
		o += (size_t)snprintf(buf + o, len - o, "%s%02X/%02X:%u%s%u-%u",
				      i ? " " : "", c->ua.asc, c->ua.ascq, c->allow,
				      c->need ? "!" : "", c->got_lo, c->got_hi);
	}
}

/* ---- values over a step --------------------------------------------------------- */

void tm_hist_init(struct tm_hist *h, uint32_t v, uint64_t now)
{
	memset(h, 0, sizeof(*h));
	h->n = 1;
	h->e[0].lo = h->e[0].hi = now;
	h->e[0].v = v;
}

unsigned tm_hist_change(struct tm_hist *h, uint32_t v, uint64_t lo,
			uint64_t hi)
{
	nx_assert(h->n > 0 && lo <= hi);
	if (h->n == TM_HIST_MAX) {
		h->overflow = true;
		/* the oldest change is forgotten: its value stays possible
		 * through the overflow flag */
		memmove(&h->e[0], &h->e[1], (h->n - 1) * sizeof(h->e[0]));
		h->n--;
	}
	h->e[h->n].lo = lo;
	h->e[h->n].hi = hi;
	h->e[h->n].v = v;
	return h->n++;
}

void tm_hist_narrow(struct tm_hist *h, unsigned k, uint64_t hi)
{
	if (h->overflow || k >= h->n || hi < h->e[k].lo)
		return;
	if (hi < h->e[k].hi)
		h->e[k].hi = hi;
}

bool tm_hist_alive(const struct tm_hist *h, unsigned k, uint64_t s, uint64_t r)
{
	nx_assert(k < h->n);
	return h->e[k].lo <= r && (k + 1 == h->n || h->e[k + 1].hi >= s);
}

#define alive tm_hist_alive

bool tm_hist_possible(const struct tm_hist *h, uint32_t v, uint64_t s,
		      uint64_t r)
{
	if (h->overflow)
		return true;
	for (unsigned k = 0; k < h->n; k++)
		if (h->e[k].v == v && alive(h, k, s, r))
			return true;
	return false;
}

bool tm_hist_certain(const struct tm_hist *h, uint32_t v, uint64_t s,
		     uint64_t r)
{
	if (h->overflow)
		return false;
	for (unsigned k = 0; k < h->n; k++)
		if (h->e[k].v != v && alive(h, k, s, r))
			return false;
	return true;
}

bool tm_hist_settled(const struct tm_hist *h, uint64_t at, uint32_t *v)
{
	bool found = false;

	if (h->overflow)
		return false;
	for (unsigned k = 0; k < h->n; k++) {
		if (k + 1 < h->n && h->e[k + 1].hi <= at)
			continue; /* surely over by then */
		if (found && h->e[k].v != *v)
			return false;
		*v = h->e[k].v;
		found = true;
	}
	return found;
}

bool tm_hist_possible_after(const struct tm_hist *h, uint32_t v, uint64_t at)
{
	return tm_hist_possible(h, v, at, TM_T_INF);
}

/* ---- control mode page ------------------------------------------------------------ */

uint32_t tm_ctl_pack(const struct tm_ctl *c)
{
	return (uint32_t)c->qerr | (uint32_t)c->intlck << 2 |
	       (uint32_t)c->tas << 4 | (uint32_t)c->dsense << 5;
}

void tm_ctl_unpack(uint32_t v, struct tm_ctl *c)
{
	c->qerr = (uint8_t)(v & 3);
	c->intlck = (uint8_t)((v >> 2) & 3);
	c->tas = (v >> 4) & 1;
	c->dsense = (v >> 5) & 1;
}

/* SPC-4 7.5.8 table 457: D_SENSE byte 2 bit 2, QERR byte 3 bits 2-1,
 * UA_INTLCK_CTRL byte 4 bits 5-4, TAS byte 5 bit 6. */
void tm_ctl_from_page(const uint8_t *p, struct tm_ctl *c)
{
	c->dsense = (p[2] & 0x04) != 0;
	c->qerr = (uint8_t)((p[3] >> 1) & 3);
	c->intlck = (uint8_t)((p[4] >> 4) & 3);
	c->tas = (p[5] & 0x40) != 0;
}

void tm_ctl_to_page(const struct tm_ctl *c, uint8_t *p)
{
	p[2] = (uint8_t)((p[2] & ~0x04) | (c->dsense ? 0x04 : 0));
	p[3] = (uint8_t)((p[3] & ~0x06) | (c->qerr << 1));
	p[4] = (uint8_t)((p[4] & ~0x30) | (c->intlck << 4));
	p[5] = (uint8_t)((p[5] & ~0x40) | (c->tas ? 0x40 : 0));
}
