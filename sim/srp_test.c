/*
 * srp_test.c - SRP end to end on the simulated fabric: nexus's SRP target
 * port (transports/srp) against the SRP initiator (initiator/srp.c).
 * Login and every rejection, reads and writes at size boundaries with
 * direct, indirect-inline and indirect-table descriptors, residuals,
 * credits (exhaustion and a violation), task management, logout either
 * way, malformed IUs, and faults: the port failing in the middle of an
 * RDMA READ and a disconnect during one; a re-login and an ABORT TASK
 * that must wait until an aborted write has left a slow backstore.
 * Every test ends with the allocations and fabric objects back where
 * they started.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nx_sim_srp.h"
#include "nx_sim_disk.h"
#include "../core/nx_scsi.h"
#include "../core/nx_wire.h"

#define TGT_NAME "iqn.2026-11.dev.nexus:srp-test"
#define IP_T 0x0a000001u
#define IP_I 0x0a000002u
#define PORT NX_SIM_SRP_PORT
#define SEC 1000000000ull
#define LU_BYTES (16u << 20)
#define BS 512u

static const uint8_t TPORT[16] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
				   0x4e, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };

struct world {
	struct nx_sim *sim;
	struct nx_sim_rdma *f;
	struct nx_rdma_dev *tdev, *idev;
	struct nx_target *tgt;
	struct nx_sim_srp_target *st;
	struct nx_sim_srp_ini *si;
	struct nx_sim_disk *disk;     /* world_init_slow */
	int64_t allocs;
};

static void ini_cfg(struct nx_ini_srp_config *c, uint8_t who)
{
	memset(c, 0, sizeof(*c));
	c->iport[0] = 0xfe;
	c->iport[15] = who;
	memcpy(c->tport, TPORT, sizeof(TPORT));
}

/* write_lat_ns == 0: LU 0 on RAM; else on a sim disk whose every write
 * takes that long (write-through). */
static void world_init_lu(struct world *w, uint64_t seed, uint64_t write_lat_ns)
{
	struct nx_sim_opts so = { .seed = seed };
	struct nx_lu_config lu = { .lun = 0, .block_size = BS };
	struct nx_srp_target_config tc = { .rtpi = 1 };
	struct nx_sim_rdma_opts o;
	struct nx_sim_disk_opts dopt;
	struct nx_backstore *bs = NULL;

	memset(w, 0, sizeof(*w));
	w->sim = nx_sim_new(&so);
	assert_non_null(w->sim);
	w->allocs = nx_sim_alloc_outstanding();
	if (write_lat_ns == 0) {
		bs = nx_bs_ram_new(LU_BYTES);
	} else {
		nx_sim_disk_opts_default(&dopt, LU_BYTES);
		dopt.block_size = BS;
		dopt.write_lat_min_ns = dopt.write_lat_max_ns = write_lat_ns;
		dopt.read_lat_min_ns = dopt.read_lat_max_ns = 1000;
		dopt.tail_ppb = dopt.read_err_ppb = dopt.write_err_ppb = 0;
		dopt.cache_chunks_max = 0;
		w->disk = nx_sim_disk_new(w->sim, "lu0", &dopt);
		assert_non_null(w->disk);
		assert_int_equal(nx_bs_file_new("lu0", 0, false, &bs), 0);
	}
	nx_sim_rdma_opts_default(&o);
	w->f = nx_sim_rdma_new(w->sim, &o);
	w->tdev = nx_sim_rdma_dev_new(w->f, "target", IP_T);
	w->idev = nx_sim_rdma_dev_new(w->f, "ini", IP_I);
	w->tgt = nx_target_new(TGT_NAME);
	assert_int_equal(nx_target_add_lu(w->tgt, &lu, bs), 0);
	tc.target = w->tgt;
	memcpy(tc.port_id, TPORT, sizeof(TPORT));
	w->st = nx_sim_srp_target_new(w->sim, w->tdev, PORT, &tc);
	assert_non_null(w->st);
}

static void world_init(struct world *w, uint64_t seed)
{
	world_init_lu(w, seed, 0);
}

static void world_connect_cfg(struct world *w, const struct nx_ini_srp_config *c)
{
	assert_int_equal(nx_sim_srp_ini_connect(w->sim, w->idev, IP_T, PORT, c,
						SEC, &w->si, NULL), 0);
}

static void world_connect(struct world *w)
{
	struct nx_ini_srp_config c;

	ini_cfg(&c, 1);
	world_connect_cfg(w, &c);
}

static void world_fini(struct world *w)
{
	nx_sim_srp_ini_free(w->si);
	w->si = NULL;
	assert_int_equal(nx_sim_srp_target_free(w->st, 60 * SEC), 0);
	nx_target_free(w->tgt);
	nx_sim_run_idle(w->sim, nx_sim_now(w->sim) + 60 * SEC);
	assert_int_equal(nx_sim_rdma_live(w->f), 0);
	nx_sim_rdma_free(w->f);
	nx_sim_disk_free(w->disk);
	assert_int_equal(nx_sim_alloc_outstanding(), w->allocs);
	nx_sim_free(w->sim);
}

static struct nx_ini_srp *port(struct world *w)
{
	return nx_sim_srp_ini_port(w->si);
}

/* ---- commands --------------------------------------------------------------- */

static bool flag_set(void *arg)
{
	return *(bool *)arg;
}

static void on_done(struct nx_ini_scsi *cmd)
{
	*(bool *)cmd->priv = true;
}

