/*
 * iscsi_decode.c - iSCSI PDUs from reassembled streams, and the commands,
 * answers and events nexus-replay replays (nx_trace.h).
 *
 * Framing (RFC 7143 11.2): 48-byte BHS, TotalAHSLength words of AHS,
 * optional HeaderDigest, DataSegmentLength bytes padded to 4, optional
 * DataDigest.  Digests start with the first PDU after the login phase
 * (RFC 7143 13.1), so each direction is parsed in two steps: its login
 * PDUs without digests, then - once both sides' login keys settled
 * HeaderDigest/DataDigest - the rest.  A stream that does not begin at
 * the SYN (capture started mid-connection) or resumes after a hole is
 * resynchronised by scanning for a plausible BHS (opcode valid for the
 * direction, reserved bits clear, lengths bounded) whose successor is
 * plausible too or ends the run exactly; with digests unknown, a BHS
 * followed by its own CRC32C settles HeaderDigest.
 *
 * Pairing (RFC 7143 11.3-11.9): Initiator Task Tag.  Data-In by Buffer
 * Offset, status in the SCSI Response or a Data-In with S (11.7.1);
 * immediate data plus Data-Out by Buffer Offset (unsolicited ones, TTT
 * 0xffffffff, measured); each R2T's R2TSN, offset and length kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_trace.h"
#include "../transports/iscsi/iscsi_internal.h"

#define BHS 48u
#define DSL_PLAUSIBLE (16u << 20)
#define OPEN_MAX 4096u            /* commands awaiting an answer per conn */

/* ---- byte helpers ---------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static bool digest_ok(const uint8_t *wire, const uint8_t *buf, size_t len)
{
	uint32_t crc = nx_crc32c(0, buf, len);

	/* RFC 7143 B.4: least significant byte first. */
	return wire[0] == (crc & 0xff) && wire[1] == ((crc >> 8) & 0xff) &&
	       wire[2] == ((crc >> 16) & 0xff) && wire[3] == (crc >> 24);
}

/* ---- PDU framing ------------------------------------------------------ */

struct pdu {
	const uint8_t *bhs;
	const uint8_t *ahs;
	uint32_t ahs_len;
	const uint8_t *data;
	uint32_t dlen;            /* bytes present (may be < dsl if cut) */
	uint32_t dsl;
	uint32_t frame;
	bool cut;                 /* data or digests beyond the run */
	bool hd_bad, dd_bad;
	uint8_t dir;
	uint32_t seq;             /* decode order within the direction */
};

struct parser {
	const struct nx_tr_dir *d;
	uint8_t dir;
	uint32_t run;
	int64_t pos;              /* offset within the run */
	bool synced;
	bool hd, dd;
	bool hd_known, dd_known;
	struct pdu *pdus;
	uint32_t n, cap;
};

static bool opcode_ok(uint8_t dir, uint8_t b0)
{
	uint8_t op = b0 & 0x3f;

	if (dir == 0)
		return (b0 & 0x80) == 0 &&
		       (op <= 0x06 || op == 0x10 || op == 0x1c || op == 0x1d);
	return (b0 & 0xc0) == 0 &&
	       ((op >= 0x20 && op <= 0x26) || op == 0x31 || op == 0x32 ||
		op == 0x3c || op == 0x3d || op == 0x3f);
}

/* Reserved fields per opcode (RFC 7143 11.x) that a real PDU has clear. */
static bool bhs_plausible(uint8_t dir, const uint8_t *b)
{
	uint8_t op = b[0] & 0x3f;

	if (!opcode_ok(dir, b[0]) || be24(b + 5) > DSL_PLAUSIBLE)
		return false;
	switch (op) {
	case 0x01: /* SCSI Command: ATTR <= 4, bits 4-3 reserved */
		return (b[1] & 0x18) == 0 && (b[1] & 0x07) <= 4 && b[2] == 0 &&
		       b[3] == 0;
	case 0x05: /* Data-Out */
		return (b[1] & 0x7f) == 0 && b[2] == 0 && b[3] == 0 && b[4] == 0;
	case 0x21: /* SCSI Response: F set, reserved bits */
		return (b[1] & 0x81) == 0x80 && b[4] == 0 && b[2] <= 1;
	case 0x25: /* Data-In */
		return (b[1] & 0x38) == 0 && b[2] == 0 && b[4] == 0;
	case 0x31: /* R2T */
		return b[1] == 0x80 && b[4] == 0 && be24(b + 5) == 0;
	case 0x03: case 0x23:
		return (b[1] & 0x30) == 0;
	default:
		return b[4] <= 64;
	}
}

