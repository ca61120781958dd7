/*
 * iscsi_util.h - helpers shared by the iSCSI suite files data.c and
 * session.c: a PDU recorder installed as the connection's rx hook (it
 * replaces nx_conf's capture hook on that session, so nx_conf_capture /
 * nx_conf_watch are not used together with it), raw SCSI Command and
 * Data-Out PDUs, and bounded waits.  Header-only (static inline).
 */
#ifndef NX_CONF_ISCSI_UTIL_H
#define NX_CONF_ISCSI_UTIL_H

#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define REC_MAX 512

/* Every PDU header that arrived on the connection since rec_start();
 * PDUs with ITT == own_itt (raw commands) are consumed, the rest go on to
 * the initiator as usual. */
struct rec {
	uint8_t bhs[REC_MAX][48];
	uint32_t dlen[REC_MAX];
	uint8_t data48[REC_MAX][48]; /* first 48 bytes of the data segment */
	unsigned n;
	uint32_t own_itt;
	uint32_t own_itt2;       /* a second consumed ITT (0: none) */
	bool overflow;
};

static inline bool rec_hook(void *arg, struct nx_ini_conn *c,
			    const uint8_t *bhs, const uint8_t *ahs,
			    uint32_t ahs_len, const uint8_t *data,
			    uint32_t data_len)
{
	struct rec *r = arg;

	if (r->n < REC_MAX) {
		memcpy(r->bhs[r->n], bhs, 48);
		r->dlen[r->n] = data_len;
		memset(r->data48[r->n], 0, 48);
		if (data_len > 0)
			memcpy(r->data48[r->n], data,
			       data_len < 48 ? data_len : 48);
		r->n++;
	} else {
		r->overflow = true;
	}
	uint32_t itt = nx_get_be32(bhs + 16);

	return (r->own_itt != 0 && itt == r->own_itt) ||
	       (r->own_itt2 != 0 && itt == r->own_itt2);
}

static inline void rec_start(struct nx_conf_sess *s, struct rec *r,
			     uint32_t own_itt)
{
	memset(r, 0, sizeof(*r));
	r->own_itt = own_itt;
	nx_ini_conn_set_rx_hook(nx_conf_conn(s), rec_hook, r);
}

/* Index of the k-th (0-based) recorded PDU with this opcode and ITT
 * (itt 0 = any), or -1. */
static inline int rec_find(const struct rec *r, uint8_t op, uint32_t itt,
			   unsigned k)
{
	for (unsigned i = 0; i < r->n; i++) {
		if ((r->bhs[i][0] & 0x3f) != op)
			continue;
		if (itt != 0 && nx_get_be32(r->bhs[i] + 16) != itt)
			continue;
		if (k-- == 0)
			return (int)i;
	}
	return -1;
}

/* Polls until the k-th such PDU arrived; its index, or -1 after the
 * step budget. */
static inline int rec_wait(const struct rec *r, uint8_t op, uint32_t itt,
			   unsigned k)
{
	uint32_t max = nx_conf_target()->steps_max ? nx_conf_target()->steps_max
						   : NX_INI_SYNC_STEPS_DEFAULT;
	int at = rec_find(r, op, itt, k);

	for (uint32_t i = 0; i < max && at < 0; i++) {
		nx_conf_poll(1);
		at = rec_find(r, op, itt, k);
	}
	return at;
}

/* A SCSI Command PDU (RFC 7143 11.3) on the LU under test, SIMPLE. */
static inline void raw_cmd_bhs(struct nx_conf_sess *s, uint8_t *bhs,
			       uint32_t itt, uint32_t cmdsn, bool immediate,
			       bool read, bool write, uint32_t edtl,
			       const uint8_t *cdb, unsigned cdb_len)
{
	memset(bhs, 0, 48);
	bhs[0] = (uint8_t)(0x01 | (immediate ? 0x40 : 0));
	bhs[1] = (uint8_t)(0x80 | (read ? 0x40 : 0) | (write ? 0x20 : 0) | 0x01);
	nx_put_be64(bhs + 8, nx_ini_lun(nx_conf_lun()));
	nx_put_be32(bhs + 16, itt);
	nx_put_be32(bhs + 20, edtl);
	nx_put_be32(bhs + 24, cmdsn);
	nx_put_be32(bhs + 28, nx_ini_conn_exp_statsn(nx_conf_conn(s)));
	memcpy(bhs + 32, cdb, cdb_len);
}

/* Data-Out PDUs (RFC 7143 11.7) for [off, off + len) of buf, split at
 * the target's MaxRecvDataSegmentLength; DataSN from 0, F on the last. */
static inline void send_data_out(struct nx_conf_sess *s, uint32_t itt,
				 uint32_t ttt, const uint8_t *buf,
				 uint32_t off, uint32_t len)
{
	uint32_t mx = nx_ini_conn_params(nx_conf_conn(s))->max_xmit_dsl;
	uint32_t sn = 0;
	uint8_t bhs[48];

	if (mx == 0)
		mx = 8192;
	while (len > 0) {
		uint32_t n = len < mx ? len : mx;

		memset(bhs, 0, 48);
		bhs[0] = 0x05;
		bhs[1] = n == len ? 0x80 : 0x00;
		nx_put_be24(bhs + 5, n);
		nx_put_be64(bhs + 8, nx_ini_lun(nx_conf_lun()));
		nx_put_be32(bhs + 16, itt);
		nx_put_be32(bhs + 20, ttt);
		nx_put_be32(bhs + 28, nx_ini_conn_exp_statsn(nx_conf_conn(s)));
		nx_put_be32(bhs + 36, sn++);
		nx_put_be32(bhs + 40, off);
		nx_conf_send_pdu(s, bhs, buf + off, n);
		off += n;
		len -= n;
	}
}

#endif /* NX_CONF_ISCSI_UTIL_H */