static void on_tmf(struct nx_ini_srp_tmf *t)
{
	*(bool *)t->priv = true;
}

static void cmd_init(struct nx_ini_scsi *c, const uint8_t *cdb, unsigned len,
		     bool *done)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->cdb, cdb, len);
	c->cdb_len = (uint16_t)len;
	c->attr = NX_INI_ATTR_SIMPLE;
	c->done = on_done;
	c->priv = done;
	*done = false;
}

static void wait_flag(struct world *w, bool *flag)
{
	assert_true(nx_sim_run_until(w->sim, flag_set, flag,
				     nx_sim_now(w->sim) + 60 * SEC));
}

static int run_cmd(struct world *w, struct nx_ini_scsi *c)
{
	bool *done = c->priv;

	assert_int_equal(nx_ini_srp_scsi_submit(port(w), c), 0);
	wait_flag(w, done);
	return c->err;
}

static void rw16(uint8_t *cdb, uint8_t op, uint64_t lba, uint32_t blocks)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	nx_put_be64(cdb + 2, lba);
	nx_put_be32(cdb + 10, blocks);
}

/* READ(16)/WRITE(16) with the given buffer length. */
static void io(struct world *w, uint8_t op, uint64_t lba, uint32_t blocks,
	       void *buf, uint32_t len, struct nx_ini_scsi *c)
{
	uint8_t cdb[16];
	bool done;

	rw16(cdb, op, lba, blocks);
	cmd_init(c, cdb, 16, &done);
	if (op == 0x8a) {
		c->data_out = buf;
		c->data_out_len = len;
	} else {
		c->data_in = buf;
		c->data_in_len = len;
	}
	assert_int_equal(run_cmd(w, c), 0);
}

static void clear_ua(struct world *w)
{
	static const uint8_t tur[6];
	struct nx_ini_scsi c;
	bool done;

	for (unsigned i = 0; i < 8; i++) {
		cmd_init(&c, tur, 6, &done);
		assert_int_equal(run_cmd(w, &c), 0);
		if (c.status == NX_STATUS_GOOD)
			return;
	}
	fail_msg("unit attentions do not clear");
}

static void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
}

static uint8_t tmf(struct world *w, uint8_t fn, uint64_t lun, uint64_t tag)
{
	struct nx_ini_srp_tmf t = { .fn = fn, .lun = lun, .task_tag = tag };
	bool done = false;

	t.done = on_tmf;
	t.priv = &done;
	assert_int_equal(nx_ini_srp_tmf_submit(port(w), &t), 0);
	wait_flag(w, &done);
	assert_int_equal(t.err, 0);
	return t.rsp_code;
}

/* ---- login (SRP 5.3, 6.2 - 6.4) --------------------------------------------- */

static void test_login(void **state)
{
	const struct nx_srp_login_rsp *r;
	struct world w;

	world_init(&w, 1);
	world_connect(&w);
	r = nx_ini_srp_login_rsp(port(&w));
	assert_int_equal(r->req_lim_delta, NX_SRP_CREDITS);
	assert_int_equal(r->max_it_iu_len, NX_INI_SRP_IT_IU);
	assert_int_equal(r->max_ti_iu_len, NX_SRP_MAX_TI_IU);
	assert_int_equal(r->buf_fmt, NX_SRP_BUF_DDBD | NX_SRP_BUF_IDBD);
	assert_int_equal(r->mcr, NX_SRP_MCR_NONE);
	assert_true(r->tag == 1);
	assert_int_equal(nx_ini_srp_credits(port(&w)), NX_SRP_CREDITS);
	assert_int_equal(nx_sim_srp_target_chans(w.st), 1);
	world_fini(&w);
}

static void expect_reject(struct world *w, const struct nx_ini_srp_config *c,
			  uint32_t reason)
{
	struct nx_srp_login_rej rej;
	struct nx_sim_srp_ini *si = NULL;

	memset(&rej, 0, sizeof(rej));
	assert_int_equal(nx_sim_srp_ini_connect(w->sim, w->idev, IP_T, PORT, c,
						SEC, &si, &rej), NX_INI_ELOGIN);
	assert_int_equal(rej.reason, reason);
	assert_int_equal(rej.buf_fmt, NX_SRP_BUF_DDBD | NX_SRP_BUF_IDBD);
}

static void test_login_rejects(void **state)
{
	struct nx_ini_srp_config c;
	struct world w;

	world_init(&w, 2);
	ini_cfg(&c, 1);
	c.tport[15] = 0x77;                        /* another target port */
	expect_reject(&w, &c, NX_SRP_REJ_ASSOCIATE);
	ini_cfg(&c, 1);
	c.req_buf_fmt = 0x0008;                    /* reserved format bit */
	expect_reject(&w, &c, NX_SRP_REJ_BUF_FMT);
	ini_cfg(&c, 1);
	c.req_it_iu_len = 32;                      /* cannot carry an SRP_CMD */
	expect_reject(&w, &c, NX_SRP_REJ_UNABLE);
	assert_int_equal(nx_sim_srp_target_chans(w.st), 0);
	/* multichannel: a second channel for the same I_T nexus */
	world_connect(&w);
	ini_cfg(&c, 1);
	c.mca = NX_SRP_MCA_MULTI;
	expect_reject(&w, &c, NX_SRP_REJ_NO_MULTI);
	world_fini(&w);
}

/* The requested maximum IU length above ours (the initiator caps its
 * own request at 4096, so the login goes raw through the CM). */