static uint32_t pdu_len(const uint8_t *b, bool hd, bool dd)
{
	uint32_t ahs = (uint32_t)b[4] * 4, dsl = be24(b + 5);

	return BHS + ahs + (hd ? 4 : 0) + nx_iscsi_pad4(dsl) +
	       (dd && dsl ? 4 : 0);
}

static bool is_login(uint8_t dir, const uint8_t *b)
{
	return (b[0] & 0x3f) == (dir == 0 ? 0x03 : 0x23);
}

/* Resynchronise: find a BHS at or after p->pos in the current run. */
static bool resync(struct parser *p, uint64_t *skipped)
{
	const struct nx_tr_run *r = &p->d->runs[p->run];

	for (int64_t o = p->pos; o + BHS <= r->len; o++) {
		const uint8_t *b = r->data + o;
		uint32_t ahs = (uint32_t)b[4] * 4;

		if (!bhs_plausible(p->dir, b))
			continue;
		if (!p->hd_known && o + BHS + ahs + 4 <= r->len &&
		    digest_ok(b + BHS + ahs, b, BHS + ahs)) {
			p->hd = p->hd_known = true;
		} else if (p->hd && o + BHS + ahs + 4 <= r->len &&
			   !digest_ok(b + BHS + ahs, b, BHS + ahs)) {
			continue;
		} else {
			uint64_t next = (uint64_t)o + pdu_len(b, p->hd, p->dd);

			if (next < r->len &&
			    (next + BHS > r->len ||
			     !bhs_plausible(p->dir, r->data + next)))
				continue;
			if (!p->hd_known)
				p->hd_known = true;   /* no CRC after it: off */
		}
		*skipped += (uint64_t)(o - p->pos);
		p->pos = o;
		p->synced = true;
		return true;
	}
	*skipped += (uint64_t)(r->len - p->pos);
	p->pos = r->len;
	return false;
}

static int pdu_push(struct parser *p, const struct pdu *pd)
{
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 256;
		struct pdu *n;

		if (cap > NX_TR_PDUS_MAX || !(n = realloc(p->pdus, cap * sizeof(*n))))
			return -1;
		p->pdus = n;
		p->cap = cap;
	}
	p->pdus[p->n] = *pd;
	p->pdus[p->n].seq = p->n;
	p->n++;
	return 0;
}

/* Data digest unknown (no login captured): the CRC after the data says. */
static void dd_detect(struct parser *p, const uint8_t *data, uint32_t dsl,
		      const uint8_t *end)
{
	uint32_t padded = nx_iscsi_pad4(dsl);

	if (p->dd_known || dsl == 0)
		return;
	p->dd_known = true;
	p->dd = data + padded + 4 <= end && digest_ok(data + padded, data, padded);
}

/* One PDU at p->pos of the current run; false when the run is done. */
static bool frame_one(struct parser *p, struct nx_tr_conn *c, bool login_only,
		      struct pdu *out)
{
	const struct nx_tr_run *r = &p->d->runs[p->run];
	const uint8_t *b, *end = r->data + r->len;
	uint32_t ahs, off, padded;

	if (p->pos + BHS > r->len) {
		if (p->pos < r->len)
			c->cut_pdus[p->dir]++;
		return false;
	}
	b = r->data + p->pos;
	if (login_only && !is_login(p->dir, b))
		return false;
	memset(out, 0, sizeof(*out));
	out->bhs = b;
	out->dir = p->dir;
	ahs = (uint32_t)b[4] * 4;
	out->dsl = be24(b + 5);
	off = BHS + ahs;
	out->ahs = b + BHS;
	out->ahs_len = ahs;
	if (!login_only && p->hd) {
		if (b + off + 4 <= end && !digest_ok(b + off, b, off))
			out->hd_bad = true;
		off += 4;
	}
	out->data = b + off;
	if (!login_only)
		dd_detect(p, out->data, out->dsl, end);
	padded = nx_iscsi_pad4(out->dsl);
	if (b + off + padded + (p->dd && !login_only && out->dsl ? 4 : 0) > end ||
	    b + off > end) {
		out->cut = true;
		out->dlen = b + off > end ? 0 : (uint32_t)(end - (b + off));
		if (out->dlen > out->dsl)
			out->dlen = out->dsl;
		if (b + BHS > end)
			return false;
		c->cut_pdus[p->dir]++;
		p->pos = r->len;
		out->frame = nx_tr_run_frame(r, r->off + r->len - 1);
		return true;
	}
	out->dlen = out->dsl;
	if (!login_only && p->dd && out->dsl) {
		if (!digest_ok(out->data + padded, out->data, padded))
			out->dd_bad = true;
		padded += 4;
	}
	p->pos += off + padded;
	out->frame = nx_tr_run_frame(r, r->off + p->pos - 1);
	return true;
}

