/*
 * sam5_util.h - helpers the SAM-5 exception-handling tests share (aca.c, tmf.c):
 * commands with a task attribute and the NACA bit, a task held in the
 * task set (a raw WRITE whose Data-Out never comes), TMFs on the LU under
 * test, unit attentions drained through REQUEST SENSE (which clears them
 * whatever UA_INTLCK_CTRL says) and control mode page fields set through
 * MODE SELECT(10) after checking the changeable mask.
 *
 * Static functions in a header, as sbc3/sbc3_util.h: one copy per suite
 * file that includes it.
 */
#ifndef NX_CONF_SAM5_UTIL_H
#define NX_CONF_SAM5_UTIL_H

#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define S5_MS_MAX 512
#define S5_STATUS_BUSY 0x08
#define S5_STATUS_ACA_ACTIVE 0x30
#define S5_STATUS_TASK_ABORTED 0x40

struct s5_held {
	uint32_t itt, cmdsn;
};

static inline struct nx_conf_sess *s5_login(unsigned ini)
{
	struct nx_conf_sess *s = nx_conf_login(ini);

	nx_conf_clear_ua(s);
	return s;
}

/* Any 6/10/16-byte CDB on the LU under test with attr; the NACA bit is
 * the caller's (last CDB byte). */
static inline void s5_cmd(struct nx_conf_sess *s, const uint8_t *cdb,
			  uint8_t attr, struct nx_conf_result *r)
{
	struct nx_conf_cmd c = {
		.lun_field = nx_ini_lun(nx_conf_lun()), .cdb = cdb,
		.attr = attr, .dir = NX_INI_DIR_NONE,
	};

	nx_conf_scsi_ex(s, &c, r);
}

static inline void s5_tur(struct nx_conf_sess *s, uint8_t attr, bool naca,
			  struct nx_conf_result *r)
{
	uint8_t cdb[6] = { 0, 0, 0, 0, 0, (uint8_t)(naca ? 0x04 : 0x00) };

	s5_cmd(s, cdb, attr, r);
}

/* VERIFY(10) of one block just past the capacity: CHECK CONDITION
 * 5/21h/00h with no data phase.  HEAD OF QUEUE so that held tasks in the
 * task set do not delay it (SAM-5 8.6.4). */
static inline void s5_fault(struct nx_conf_sess *s, bool naca, uint8_t attr)
{
	uint8_t cdb[10] = { 0x2f };
	struct nx_conf_result r;
	uint64_t blocks;

	nx_conf_capacity(s, &blocks, NULL);
	nx_put_be32(cdb + 2, (uint32_t)NX_MIN(blocks, 0xffffffffull));
	nx_put_be16(cdb + 7, 1);
	cdb[9] = (uint8_t)(naca ? 0x04 : 0x00);
	s5_cmd(s, cdb, attr, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "VERIFY(10)");
	NX_EXPECT_LBA_OOB(&r);
}

/* WRITE(10) of 1 block at LBA 8 sent raw with attr; returns once its R2T
 * came: the task is in the task set until aborted. */
static inline void s5_hold(struct nx_conf_sess *s, uint8_t attr,
			   struct s5_held *h)
{
	static struct nx_conf_pdu p;
	uint8_t bhs[48];
	uint32_t bs;

	NX_SKIP_IF_SRP("SRP 5.4: the target RDMA-READs write data at once, a write cannot be held waiting for Data-Out");
	nx_conf_capacity(s, NULL, &bs);
	h->itt = nx_conf_raw_itt(s);
	h->cmdsn = nx_ini_session_take_cmdsn(nx_conf_ini(s));
	memset(bhs, 0, sizeof(bhs));
	bhs[0] = 0x01;
	bhs[1] = (uint8_t)(0x80 | 0x20 | (attr & 0x07)); /* F, W, ATTR */
	nx_put_be64(bhs + 8, nx_ini_lun(nx_conf_lun()));
	nx_put_be32(bhs + 16, h->itt);
	nx_put_be32(bhs + 20, bs);
	nx_put_be32(bhs + 24, h->cmdsn);
	nx_put_be32(bhs + 28, nx_ini_conn_exp_statsn(nx_conf_conn(s)));
	bhs[32] = 0x2a;
	nx_put_be32(bhs + 34, 8);
	nx_put_be16(bhs + 39, 1);
	nx_conf_capture(s, 0x31);
	nx_conf_send_pdu(s, bhs, NULL, 0);
	if (nx_conf_expect_pdu(s, &p) != 0)
		NX_SKIP("no R2T for a write without immediate data (InitialR2T=No?)");
	NX_EXPECT_EQ("R2T ITT", nx_get_be32(p.bhs + 16), h->itt);
}