static void rej_cm(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct nx_srp_login_rej *rej = ctx;

	if (ev->type == NX_RDMA_CM_REJECTED &&
	    nx_srp_login_rej_decode(ev->private_data, ev->private_data_len,
				    rej) == NX_OK)
		return;
	if (ev->type == NX_RDMA_CM_REJECTED)
		rej->reason = 1;
}

static bool rej_seen(void *arg)
{
	return ((struct nx_srp_login_rej *)arg)->reason != 0;
}

static void test_login_iu_too_large(void **state)
{
	struct nx_srp_login_req req = { .tag = 0x55, .req_it_iu_len = 65536,
					.req_buf_fmt = NX_SRP_BUF_DDBD };
	struct nx_rdma_qp_attr qa = { .max_send_wr = 4, .max_recv_wr = 4 };
	struct nx_srp_login_rej rej = { 0 };
	uint8_t priv[NX_SRP_LOGIN_REQ_CM_LEN];
	struct nx_rdma_cm_id *id;
	struct nx_rdma_pd *pd;
	struct nx_rdma_cq *cq;
	struct nx_rdma_qp *qp;
	struct world w;

	world_init(&w, 3);
	memcpy(req.tport, TPORT, sizeof(TPORT));
	(void)nx_srp_login_req_cm_encode(&req, priv);
	pd = nx_rdma_pd_new(w.idev);
	cq = nx_rdma_cq_new(w.idev, 16, NULL, NULL);
	qa.send_cq = qa.recv_cq = cq;
	qp = nx_rdma_qp_new(pd, &qa);
	assert_int_equal(nx_rdma_cm_connect(w.idev, IP_T, PORT, qp, priv,
					    sizeof(priv), rej_cm, &rej, &id), 0);
	assert_true(nx_sim_run_until(w.sim, rej_seen, &rej, nx_sim_now(w.sim) + SEC));
	assert_int_equal(rej.reason, NX_SRP_REJ_IU_TOO_LARGE);
	assert_true(rej.tag == 0x55);
	nx_rdma_cm_id_free(id);
	nx_rdma_qp_free(qp);
	nx_rdma_cq_free(cq);
	nx_rdma_pd_free(pd);
	world_fini(&w);
}

/* SRP 6.2 MULTI-CHANNEL ACTION 00b: a new login of the same initiator
 * port logs the old channel out (SRP_T_LOGOUT reason 4). */
static void test_login_replaces_channel(void **state)
{
	struct nx_sim_srp_ini *old;
	struct nx_ini_srp_config c;
	struct world w;
	int err = 1;

	world_init(&w, 4);
	world_connect(&w);
	old = w.si;
	ini_cfg(&c, 1);
	world_connect_cfg(&w, &c);
	assert_int_equal(nx_ini_srp_login_rsp(port(&w))->mcr,
			 NX_SRP_MCR_TERMINATED);
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + SEC);
	assert_true(nx_sim_srp_ini_down(old, &err));
	assert_int_equal(err, 0);
	assert_int_equal(nx_ini_srp_stats(nx_sim_srp_ini_port(old))->t_logouts, 1);
	assert_int_equal(nx_ini_srp_stats(nx_sim_srp_ini_port(old))->t_logout_reason,
			 NX_SRP_LO_MULTI_CHANNEL);
	assert_int_equal(nx_sim_srp_target_chans(w.st), 1);
	nx_sim_srp_ini_free(old);
	clear_ua(&w);
	world_fini(&w);
}

/* ---- data (SRP 5.4, 6.8, 6.9) ------------------------------------------------ */

static void rw_sizes(uint8_t mode, uint8_t split, uint8_t inline_max,
		     uint64_t seed)
{
	static const uint32_t blocks[] = { 1, 2, 7, 8, 127, 128, 129, 2048, 16384 };
	static uint8_t out[16384 * BS], in[16384 * BS];
	struct nx_ini_srp_config c;
	struct nx_ini_scsi r;
	struct world w;
	uint64_t lba = 0;

	world_init(&w, seed);
	ini_cfg(&c, 1);
	c.desc_mode = mode;
	c.split = split;
	c.inline_max = inline_max;
	world_connect_cfg(&w, &c);
	clear_ua(&w);
	for (unsigned i = 0; i < NX_ARRAY_SIZE(blocks); i++) {
		uint32_t len = blocks[i] * BS;

		fill(out, len, (uint32_t)(seed * 16 + i));
		io(&w, 0x8a, lba, blocks[i], out, len, &r);
		assert_int_equal(r.status, NX_STATUS_GOOD);
		assert_int_equal(r.flags, 0);
		memset(in, 0, len);
		io(&w, 0x88, lba, blocks[i], in, len, &r);
		assert_int_equal(r.status, NX_STATUS_GOOD);
		assert_int_equal(r.flags, 0);
		assert_int_equal(r.data_in_got, len);
		assert_memory_equal(in, out, len);
		lba += blocks[i];
	}
	assert_int_equal(nx_ini_srp_credits(port(&w)), NX_SRP_CREDITS);
	world_fini(&w);
}

static void test_rw_direct(void **state)
{
	rw_sizes(NX_INI_SRP_DIRECT, 1, 0, 10);
}

static void test_rw_indirect_inline(void **state)
{
	rw_sizes(NX_INI_SRP_INDIRECT, 5, 0, 11);
}