/* Parses PDUs until the stream ends (or, login_only, a non-login PDU). */
static int parse(struct parser *p, struct nx_tr_conn *c, bool login_only)
{
	while (p->run < p->d->runs_n) {
		struct pdu pd;

		if (!p->synced) {
			if (p->pos == 0 && p->d->runs[p->run].at_start) {
				p->synced = true;
			} else if (login_only) {
				return 0;
			} else {
				c->resyncs[p->dir]++;
				if (!resync(p, &c->skipped[p->dir])) {
					p->run++;
					p->pos = 0;
					continue;
				}
			}
		}
		if (!frame_one(p, c, login_only, &pd)) {
			if (login_only && p->pos + BHS <= p->d->runs[p->run].len)
				return 0;
			p->run++;
			p->pos = 0;
			p->synced = false;
			continue;
		}
		if (pd.hd_bad || pd.dd_bad)
			c->digest_errors[p->dir]++;
		if (pdu_push(p, &pd) != 0)
			return -1;
	}
	return 0;
}

/* ---- login keys -------------------------------------------------------- */

/* Calls fn for each "key=value" in a text data segment (RFC 7143 6.1). */
static void keys_each(const uint8_t *d, uint32_t len,
		      void (*fn)(void *arg, const char *k, const char *v),
		      void *arg)
{
	uint32_t i = 0;

	while (i < len) {
		char kv[512];
		uint32_t n = 0;

		while (i < len && d[i] != 0) {
			if (n + 1 < sizeof(kv))
				kv[n++] = (char)d[i];
			i++;
		}
		i++;
		kv[n] = '\0';
		char *eq = strchr(kv, '=');
		if (eq != NULL) {
			*eq = '\0';
			fn(arg, kv, eq + 1);
		}
	}
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static void ini_key(void *arg, const char *k, const char *v)
{
	struct nx_tr_login *l = arg;

	if (strcmp(k, "InitiatorName") == 0)
		copy_str(l->initiator, sizeof(l->initiator), v);
	else if (strcmp(k, "TargetName") == 0)
		copy_str(l->target, sizeof(l->target), v);
	else if (strcmp(k, "SessionType") == 0)
		l->discovery = strcmp(v, "Discovery") == 0;
	else if (strcmp(k, "HeaderDigest") == 0)
		copy_str(l->offer_hd, sizeof(l->offer_hd), v);
	else if (strcmp(k, "DataDigest") == 0)
		copy_str(l->offer_dd, sizeof(l->offer_dd), v);
	else if (strcmp(k, "ImmediateData") == 0)
		copy_str(l->offer_immediate, sizeof(l->offer_immediate), v);
	else if (strcmp(k, "InitialR2T") == 0)
		copy_str(l->offer_initial_r2t, sizeof(l->offer_initial_r2t), v);
	else if (strcmp(k, "FirstBurstLength") == 0)
		l->offer_first_burst = (uint32_t)strtoul(v, NULL, 0);
	else if (strcmp(k, "MaxBurstLength") == 0)
		l->offer_max_burst = (uint32_t)strtoul(v, NULL, 0);
	else if (strcmp(k, "MaxRecvDataSegmentLength") == 0)
		l->offer_mrdsl = (uint32_t)strtoul(v, NULL, 0);
	else if (strcmp(k, "MaxOutstandingR2T") == 0)
		l->offer_max_r2t = (uint16_t)strtoul(v, NULL, 0);
	else if (strcmp(k, "DataSequenceInOrder") == 0)
		copy_str(l->offer_seq_in_order, sizeof(l->offer_seq_in_order), v);
}

static void tgt_key(void *arg, const char *k, const char *v)
{
	struct nx_tr_login *l = arg;

	if (strcmp(k, "HeaderDigest") == 0)
		l->header_digest = strcmp(v, "CRC32C") == 0;
	else if (strcmp(k, "DataDigest") == 0)
		l->data_digest = strcmp(v, "CRC32C") == 0;
	else if (strcmp(k, "ImmediateData") == 0)
		copy_str(l->tgt_immediate, sizeof(l->tgt_immediate), v);
	else if (strcmp(k, "InitialR2T") == 0)
		copy_str(l->tgt_initial_r2t, sizeof(l->tgt_initial_r2t), v);
	else if (strcmp(k, "DataSequenceInOrder") == 0)
		copy_str(l->tgt_seq_in_order, sizeof(l->tgt_seq_in_order), v);
	else if (strcmp(k, "FirstBurstLength") == 0)
		l->tgt_first_burst = (uint32_t)strtoul(v, NULL, 0);
	else if (strcmp(k, "MaxBurstLength") == 0)
		l->tgt_max_burst = (uint32_t)strtoul(v, NULL, 0);
	else if (strcmp(k, "MaxRecvDataSegmentLength") == 0)
		l->tgt_mrdsl = (uint32_t)strtoul(v, NULL, 0);
	else if (strcmp(k, "MaxOutstandingR2T") == 0)
		l->tgt_max_r2t = (uint16_t)strtoul(v, NULL, 0);
}

static void login_req(struct nx_tr_conn *c, const struct pdu *pd)
{
	struct nx_tr_login *l = &c->login;

	l->seen = true;
	memcpy(l->isid, pd->bhs + 8, 6);
	l->cid = (uint16_t)(pd->bhs[20] << 8 | pd->bhs[21]);
	keys_each(pd->data, pd->dlen, ini_key, l);
}

static void login_rsp(struct nx_tr_conn *c, const struct pdu *pd)
{
	struct nx_tr_login *l = &c->login;
	const uint8_t *b = pd->bhs;

	l->status_class = b[36];
	l->status_detail = b[37];
	l->tsih = (uint16_t)(b[14] << 8 | b[15]);
	keys_each(pd->data, pd->dlen, tgt_key, l);
	/* RFC 7143 11.13: T=1 with NSG=3 and success ends the login. */
	if ((b[1] & 0x80) && (b[1] & 0x03) == 3 && b[36] == 0) {
		l->ffp = true;
		l->frame = pd->frame;
	}
}

/* ---- commands ----------------------------------------------------------- */

struct conn_ctx {
	struct nx_trace *t;
	struct nx_tr_conn *c;
	uint32_t open[OPEN_MAX];   /* cmd indices awaiting an answer */
	uint32_t open_n;
	uint32_t tmf_open[64];
	uint32_t tmf_open_n;
};

static int event_add(struct nx_trace *t, uint32_t frame, uint8_t kind,
		     uint32_t arg, uint8_t aux)
{
	if (t->events_n == t->events_cap) {
		uint32_t cap = t->events_cap ? t->events_cap * 2 : 256;
		struct nx_tr_event *n = realloc(t->events, cap * sizeof(*n));

		if (n == NULL || cap > 4 * NX_TR_PDUS_MAX)
			return -1;
		t->events = n;
		t->events_cap = cap;
	}
	t->events[t->events_n++] = (struct nx_tr_event){
		.frame = frame, .order = t->order++, .kind = kind, .aux = aux,
		.arg = arg };
	return 0;
}

/* SPC-4 4.2.5.1: CDB length from the group code of the opcode. */
static uint16_t cdb_len_of(const uint8_t *cdb, uint32_t avail)
{
	uint16_t n;

	switch (cdb[0] >> 5) {
	case 0: n = 6; break;
	case 1: case 2: n = 10; break;
	case 5: n = 12; break;
	case 3:
		n = cdb[0] == 0x7f ? (uint16_t)(8 + cdb[7]) : 16;
		break;
	default: n = 16; break;
	}
	return n > avail ? (uint16_t)avail : n;
}

static void cmd_ahs(struct nx_tr_cmd *m, const struct pdu *pd, uint8_t *cdb,
		    uint32_t *cdb_avail)
{
	uint32_t o = 0;

	/* RFC 7143 11.2.1.2-4: AHSLength, type; bounded by the AHS bytes. */
	while (o + 4 <= pd->ahs_len) {
		uint32_t alen = (uint32_t)(pd->ahs[o] << 8 | pd->ahs[o + 1]);
		uint8_t type = pd->ahs[o + 2];

		if (o + 3 + alen > pd->ahs_len)
			break;
		if (type == 1 && alen > 1 && 16 + alen - 1 <= NX_TR_CDB_MAX) {
			memcpy(cdb + 16, pd->ahs + o + 4, alen - 1);
			*cdb_avail = 16 + alen - 1;
		} else if (type == 2 && alen == 5) {
			m->bidi = true;
			m->bidi_read_len = be32(pd->ahs + o + 4);
		}
		o += nx_iscsi_pad4(3 + alen);
	}
}

static struct nx_tr_cmd *cmd_new(struct conn_ctx *x)
{
	struct nx_trace *t = x->t;

	if (t->cmds_n == t->cmds_cap) {
		uint32_t cap = t->cmds_cap ? t->cmds_cap * 2 : 64;
		struct nx_tr_cmd *n = realloc(t->cmds, cap * sizeof(*n));

		if (n == NULL || cap > NX_TR_PDUS_MAX)
			return NULL;
		t->cmds = n;
		t->cmds_cap = cap;
	}
	struct nx_tr_cmd *m = &t->cmds[t->cmds_n++];
	memset(m, 0, sizeof(*m));
	return m;
}

static int scsi_cmd(struct conn_ctx *x, const struct pdu *pd)
{
	const uint8_t *b = pd->bhs;
	struct nx_tr_cmd *m;
	uint8_t cdb[NX_TR_CDB_MAX] = { 0 };
	uint32_t cdb_avail = 16;

	if (x->open_n == OPEN_MAX)
		return 0;      /* more outstanding than we track: ignored */
	if ((m = cmd_new(x)) == NULL)
		return -1;
	m->conn = x->c->id;
	m->immediate = (b[0] & 0x40) != 0;
	m->read = (b[1] & 0x40) != 0;
	m->write = (b[1] & 0x20) != 0;
	m->attr = b[1] & 0x07;
	m->lun = be64(b + 8);
	m->itt = be32(b + 16);
	m->edtl = be32(b + 20);
	m->cmdsn = be32(b + 24);
	memcpy(cdb, b + 32, 16);
	cmd_ahs(m, pd, cdb, &cdb_avail);
	m->cdb_len = cdb_len_of(cdb, cdb_avail);
	memcpy(m->cdb, cdb, m->cdb_len);
	m->frame_cmd = pd->frame;
	m->damaged = pd->cut;
	m->digest_errors = pd->hd_bad + pd->dd_bad;
	if (m->edtl > NX_TR_DATA_MAX)
		m->edtl = NX_TR_DATA_MAX;   /* replayed capped; diff says so */
	if (m->write && m->edtl) {
		if ((m->out = calloc(1, m->edtl)) == NULL)
			return -1;
		uint32_t n = pd->dlen < m->edtl ? pd->dlen : m->edtl;
		memcpy(m->out, pd->data, n);
		m->out_got = n;
		m->imm_len = m->unsol_len = n;
	}
	x->open[x->open_n++] = (uint32_t)(m - x->t->cmds);
	return event_add(x->t, pd->frame, NX_TR_EV_CMD,
			 (uint32_t)(m - x->t->cmds), 0);
}

static struct nx_tr_cmd *cmd_find(struct conn_ctx *x, uint32_t itt,
				  bool remove)
{
	for (uint32_t i = x->open_n; i-- > 0;) {
		struct nx_tr_cmd *m = &x->t->cmds[x->open[i]];

		if (m->itt != itt)
			continue;
		if (remove)
			x->open[i] = x->open[--x->open_n];
		return m;
	}
	return NULL;
}

static void data_out(struct conn_ctx *x, const struct pdu *pd)
{
	struct nx_tr_cmd *m = cmd_find(x, be32(pd->bhs + 16), false);
	uint32_t off = be32(pd->bhs + 40);

	if (m == NULL) {
		x->c->unknown_itt++;
		return;
	}
	m->damaged |= pd->cut;
	m->digest_errors += pd->hd_bad + pd->dd_bad;
	if (m->out == NULL || off >= m->edtl)
		return;
	uint32_t n = pd->dlen < m->edtl - off ? pd->dlen : m->edtl - off;
	memcpy(m->out + off, pd->data, n);
	m->out_got += n;
	/* RFC 7143 11.7.2: TTT 0xffffffff marks unsolicited Data-Out. */
	if (be32(pd->bhs + 20) == 0xffffffffu)
		m->unsol_len += n;
}

static int data_in_store(struct nx_tr_cmd *m, const struct pdu *pd)
{
	uint32_t off = be32(pd->bhs + 40);
	uint32_t cap = m->read ? m->edtl : 0;

	if (m->bidi)
		cap = m->bidi_read_len;
	if (cap == 0)
		cap = m->edtl;
	if (m->in == NULL && cap) {
		if ((m->in = calloc(1, cap)) == NULL)
			return -1;
		m->in_cap = cap;
	}
	if (off != m->in_end)
		m->in_hole |= off > m->in_end;
	if (off < m->in_cap && pd->dlen) {
		uint32_t n = pd->dlen < m->in_cap - off ? pd->dlen : m->in_cap - off;
		memcpy(m->in + off, pd->data, n);
		if (off + n > m->in_end)
			m->in_end = off + n;
	}
	m->in_pdus++;
	return 0;
}

static int answered(struct conn_ctx *x, struct nx_tr_cmd *m,
		    const struct pdu *pd)
{
	m->answered = true;
	m->frame_rsp = pd->frame;
	return event_add(x->t, pd->frame, NX_TR_EV_CMD_DONE,
			 (uint32_t)(m - x->t->cmds), 0);
}

static int data_in(struct conn_ctx *x, const struct pdu *pd)
{
	const uint8_t *b = pd->bhs;
	bool status = (b[1] & 0x01) != 0;
	struct nx_tr_cmd *m = cmd_find(x, be32(b + 16), status);

	if (m == NULL) {
		x->c->unknown_itt++;
		return 0;
	}
	m->damaged |= pd->cut;
	m->digest_errors += pd->hd_bad + pd->dd_bad;
	if (data_in_store(m, pd) != 0)
		return -1;
	if (!status)
		return 0;
	/* RFC 7143 11.7.1: S=1 carries status, U/O and the residual. */
	m->status = b[3];
	m->flags = b[1] & 0x06;
	m->residual = be32(b + 44);
	return answered(x, m, pd);
}

static int scsi_rsp(struct conn_ctx *x, const struct pdu *pd)
{
	const uint8_t *b = pd->bhs;
	struct nx_tr_cmd *m = cmd_find(x, be32(b + 16), true);

	if (m == NULL) {
		x->c->unknown_itt++;
		return 0;
	}
	m->damaged |= pd->cut;
	m->digest_errors += pd->hd_bad + pd->dd_bad;
	m->flags = b[1] & 0x1e;
	m->response = b[2];
	m->status = b[3];
	m->bidi_residual = be32(b + 40);
	m->residual = be32(b + 44);
	/* RFC 7143 11.4.7: SenseLength, then sense data. */
	if (pd->dlen >= 2) {
		uint32_t sl = (uint32_t)(pd->data[0] << 8 | pd->data[1]);

		if (sl > pd->dlen - 2)
			sl = pd->dlen - 2;
		if (sl > NX_TR_SENSE_MAX)
			sl = NX_TR_SENSE_MAX;
		memcpy(m->sense, pd->data + 2, sl);
		m->sense_len = (uint16_t)sl;
	}
	return answered(x, m, pd);
}

static int r2t(struct conn_ctx *x, const struct pdu *pd)
{
	struct nx_tr_cmd *m = cmd_find(x, be32(pd->bhs + 16), false);

	if (m == NULL) {
		x->c->unknown_itt++;
		return 0;
	}
	m->damaged |= pd->cut;
	if (m->r2t == NULL &&
	    (m->r2t = calloc(NX_TR_R2T_KEEP, sizeof(*m->r2t))) == NULL)
		return -1;
	/* RFC 7143 11.8: R2TSN, Buffer Offset, Desired Data Transfer Length. */
	if (m->r2ts < NX_TR_R2T_KEEP)
		m->r2t[m->r2ts] = (struct nx_tr_r2t){ .r2tsn = be32(pd->bhs + 36),
			.offset = be32(pd->bhs + 40), .len = be32(pd->bhs + 44) };
	if (m->r2ts < UINT32_MAX)
		m->r2ts++;
	m->r2t_bytes += be32(pd->bhs + 44);
	return 0;
}

static int reject(struct conn_ctx *x, const struct pdu *pd)
{
	struct nx_tr_cmd *m;

	/* RFC 7143 11.17: the data segment is the rejected PDU's BHS. */
	if (pd->dlen < BHS || (pd->data[0] & 0x3f) != 0x01)
		return 0;
	m = cmd_find(x, be32(pd->data + 16), true);
	if (m == NULL)
		return 0;
	m->rejected = true;
	m->reject_reason = pd->bhs[2];
	return answered(x, m, pd);
}

static int tmf_req(struct conn_ctx *x, const struct pdu *pd)
{
	struct nx_trace *t = x->t;
	struct nx_tr_tmf *f;

	if (x->tmf_open_n == 64)
		return 0;
	if (t->tmfs_n == t->tmfs_cap) {
		uint32_t cap = t->tmfs_cap ? t->tmfs_cap * 2 : 16;
		struct nx_tr_tmf *n = realloc(t->tmfs, cap * sizeof(*n));

		if (n == NULL || cap > NX_TR_PDUS_MAX)
			return -1;
		t->tmfs = n;
		t->tmfs_cap = cap;
	}
	f = &t->tmfs[t->tmfs_n];
	memset(f, 0, sizeof(*f));
	f->conn = x->c->id;
	f->function = pd->bhs[1] & 0x7f;
	f->lun = be64(pd->bhs + 8);
	f->itt = be32(pd->bhs + 16);
	f->ref_itt = be32(pd->bhs + 20);
	f->ref_cmdsn = be32(pd->bhs + 24);
	f->frame_req = pd->frame;
	x->tmf_open[x->tmf_open_n++] = t->tmfs_n;
	return event_add(t, pd->frame, NX_TR_EV_TMF, t->tmfs_n++, 0);
}

static int tmf_rsp(struct conn_ctx *x, const struct pdu *pd)
{
	uint32_t itt = be32(pd->bhs + 16);

	for (uint32_t i = 0; i < x->tmf_open_n; i++) {
		struct nx_tr_tmf *f = &x->t->tmfs[x->tmf_open[i]];

		if (f->itt != itt)
			continue;
		f->answered = true;
		f->response = pd->bhs[2];
		f->frame_rsp = pd->frame;
		x->tmf_open[i] = x->tmf_open[--x->tmf_open_n];
		return event_add(x->t, pd->frame, NX_TR_EV_TMF_DONE,
				 (uint32_t)(f - x->t->tmfs), 0);
	}
	x->c->unknown_itt++;
	return 0;
}

static int pdu_handle(struct conn_ctx *x, const struct pdu *pd)
{
	struct nx_tr_conn *c = x->c;

	c->pdus[pd->dir]++;
	switch (pd->bhs[0] & 0x3f) {
	case 0x01: return pd->dir == 0 ? scsi_cmd(x, pd) : 0;
	case 0x02: return tmf_req(x, pd);
	case 0x03: login_req(c, pd); return 0;
	case 0x05: data_out(x, pd); return 0;
	case 0x06:
		c->logged_out = true;
		return event_add(x->t, pd->frame, NX_TR_EV_LOGOUT, c->id,
				 pd->bhs[1] & 0x7f);
	case 0x21: return scsi_rsp(x, pd);
	case 0x22: return tmf_rsp(x, pd);
	case 0x23: login_rsp(c, pd); return 0;
	case 0x25: return data_in(x, pd);
	case 0x31: return r2t(x, pd);
	case 0x3f: return reject(x, pd);
	default: return 0;   /* NOP, Text, SNACK, Async: not replayed */
	}
}

/* ---- per connection ------------------------------------------------------ */

static int pdu_cmp(const void *a, const void *b)
{
	const struct pdu *x = a, *y = b;

	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void swap_roles(struct nx_tr_conn *c)
{
	struct nx_tr_dir d = c->dir[0];
	uint8_t a[16];
	uint16_t pt = c->ini_port;

	c->dir[0] = c->dir[1];
	c->dir[1] = d;
	memcpy(a, c->ini_addr, 16);
	memcpy(c->ini_addr, c->tgt_addr, 16);
	memcpy(c->tgt_addr, a, 16);
	c->ini_port = c->tgt_port;
	c->tgt_port = pt;
}

/* Roles not fixed by a SYN or the port: the first bytes decide. */
static void roles_check(struct nx_tr_conn *c)
{
	const struct nx_tr_dir *d0 = &c->dir[0];

	if (c->roles_known || d0->runs_n == 0 || d0->runs[0].len < BHS)
		return;
	if (opcode_ok(1, d0->runs[0].data[0]) && !opcode_ok(0, d0->runs[0].data[0]))
		swap_roles(c);
}

static int conn_parse(struct nx_trace *t, struct nx_tr_conn *c,
		      struct parser p[2])
{
	for (int d = 0; d < 2; d++) {
		if (nx_tr_reassemble(t, &c->dir[d]) != 0)
			return -1;
	}
	roles_check(c);
	for (int d = 0; d < 2; d++) {
		memset(&p[d], 0, sizeof(p[d]));
		p[d].d = &c->dir[d];
		p[d].dir = (uint8_t)d;
		if (parse(&p[d], c, true) != 0)
			return -1;
	}
	/* Login keys of both sides settle the digests (RFC 7143 13.1). */
	for (int d = 0; d < 2; d++)
		for (uint32_t i = 0; i < p[d].n; i++)
			(d == 0 ? login_req : login_rsp)(c, &p[d].pdus[i]);
	for (int d = 0; d < 2; d++) {
		if (c->login.seen || p[1].n > 0) {
			p[d].hd = c->login.header_digest;
			p[d].dd = c->login.data_digest;
			p[d].hd_known = p[d].dd_known = true;
		}
		if (parse(&p[d], c, false) != 0)
			return -1;
	}
	c->login.digests_guessed = !c->login.seen && p[0].n > 0;
	if (c->login.digests_guessed) {
		c->login.header_digest = p[0].hd;
		c->login.data_digest = p[0].dd;
	}
	return 0;
}

static int conn_events(struct nx_trace *t, struct nx_tr_conn *c,
		       struct parser p[2])
{
	uint32_t n = p[0].n + p[1].n, first;
	struct pdu *all = malloc((n ? n : 1) * sizeof(*all));
	struct conn_ctx *x = calloc(1, sizeof(*x));
	int rc = -1;

	if (all == NULL || x == NULL)
		goto out;
	if (p[0].n)
		memcpy(all, p[0].pdus, p[0].n * sizeof(*all));
	if (p[1].n)
		memcpy(all + p[0].n, p[1].pdus, p[1].n * sizeof(*all));
	if (n)
		qsort(all, n, sizeof(*all), pdu_cmp);
	x->t = t;
	x->c = c;
	c->iscsi = n > 0;
	/* Login state is rebuilt in order (the parse pass saw it already). */
	struct nx_tr_login saved = c->login;
	memset(&c->login, 0, sizeof(c->login));
	first = t->events_n;
	/* Mid-stream: the session exists from its first PDU on. */
	if (!saved.seen && n > 0 &&
	    event_add(t, all[0].frame, NX_TR_EV_LOGIN, c->id, 0) != 0)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		bool was_ffp = c->login.ffp;

		if (pdu_handle(x, &all[i]) != 0)
			goto out;
		if (!was_ffp && c->login.ffp && !c->login.discovery &&
		    event_add(t, c->login.frame, NX_TR_EV_LOGIN, c->id, 0) != 0)
			goto out;
	}
	if (saved.digests_guessed) {
		c->login.digests_guessed = true;
		c->login.header_digest = saved.header_digest;
		c->login.data_digest = saved.data_digest;
	}
	/* Unanswered commands and TMFs end with their connection. */
	for (uint32_t i = 0; i < x->open_n; i++)
		if (event_add(t, c->last_frame, NX_TR_EV_CMD_DONE, x->open[i], 0))
			goto out;
	for (uint32_t i = 0; i < x->tmf_open_n; i++)
		if (event_add(t, c->last_frame, NX_TR_EV_TMF_DONE, x->tmf_open[i], 0))
			goto out;
	rc = t->events_n > first ? event_add(t, c->last_frame, NX_TR_EV_CLOSE,
					     c->id, 0) : 0;
out:
	free(all);
	free(x);
	return rc;
}

static int ev_cmp(const void *a, const void *b)
{
	const struct nx_tr_event *x = a, *y = b;

	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int nx_trace_decode(struct nx_trace *t)
{
	struct parser p[2];

	for (uint32_t i = 0; i < t->conns_n; i++) {
		struct nx_tr_conn *c = &t->conns[i];
		int rc = conn_parse(t, c, p);

		if (rc == 0)
			rc = conn_events(t, c, p);
		free(p[0].pdus);
		free(p[1].pdus);
		if (rc != 0) {
			if (t->err[0] == '\0')
				snprintf(t->err, sizeof(t->err), "out of memory or "
					 "too many PDUs decoding connection %u", i);
			return -1;
		}
	}
	if (t->events_n)
		qsort(t->events, t->events_n, sizeof(*t->events), ev_cmp);
	return 0;
}

int nx_trace_load(struct nx_trace *t, const char *path)
{
	if (nx_trace_read_file(t, path) != 0)
		return -1;
	return nx_trace_decode(t);
}

void nx_trace_free(struct nx_trace *t)
{
	for (uint32_t i = 0; i < t->conns_n; i++)
		for (int d = 0; d < 2; d++) {
			struct nx_tr_dir *dr = &t->conns[i].dir[d];

			for (uint32_t r = 0; r < dr->runs_n; r++) {
				free(dr->runs[r].data);
				free(dr->runs[r].frames);
			}
			free(dr->runs);
			free(dr->segs);
		}
	for (uint32_t i = 0; i < t->cmds_n; i++) {
		free(t->cmds[i].out);
		free(t->cmds[i].in);
		free(t->cmds[i].r2t);
	}
	free(t->cmds);
	free(t->tmfs);
	free(t->events);
	free(t->conns);
	free(t->arena);
	memset(t, 0, sizeof(*t));
}

const char *nx_tr_addr_str(const struct nx_tr_conn *c, bool initiator,
			   char *buf, size_t len)
{
	const uint8_t *a = initiator ? c->ini_addr : c->tgt_addr;
	uint16_t port = initiator ? c->ini_port : c->tgt_port;

	if (c->family == 4) {
		snprintf(buf, len, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], port);
		return buf;
	}
	size_t o = (size_t)snprintf(buf, len, "[");
	for (int i = 0; i < 16 && o < len; i += 2)
		o += (size_t)snprintf(buf + o, len - o, "%s%x", i ? ":" : "",
				      (unsigned)(a[i] << 8 | a[i + 1]));
	if (o < len)
		snprintf(buf + o, len - o, "]:%u", port);
	return buf;
}

uint32_t nx_tr_lun_number(uint64_t lun_field)
{
	uint8_t b0 = (uint8_t)(lun_field >> 56), b1 = (uint8_t)(lun_field >> 48);

	/* SAM-5 4.7.7: peripheral (00b) or flat (01b) addressing. */
	if ((b0 >> 6) == 1)
		return (uint32_t)(b0 & 0x3f) << 8 | b1;
	return b1;
}
