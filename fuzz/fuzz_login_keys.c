/*
 * fuzz_login_keys.c - login and text negotiation: key=value parsing
 * (RFC 7143 6.1), the §13 key table, login stages and transitions
 * (RFC 7143 6.3, 11.12), CHAP and mutual CHAP (RFC 7143 12.1.3), and
 * Text Requests / SendTargets once in full feature phase (RFC 7143 11.10).
 *
 * Input:  byte 0  configuration: enum fz_auth (mod FZ_AUTH_COUNT)
 *         then records separated by FZ_SEP ("\xfe\xfe\xfe\xfe"):
 *           byte 0  control: 0x80 T (F for Text), 0x40 C, bits 3..2 CSG,
 *                   bits 1..0 NSG, 0x20 send a Text Request instead of a
 *                   Login Request, 0x10 Text: echo the target's last TTT /
 *                   Login: use the TSIH the target handed out
 *           rest    the data segment (key=value\0 ...)
 * The harness fills the sequencing fields (ITT, CID, CmdSN, ExpStatSN)
 * as a well-behaved initiator would, so the keys are what gets fuzzed.
 * Every input runs with the same PRNG seed, so the CHAP challenge is
 * fixed and a seed can carry the right CHAP_R (fuzz/gen_corpus.c).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "transports/iscsi/conn_internal.h"

#define RECORDS_MAX 32

struct lk {
	struct fz_iscsi f;
	uint32_t cmdsn;
	uint32_t exp_statsn;
	uint32_t itt;
	uint32_t last_ttt;
	uint16_t tsih;
	bool ffp;
	uint8_t *buf;
	size_t cap;
};

/* Digests start after the final Login Response (RFC 7143 13.1). */
static void lk_enter_ffp(struct lk *s)
{
	s->ffp = true;
	s->f.hd = s->f.c->hdigest;
	s->f.dd = s->f.c->ddigest;
}

/* Learns StatSN, TTT, TSIH and the phase from what the target sent. */
static void lk_absorb(struct lk *s)
{
	struct fz_rpdu p;

	while (fz_iscsi_next(&s->f, &p)) {
		uint8_t op = p.bhs[0] & 0x3f;

		s->exp_statsn = nx_get_be32(p.bhs + 24) + 1;
		if (op == NX_ISCSI_OP_LOGIN_RSP) {
			if (nx_get_be16(p.bhs + 14) != 0)
				s->tsih = nx_get_be16(p.bhs + 14);
			if ((p.bhs[1] & 0x83) == 0x83 && nx_get_be16(p.bhs + 36) == 0)
				lk_enter_ffp(s);
		}
		if (op == NX_ISCSI_OP_TEXT_RSP)
			s->last_ttt = nx_get_be32(p.bhs + 20);
	}
}

static void lk_record(struct lk *s, uint8_t ctl, const uint8_t *d, size_t n)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	size_t len;

	if (ctl & 0x20) {
		memset(bhs, 0, sizeof(bhs));
		bhs[0] = NX_ISCSI_OP_TEXT_REQ;
		bhs[1] = ctl & 0xc0; /* F, C */
		nx_put_be32(bhs + 16, ++s->itt);
		nx_put_be32(bhs + 20, ctl & 0x10 ? s->last_ttt : NX_ISCSI_RSVD_TAG);
		nx_put_be32(bhs + 24, s->cmdsn++);
		nx_put_be32(bhs + 28, s->exp_statsn);
	} else {
		fz_login_bhs(bhs, ctl & 0xcf, ctl & 0x10 ? s->tsih : 0, 0x77,
			     s->cmdsn, s->exp_statsn);
	}
	len = fz_pdu_build(s->buf, s->cap, bhs, NULL, 0, d, (uint32_t)n,
			   s->ffp && s->f.hd, s->ffp && s->f.dd);
	fz_check(len > 0);
	fz_iscsi_feed(&s->f, s->buf, len, 0);
	lk_absorb(s);
}

static const uint8_t *find_sep(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i + FZ_SEP_LEN <= n; i++)
		if (memcmp(d + i, FZ_SEP, FZ_SEP_LEN) == 0)
			return d + i;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk s;
	const uint8_t *end = data + size;

	if (size < 2)
		return 0;
	fz_platform_reset();
	memset(&s, 0, sizeof(s));
	fz_iscsi_open(&s.f, (enum fz_auth)(data[0] % FZ_AUTH_COUNT));
	s.cmdsn = 1;
	s.last_ttt = NX_ISCSI_RSVD_TAG;
	s.cap = size + NX_ISCSI_BHS_LEN + 16;
	s.buf = malloc(s.cap);
	fz_check(s.buf != NULL);
	data++;
	for (unsigned i = 0; i < RECORDS_MAX && data < end && !s.f.close_called;
	     i++) {
		const uint8_t *sep = find_sep(data, (size_t)(end - data));
		const uint8_t *rec_end = sep != NULL ? sep : end;

		if (rec_end > data)
			lk_record(&s, data[0], data + 1, (size_t)(rec_end - data - 1));
		data = sep != NULL ? sep + FZ_SEP_LEN : end;
	}
	free(s.buf);
	fz_iscsi_close(&s.f);
	return 0;
}