/* The IU holds 2 of 7 descriptors: the target RDMA-READs the table. */
static void test_rw_indirect_table(void **state)
{
	rw_sizes(NX_INI_SRP_TABLE, 7, 2, 12);
}

static void test_rw_indirect_table_none_inline(void **state)
{
	rw_sizes(NX_INI_SRP_TABLE, NX_INI_SRP_SPLIT_MAX, 0, 13);
}

/* SRP 6.9: the buffers against what the CDB moved. */
static void test_residuals(void **state)
{
	static uint8_t buf[8 * BS];
	struct nx_ini_scsi r;
	struct world w;

	world_init(&w, 20);
	world_connect(&w);
	clear_ua(&w);
	/* read of 4 blocks into an 8-block buffer: DIUNDER */
	io(&w, 0x88, 0, 4, buf, sizeof(buf), &r);
	assert_int_equal(r.status, NX_STATUS_GOOD);
	assert_int_equal(r.flags, NX_INI_RSP_UNDERFLOW);
	assert_int_equal(r.residual, 4 * BS);
	assert_int_equal(r.data_in_got, 4 * BS);
	/* read of 8 blocks into a 4-block buffer: DIOVER, 4 blocks moved */
	io(&w, 0x88, 0, 8, buf, 4 * BS, &r);
	assert_int_equal(r.status, NX_STATUS_GOOD);
	assert_int_equal(r.flags, NX_INI_RSP_OVERFLOW);
	assert_int_equal(r.residual, 4 * BS);
	/* write of 2 blocks from an 8-block buffer: DOUNDER */
	io(&w, 0x8a, 0, 2, buf, sizeof(buf), &r);
	assert_int_equal(r.status, NX_STATUS_GOOD);
	assert_int_equal(r.flags, NX_INI_RSP_UNDERFLOW);
	assert_int_equal(r.residual, 6 * BS);
	/* write of 8 blocks from a 2-block buffer: refused, DOOVER */
	io(&w, 0x8a, 0, 8, buf, 2 * BS, &r);
	assert_int_equal(r.status, NX_STATUS_CHECK_CONDITION);
	assert_int_equal(r.sense[2] & 0x0f, 0x05);
	assert_int_equal(r.sense[12], 0x0e);
	assert_int_equal(r.sense[13], 0x03);
	assert_int_equal(r.flags, NX_INI_RSP_OVERFLOW);
	assert_int_equal(r.residual, 6 * BS);
	/* CDB error: sense arrives with SNSVALID, nothing moved */
	io(&w, 0x88, (LU_BYTES / BS), 1, buf, BS, &r);
	assert_int_equal(r.status, NX_STATUS_CHECK_CONDITION);
	assert_int_equal(r.sense[12], 0x21);
	assert_int_equal(r.flags, NX_INI_RSP_UNDERFLOW);
	assert_int_equal(r.residual, BS);
	world_fini(&w);
}

/* ---- credits (SRP 5.5) -------------------------------------------------------- */

/* More commands than credits: the initiator waits for REQUEST LIMIT
 * DELTAs; all complete, the limit never exceeds the grant, and every
 * credit comes back. */
static void test_credit_exhaustion(void **state)
{
	enum { N = 200 };
	static struct nx_ini_scsi c[N];
	static bool done[N];
	static uint8_t buf[N][BS];
	struct world w;

	world_init(&w, 30);
	world_connect(&w);
	clear_ua(&w);
	for (unsigned i = 0; i < N; i++) {
		uint8_t cdb[16];

		rw16(cdb, 0x8a, i, 1);
		cmd_init(&c[i], cdb, 16, &done[i]);
		fill(buf[i], BS, i);
		c[i].data_out = buf[i];
		c[i].data_out_len = BS;
		assert_int_equal(nx_ini_srp_scsi_submit(port(&w), &c[i]), 0);
	}
	/* one credit is always kept back for task management */
	assert_int_equal(nx_ini_srp_credits(port(&w)), 1);
	for (unsigned i = 0; i < N; i++) {
		wait_flag(&w, &done[i]);
		assert_int_equal(c[i].err, 0);
		assert_int_equal(c[i].status, NX_STATUS_GOOD);
	}
	assert_int_equal(nx_ini_srp_stats(port(&w))->credits_max, NX_SRP_CREDITS);
	assert_int_equal(nx_ini_srp_credits(port(&w)), NX_SRP_CREDITS);
	for (unsigned i = 0; i < N; i += 37) {
		uint8_t in[BS];
		struct nx_ini_scsi r;

		io(&w, 0x88, i, 1, in, BS, &r);
		assert_memory_equal(in, buf[i], BS);
	}
	world_fini(&w);
}

/* A request beyond the limit is a protocol violation: SRP_T_LOGOUT. */
static void test_credit_violation(void **state)
{
	enum { N = NX_SRP_CREDITS + 8 };
	static struct nx_ini_scsi c[N];
	static bool done[N];
	static uint8_t buf[64 * BS];
	struct nx_ini_srp_config cfg;
	struct world w;
	int err = 1;

	world_init(&w, 31);
	ini_cfg(&cfg, 1);
	cfg.ignore_credits = true;
	world_connect_cfg(&w, &cfg);
	/* writes stay in the target while their data is RDMA-READ */
	for (unsigned i = 0; i < N; i++) {
		uint8_t cdb[16];

		rw16(cdb, 0x8a, 0, 64);
		cmd_init(&c[i], cdb, 16, &done[i]);
		c[i].data_out = buf;
		c[i].data_out_len = sizeof(buf);
		assert_int_equal(nx_ini_srp_scsi_submit(port(&w), &c[i]), 0);
	}
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + 10 * SEC);
	assert_true(nx_sim_srp_ini_down(w.si, &err));
	assert_int_equal(nx_ini_srp_stats(port(&w))->t_logouts, 1);
	assert_int_equal(nx_ini_srp_stats(port(&w))->t_logout_reason,
			 NX_SRP_LO_NONE);
	for (unsigned i = 0; i < N; i++)
		assert_true(done[i]);
	assert_int_equal(nx_sim_srp_target_chans(w.st), 0);
	world_fini(&w);
}