/* An ORDERED TEST UNIT READY that must wait behind a held task. */
static inline void s5_submit_ordered(struct nx_conf_sess *s,
				     struct nx_conf_async *a)
{
	static const uint8_t tur[6];
	struct nx_conf_cmd c = {
		.lun_field = nx_ini_lun(nx_conf_lun()), .cdb = tur,
		.attr = NX_INI_ATTR_ORDERED, .dir = NX_INI_DIR_NONE,
	};

	assert_int_equal(nx_conf_submit(s, &c, a), 0);
	nx_conf_poll(200);
	NX_EXPECT_TRUE("ORDERED command waits behind the held task", !a->done);
}

/* A TMF on the LU under test (ref_itt/ref_cmdsn for ABORT/QUERY TASK). */
static inline uint8_t s5_tmf_ref(struct nx_conf_sess *s, uint8_t fn,
				 uint32_t ref_itt, uint32_t ref_cmdsn)
{
	uint8_t rsp = 0xff;

	assert_int_equal(nx_conf_tmf_ex(s, fn, nx_ini_lun(nx_conf_lun()),
					ref_itt, ref_cmdsn, &rsp), 0);
	return rsp;
}

static inline uint8_t s5_tmf(struct nx_conf_sess *s, uint8_t fn)
{
	return s5_tmf_ref(s, fn, 0xffffffff, 0);
}

/* REQUEST SENSE until no UNIT ATTENTION comes back (at most 16): clears
 * unit attentions under every UA_INTLCK_CTRL value (SPC-4 7.5.8 note a). */
static inline void s5_drain_ua(struct nx_conf_sess *s)
{
	uint8_t cdb[6] = { 0x03, 0, 0, 0, 252, 0 }, d[252];
	struct nx_conf_result r;

	for (unsigned i = 0; i < 16; i++) {
		nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
		NX_EXPECT_GOOD(&r);
		uint8_t key = (d[0] & 0x7f) == 0x72 ? d[1] : d[2];
		if ((key & 0x0f) != SK_UNIT_ATTENTION)
			return;
	}
}

/* Sets the bits `mask` of control mode page byte `byte` (page offset) to
 * `val` with MODE SELECT(10) if they differ; SKIPs when they are not all
 * changeable.  Returns the old bits.  Other I_T nexuses then have 2Ah/01h
 * pending (SPC-4 7.5.1). */
static inline uint8_t s5_set_control(struct nx_conf_sess *s, unsigned byte,
				     uint8_t mask, uint8_t val)
{
	uint8_t cur[S5_MS_MAX], chg[S5_MS_MAX], d[S5_MS_MAX];
	uint8_t cdb[10] = { 0x55, 0x10 };
	struct nx_conf_result r;
	unsigned len;
	uint8_t old;

	nx_conf_mode_sense(s, 0, 0x0a, 0, cur, S5_MS_MAX, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	NX_EXPECT_GOOD(&r);
	old = cur[8 + byte] & mask;
	if (old == (val & mask))
		return old;
	nx_conf_mode_sense(s, 1, 0x0a, 0, chg, S5_MS_MAX, &r);
	if (r.status != 0x00 || (chg[8 + byte] & mask) != mask)
		NX_SKIP("control mode page byte %u mask %02xh not changeable",
			byte, mask);
	cur[8 + byte] = (uint8_t)((cur[8 + byte] & ~mask) | (val & mask));
	len = 8u + 2u + cur[9];
	memset(d, 0, 8);
	memcpy(d + 8, cur + 8, len - 8);
	d[8] &= 0x7f; /* PS is reserved in MODE SELECT */
	nx_put_be16(cdb + 7, (uint16_t)len);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, d, len, &r);
	NX_EXPECT_GOOD(&r);
	return old;
}

/* Control mode page fields (SPC-4 7.5.8 table 457). */
#define S5_QERR 3, 0x06         /* byte 3 bits 2-1 */
#define S5_UA_INTLCK 4, 0x30    /* byte 4 bits 5-4 */
#define S5_TAS 5, 0x40          /* byte 5 bit 6 */

#endif /* NX_CONF_SAM5_UTIL_H */