/* ---- task management (SRP 6.7) ------------------------------------------------- */

static void test_tmf(void **state)
{
	static uint8_t big[4 << 20];
	struct nx_ini_scsi c, r;
	struct world w;
	uint8_t cdb[16];
	bool done;

	world_init(&w, 40);
	world_connect(&w);
	clear_ua(&w);
	/* nothing to abort: FUNCTION COMPLETE (SAM-5 7.2) */
	assert_int_equal(tmf(&w, NX_SRP_TMF_ABORT_TASK, 0, 0x999), NX_SRP_RSP_COMPLETE);
	assert_int_equal(tmf(&w, NX_SRP_TMF_ABORT_TASK_SET, 0, 0), NX_SRP_RSP_COMPLETE);
	assert_int_equal(tmf(&w, NX_SRP_TMF_CLEAR_ACA, 0, 0), NX_SRP_RSP_COMPLETE);
	/* reserved function code, LUN that does not exist */
	assert_int_equal(tmf(&w, 0x20, 0, 0), NX_SRP_RSP_TMF_NOT_SUPPORTED);
	assert_int_equal(tmf(&w, NX_SRP_TMF_CLEAR_ACA, 0x0007000000000000ull, 0),
			 NX_SRP_RSP_FIELDS_INVALID);
	/* a write whose data is being RDMA-READ, aborted by ABORT TASK */
	rw16(cdb, 0x8a, 0, sizeof(big) / BS);
	cmd_init(&c, cdb, 16, &done);
	c.data_out = big;
	c.data_out_len = sizeof(big);
	assert_int_equal(nx_ini_srp_scsi_submit(port(&w), &c), 0);
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + 2000);
	assert_false(done);
	assert_int_equal(tmf(&w, NX_SRP_TMF_ABORT_TASK, 0, c.itt), NX_SRP_RSP_COMPLETE);
	assert_true(done);
	assert_int_equal(c.err, NX_INI_EABORTED);
	/* LOGICAL UNIT RESET: its unit attention (SAM-5 6.3) */
	assert_int_equal(tmf(&w, NX_SRP_TMF_LUN_RESET, 0, 0), NX_SRP_RSP_COMPLETE);
	{
		static const uint8_t tur[6];

		cmd_init(&r, tur, 6, &done);
		assert_int_equal(run_cmd(&w, &r), 0);
		assert_int_equal(r.status, NX_STATUS_CHECK_CONDITION);
		assert_int_equal(r.sense[12], 0x29);
		assert_int_equal(r.sense[13], 0x03);
	}
	/* every credit is back, the aborted task's included */
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + SEC);
	assert_int_equal(nx_ini_srp_credits(port(&w)), NX_SRP_CREDITS);
	world_fini(&w);
}

/* Control mode page TAS (SPC-4 7.5.8) through MODE SENSE/SELECT(10). */
static void set_tas(struct world *w, bool on)
{
	uint8_t sense[10] = { 0x5a, 0x08, 0x0a, 0, 0, 0, 0, 0, 64 };
	uint8_t sel[10] = { 0x55, 0x10 }, d[64];
	struct nx_ini_scsi c;
	uint32_t len;
	bool done;

	cmd_init(&c, sense, 10, &done);
	c.data_in = d;
	c.data_in_len = sizeof(d);
	assert_int_equal(run_cmd(w, &c), 0);
	assert_int_equal(c.status, NX_STATUS_GOOD);
	len = 8u + 2u + d[9];
	d[0] = d[1] = 0;                  /* MODE DATA LENGTH reserved */
	d[8] &= 0x7f;                     /* PS reserved in MODE SELECT */
	d[8 + 5] = (uint8_t)((d[8 + 5] & ~0x40) | (on ? 0x40 : 0));
	nx_put_be16(sel + 7, (uint16_t)len);
	cmd_init(&c, sel, 10, &done);
	c.data_out = d;
	c.data_out_len = len;
	assert_int_equal(run_cmd(w, &c), 0);
	assert_int_equal(c.status, NX_STATUS_GOOD);
}

static void on_cancelled(struct nx_ini_scsi *cmd)
{
	*(bool *)cmd->priv = true;
}

/* SRP 6.10: a task another initiator's CLEAR TASK SET aborted with
 * TAS=0 gets no SRP_RSP (SAM-5 5.6), so its credit comes back in an
 * SRP_CRED_REQ, which the initiator answers with an SRP_CRED_RSP. */
static void test_credit_returned_by_cred_req(void **state)
{
	static uint8_t big[4 << 20];
	struct nx_sim_srp_ini *a, *b;
	struct nx_ini_srp_config c;
	struct nx_rdma_dev *idev2;
	struct nx_ini_scsi wr;
	struct world w;
	uint8_t cdb[16];
	bool done;

	world_init(&w, 45);
	world_connect(&w);
	a = w.si;
	clear_ua(&w);
	set_tas(&w, false);
	idev2 = nx_sim_rdma_dev_new(w.f, "ini2", IP_I + 1);
	ini_cfg(&c, 2);
	assert_int_equal(nx_sim_srp_ini_connect(w.sim, idev2, IP_T, PORT, &c,
						SEC, &b, NULL), 0);
	rw16(cdb, 0x8a, 0, sizeof(big) / BS);
	cmd_init(&wr, cdb, 16, &done);
	wr.data_out = big;
	wr.data_out_len = sizeof(big);
	assert_int_equal(nx_ini_srp_scsi_submit(port(&w), &wr), 0);
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + 2000);
	assert_false(done);
	w.si = b;
	clear_ua(&w);
	assert_int_equal(tmf(&w, NX_SRP_TMF_CLEAR_TASK_SET, 0, 0),
			 NX_SRP_RSP_COMPLETE);
	w.si = a;
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + 10000000ull);
	assert_false(done);               /* no response for it, ever */
	assert_int_equal(nx_ini_srp_stats(port(&w))->cred_reqs, 1);
	wr.done = on_cancelled;
	assert_true(nx_ini_srp_cancel(port(&w), wr.itt));
	assert_int_equal(nx_ini_srp_credits(port(&w)), NX_SRP_CREDITS);
	/* the next command learns why (SAM-5 5.6: 2Fh/00h) */
	{
		static const uint8_t tur[6];
		struct nx_ini_scsi r;

		cmd_init(&r, tur, 6, &done);
		assert_int_equal(run_cmd(&w, &r), 0);
		assert_int_equal(r.status, NX_STATUS_CHECK_CONDITION);
		assert_int_equal(r.sense[12], 0x2f);
	}
	set_tas(&w, true);
	nx_sim_srp_ini_free(b);
	world_fini(&w);
}

/* ---- logout (SRP 6.5, 6.6) ------------------------------------------------------ */

static bool target_idle(void *arg)
{
	return nx_sim_srp_target_chans(arg) == 0;
}

static void test_logout(void **state)
{
	struct world w;
	int err = 1;

	world_init(&w, 50);
	world_connect(&w);
	nx_ini_srp_logout(port(&w));
	assert_true(nx_sim_run_until(w.sim, target_idle, w.st,
				     nx_sim_now(w.sim) + SEC));
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + SEC);
	assert_true(nx_sim_srp_ini_down(w.si, &err));
	assert_int_equal(err, 0);
	/* target-initiated, with a reason */
	nx_sim_srp_ini_free(w.si);
	world_connect(&w);
	nx_srp_chan_logout(nx_sim_srp_target_chan(w.st, 0), NX_SRP_LO_INACTIVE);
	assert_true(nx_sim_run_until(w.sim, target_idle, w.st,
				     nx_sim_now(w.sim) + SEC));
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + SEC);
	assert_true(nx_sim_srp_ini_down(w.si, &err));
	assert_int_equal(nx_ini_srp_stats(port(&w))->t_logout_reason,
			 NX_SRP_LO_INACTIVE);
	world_fini(&w);
}

/* ---- malformed IUs ---------------------------------------------------------------- */

static void raw_expect_logout(uint8_t *iu, size_t len, uint32_t reason,
			      uint64_t seed)
{
	struct world w;

	world_init(&w, seed);
	world_connect(&w);
	assert_int_equal(nx_ini_srp_send_raw(port(&w), iu, len, true), 0);
	assert_true(nx_sim_run_until(w.sim, target_idle, w.st,
				     nx_sim_now(w.sim) + SEC));
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + SEC);
	assert_int_equal(nx_ini_srp_stats(port(&w))->t_logouts, 1);
	assert_int_equal(nx_ini_srp_stats(port(&w))->t_logout_reason, reason);
	world_fini(&w);
}

static void test_bad_iu_type(void **state)
{
	uint8_t iu[16] = { 0x05 };

	raw_expect_logout(iu, sizeof(iu), NX_SRP_LO_BAD_IU_TYPE, 60);
	iu[0] = NX_SRP_LOGIN_REQ;            /* a login over a channel */
	raw_expect_logout(iu, sizeof(iu), NX_SRP_LO_BAD_IU_TYPE, 61);
	iu[0] = NX_SRP_CRED_RSP;             /* no SRP_CRED_REQ was sent */
	raw_expect_logout(iu, sizeof(iu), NX_SRP_LO_UNSOLICITED_RSP, 62);
}

static void test_bad_formats(void **state)
{
	uint8_t iu[128] = { NX_SRP_CMD };

	iu[5] = 0x30;                        /* data-out format 3 */
	raw_expect_logout(iu, sizeof(iu), NX_SRP_LO_DO_FMT, 63);
	iu[5] = 0x0f;
	raw_expect_logout(iu, sizeof(iu), NX_SRP_LO_DI_FMT, 64);
	iu[5] = 0x02;                        /* indirect data-in */
	iu[7] = 3;                           /* 3 inline, table holds 1 */
	iu[48 + 15] = 16;
	raw_expect_logout(iu, 48 + 20 + 48, NX_SRP_LO_DI_COUNT, 65);
}

/* An SRP_CMD cut short after its tag, and one with a reserved task
 * attribute: CHECK CONDITION, 05/0E/03 for that tag. */
static void test_bad_cmd_fields(void **state)
{
	uint8_t iu[48] = { NX_SRP_CMD };
	const struct nx_srp_rsp *r;
	struct world w;

	world_init(&w, 66);
	world_connect(&w);
	nx_put_be64(iu + 8, 0xabcdef0123ull);
	assert_int_equal(nx_ini_srp_send_raw(port(&w), iu, 24, true), 0);
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + SEC);
	assert_int_equal(nx_sim_srp_ini_raw_rsp(w.si, &r), 1);
	assert_true(r->tag == 0xabcdef0123ull);
	assert_int_equal(r->status, NX_STATUS_CHECK_CONDITION);
	assert_int_equal(r->flags & NX_SRP_SNSVALID, NX_SRP_SNSVALID);
	assert_int_equal(r->sense[2] & 0x0f, 0x05);
	assert_int_equal(r->sense[12], 0x0e);
	assert_int_equal(r->sense[13], 0x03);
	assert_int_equal(r->req_lim_delta, 1);
	iu[29] = 5;                          /* reserved task attribute */
	assert_int_equal(nx_ini_srp_send_raw(port(&w), iu, 48, true), 0);
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + SEC);
	assert_int_equal(nx_sim_srp_ini_raw_rsp(w.si, &r), 2);
	assert_int_equal(r->sense[12], 0x0e);
	assert_int_equal(nx_ini_srp_credits(port(&w)), NX_SRP_CREDITS);
	world_fini(&w);
}

/* ---- faults ------------------------------------------------------------------------ */

/* The port fails (QP error) or the initiator disconnects while the
 * target RDMA-READs a write: the write is not acknowledged, the task
 * ends with the I_T nexus (SAM-5 6.3.4), nothing leaks, and an earlier
 * acknowledged write reads back intact on a new channel. */
static void fault_mid_write(unsigned mode)
{
	static uint8_t a[65536], b[4 << 20], in[65536];
	struct nx_sim_rdma_stats st0, st;
	struct nx_ini_scsi r, big;
	struct world w;
	uint8_t cdb[16];
	bool done;

	world_init(&w, 70 + mode);
	world_connect(&w);
	clear_ua(&w);
	fill(a, sizeof(a), 1);
	io(&w, 0x8a, 0, sizeof(a) / BS, a, sizeof(a), &r);
	assert_int_equal(r.status, NX_STATUS_GOOD);
	rw16(cdb, 0x8a, 0, sizeof(b) / BS); /* over the same blocks */
	cmd_init(&big, cdb, 16, &done);
	fill(b, sizeof(b), 2);
	big.data_out = b;
	big.data_out_len = sizeof(b);
	nx_sim_rdma_stats(w.f, &st0);
	assert_int_equal(nx_ini_srp_scsi_submit(port(&w), &big), 0);
	/* until the target has issued its RDMA READ */
	for (unsigned i = 0; i < 10000; i++) {
		nx_sim_rdma_stats(w.f, &st);
		if (st.msgs >= st0.msgs + 2)
			break;
		assert_true(nx_sim_step(w.sim));
	}
	assert_false(done);
	if (mode == 0)
		nx_sim_rdma_dev_fail(w.idev);
	else
		nx_ini_srp_disconnect(port(&w));
	wait_flag(&w, &done);
	assert_int_equal(big.err, NX_INI_ECONNRESET);
	assert_true(nx_sim_run_until(w.sim, target_idle, w.st,
				     nx_sim_now(w.sim) + 60 * SEC));
	nx_sim_srp_ini_free(w.si);
	w.si = NULL;
	if (mode == 0)
		w.idev = nx_sim_rdma_dev_new(w.f, "ini2", IP_I + 1);
	world_connect(&w);
	clear_ua(&w);
	io(&w, 0x88, 0, sizeof(in) / BS, in, sizeof(in), &r);
	assert_int_equal(r.status, NX_STATUS_GOOD);
	assert_memory_equal(in, a, sizeof(a));
	world_fini(&w);
}

/* ---- aborted tasks that are still writing ---------------------------------- */

#define SLOW_NS (50 * 1000000ull)   /* every write of the slow LU */

/* A write of 8 blocks of LBA 0 from pattern seed, left running until it
 * is in the (slow) backstore. */
static void slow_write_start(struct world *w, struct nx_ini_scsi *c,
			     uint8_t *buf, bool *done)
{
	uint8_t cdb[16];

	fill(buf, 8 * BS, 9);
	rw16(cdb, 0x8a, 0, 8);
	cmd_init(c, cdb, 16, done);
	c->data_out = buf;
	c->data_out_len = 8 * BS;
	assert_int_equal(nx_ini_srp_scsi_submit(port(w), c), 0);
	nx_sim_run_idle(w->sim, nx_sim_now(w->sim) + SLOW_NS / 10);
	assert_false(*done);
}

/* A re-login of the same initiator port while the old channel's write is
 * still in the backstore: the login is answered, but the new channel's
 * first command waits until the old I_T nexus is gone (its write out of
 * the backstore), so no task of the lost nexus can change the medium
 * after the new channel's commands run (SAM-5 6.3.4; what RFC 7143
 * 6.3.5 session reinstatement gives iSCSI). */
static void test_relogin_waits_for_old_tasks(void **state)
{
	static uint8_t wbuf[8 * BS], rbuf[8 * BS];
	static const uint8_t tur[6];
	struct nx_ini_scsi c, r;
	struct world w;
	uint64_t t0;
	bool done, rdone;

	world_init_lu(&w, 81, SLOW_NS);
	world_connect(&w);
	clear_ua(&w);
	t0 = nx_sim_now(w.sim);
	slow_write_start(&w, &c, wbuf, &done);
	nx_ini_srp_disconnect(port(&w));
	wait_flag(&w, &done);
	assert_int_equal(c.err, NX_INI_ECONNRESET);
	nx_sim_srp_ini_free(w.si);
	world_connect(&w);                /* answered at once */
	assert_true(nx_sim_now(w.sim) < t0 + SLOW_NS / 2);
	cmd_init(&r, tur, 6, &rdone);
	assert_int_equal(run_cmd(&w, &r), 0);
	assert_true(nx_sim_now(w.sim) >= t0 + SLOW_NS);
	assert_int_equal(r.status, NX_STATUS_CHECK_CONDITION); /* 29h/00h */
	assert_int_equal(r.sense[12], 0x29);
	clear_ua(&w);
	/* the old write reached the medium before anything of the new
	 * channel ran (it was not stopped in the backstore) */
	io(&w, 0x88, 0, 8, rbuf, sizeof(rbuf), &r);
	assert_int_equal(r.status, NX_STATUS_GOOD);
	assert_memory_equal(rbuf, wbuf, sizeof(wbuf));
	world_fini(&w);
}

/* SAM-5 7.2: ABORT TASK of a write another initiator's LOGICAL UNIT
 * RESET (TAS=0) is already aborting while it sits in the backstore: SRP
 * can only answer FUNCTION COMPLETE, which the initiator takes as "the
 * task is gone", so the answer waits until the write left the
 * backstore. */
static void test_abort_task_waits_for_aborting_task(void **state)
{
	static uint8_t wbuf[8 * BS];
	struct nx_ini_srp_tmf reset = { .fn = NX_SRP_TMF_LUN_RESET };
	struct nx_ini_srp_tmf abort = { .fn = NX_SRP_TMF_ABORT_TASK };
	struct nx_sim_srp_ini *a, *b;
	struct nx_ini_srp_config cfg;
	struct nx_rdma_dev *idev2;
	struct nx_ini_scsi c;
	struct world w;
	uint64_t t0;
	bool done, rdone = false, adone = false;

	world_init_lu(&w, 82, SLOW_NS);
	world_connect(&w);
	a = w.si;
	clear_ua(&w);
	set_tas(&w, false);
	idev2 = nx_sim_rdma_dev_new(w.f, "ini2", IP_I + 1);
	ini_cfg(&cfg, 2);
	assert_int_equal(nx_sim_srp_ini_connect(w.sim, idev2, IP_T, PORT, &cfg,
						SEC, &b, NULL), 0);
	t0 = nx_sim_now(w.sim);
	slow_write_start(&w, &c, wbuf, &done);
	reset.done = on_tmf;
	reset.priv = &rdone;
	assert_int_equal(nx_ini_srp_tmf_submit(nx_sim_srp_ini_port(b), &reset), 0);
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + SLOW_NS / 10);
	assert_false(rdone);              /* waits for the write too */
	abort.task_tag = c.itt;
	abort.done = on_tmf;
	abort.priv = &adone;
	assert_int_equal(nx_ini_srp_tmf_submit(port(&w), &abort), 0);
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + SLOW_NS / 10);
	assert_false(adone);
	assert_false(done);
	wait_flag(&w, &adone);
	assert_true(nx_sim_now(w.sim) >= t0 + SLOW_NS);
	assert_int_equal(abort.err, 0);
	assert_int_equal(abort.rsp_code, NX_SRP_RSP_COMPLETE);
	assert_true(done);
	assert_int_equal(c.err, NX_INI_EABORTED);
	wait_flag(&w, &rdone);
	assert_int_equal(reset.rsp_code, NX_SRP_RSP_COMPLETE);
	/* every credit is back (the aborted write's with the TMF answer) */
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + SEC);
	assert_int_equal(nx_ini_srp_credits(port(&w)), NX_SRP_CREDITS);
	clear_ua(&w);
	set_tas(&w, true);
	nx_sim_srp_ini_free(b);
	(void)a;
	world_fini(&w);
}

static void test_port_fails_mid_write(void **state)
{
	fault_mid_write(0);
}

static void test_disconnect_during_rdma_read(void **state)
{
	fault_mid_write(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_login_rejects),
		cmocka_unit_test(test_login_iu_too_large),
		cmocka_unit_test(test_login_replaces_channel),
		cmocka_unit_test(test_rw_direct),
		cmocka_unit_test(test_rw_indirect_inline),
		cmocka_unit_test(test_rw_indirect_table),
		cmocka_unit_test(test_rw_indirect_table_none_inline),
		cmocka_unit_test(test_residuals),
		cmocka_unit_test(test_credit_exhaustion),
		cmocka_unit_test(test_credit_violation),
		cmocka_unit_test(test_tmf),
		cmocka_unit_test(test_credit_returned_by_cred_req),
		cmocka_unit_test(test_logout),
		cmocka_unit_test(test_bad_iu_type),
		cmocka_unit_test(test_bad_formats),
		cmocka_unit_test(test_bad_cmd_fields),
		cmocka_unit_test(test_port_fails_mid_write),
		cmocka_unit_test(test_disconnect_during_rdma_read),
		cmocka_unit_test(test_relogin_waits_for_old_tasks),
		cmocka_unit_test(test_abort_task_waits_for_aborting_task),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
