/*
 * iser_test.c - iSER end to end on the simulated fabric: nexus
 * (transports/iser over transports/iscsi) against the initiator's iSER
 * connection.  Login with the RFC 7145 keys, reads by RDMA WRITE, writes
 * by immediate data, unsolicited Data-Out and RDMA READ, PDUs iSER does
 * not allow, and faults: the QP breaking in the middle of a write and
 * a CQE error; everything freed afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nx_sim_iser.h"
#include "../core/nx_wire.h"

#define TGT_NAME "iqn.2026-11.dev.nexus:iser-test"
#define INI_NAME "iqn.2026-11.dev.nexus:iser-ini"
#define IP_T 0x0a000001u
#define IP_I 0x0a000002u
#define PORT 3260
#define SEC 1000000000ull
#define LU_BYTES (8u << 20)

struct world {
	struct nx_sim *sim;
	struct nx_sim_rdma *f;
	struct nx_rdma_dev *tdev, *idev;
	struct nx_target *tgt;
	struct nx_sim_iser_target *st;
	struct nx_ini_session *s;
	struct nx_sim_iser_ini *si;
	struct nx_ini_driver drv;
	int64_t allocs;
};

static void world_init_opts(struct world *w, uint64_t seed,
			    const struct nx_sim_rdma_opts *o,
			    const struct nx_ini_config *cfg_in)
{
	struct nx_sim_opts so = { .seed = seed };
	struct nx_lu_config lu = { .lun = 0, .block_size = 512 };
	struct nx_iscsi_server_config sc;
	struct nx_ini_config cfg;

	memset(w, 0, sizeof(*w));
	w->sim = nx_sim_new(&so);
	assert_non_null(w->sim);
	w->allocs = nx_sim_alloc_outstanding();
	w->f = nx_sim_rdma_new(w->sim, o);
	w->tdev = nx_sim_rdma_dev_new(w->f, "target", IP_T);
	w->idev = nx_sim_rdma_dev_new(w->f, "ini", IP_I);
	w->tgt = nx_target_new(TGT_NAME);
	assert_int_equal(nx_target_add_lu(w->tgt, &lu, nx_bs_ram_new(LU_BYTES)), 0);
	memset(&sc, 0, sizeof(sc));
	sc.portals[0] = "10.0.0.1:3260";
	sc.portal_count = 1;
	sc.tpgt = 1;
	sc.targets[0].target = w->tgt;
	sc.target_count = 1;
	w->st = nx_sim_iser_target_new(w->sim, w->tdev, PORT, &sc);
	assert_non_null(w->st);
	if (cfg_in != NULL)
		cfg = *cfg_in;
	else
		nx_ini_config_init(&cfg, INI_NAME, TGT_NAME);
	w->s = nx_ini_session_new(&cfg);
	assert_non_null(w->s);
	nx_sim_driver_init(&w->drv, w->sim, 0);
}

static void world_init(struct world *w, uint64_t seed)
{
	struct nx_sim_rdma_opts o;

	nx_sim_rdma_opts_default(&o);
	world_init_opts(w, seed, &o, NULL);
}

static void world_connect(struct world *w)
{
	struct nx_ini_login l;

	assert_int_equal(nx_sim_iser_ini_connect(w->sim, w->idev, IP_T, PORT,
						 w->s, 0, SEC, &w->si), 0);
	assert_int_equal(nx_ini_sync_login(nx_sim_iser_ini_conn(w->si), &w->drv,
					   &l), 0);
	assert_int_equal(l.err, 0);
}

static void world_fini(struct world *w)
{
	nx_sim_iser_ini_free(w->si);
	nx_ini_session_free(w->s);
	assert_int_equal(nx_sim_iser_target_free(w->st, 60 * SEC), 0);
	nx_target_free(w->tgt);
	nx_sim_run_idle(w->sim, nx_sim_now(w->sim) + 60 * SEC);
	assert_int_equal(nx_sim_rdma_live(w->f), 0);
	nx_sim_rdma_free(w->f);
	assert_int_equal(nx_sim_alloc_outstanding(), w->allocs);
	nx_sim_free(w->sim);
}

static struct nx_ini_conn *conn(struct world *w)
{
	return nx_sim_iser_ini_conn(w->si);
}

static void rw10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t blocks)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	nx_put_be32(cdb + 2, lba);
	nx_put_be16(cdb + 7, blocks);
}

static int scsi(struct world *w, const uint8_t *cdb, enum nx_ini_dir dir,
		void *buf, uint32_t len, struct nx_ini_scsi *r)
{
	return nx_ini_sync_scsi(conn(w), &w->drv, 0, cdb, 10, dir, buf, len, r);
}

static void clear_ua(struct world *w)
{
	uint8_t tur[10] = { 0 };
	struct nx_ini_scsi r;

	assert_int_equal(scsi(w, tur, NX_INI_DIR_NONE, NULL, 0, &r), 0);
}

static void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
}

/* ---- tests ------------------------------------------------------------------- */

/* RFC 7145 6.3-6.5: the login settles RDMAExtensions and the data
 * segment lengths; both sides use them. */
static void test_login_keys(void **state)
{
	struct world w;
	const struct nx_ini_params *p;

	world_init(&w, 1);
	world_connect(&w);
	p = nx_ini_conn_params(conn(&w));
	assert_int_equal(p->max_xmit_dsl, 8192);
	assert_int_equal(p->max_recv_dsl, 8192);
	assert_false(p->header_digest);
	assert_false(p->data_digest);
	assert_int_equal(nx_sim_iser_target_conns(w.st), 1);
	world_fini(&w);
}

/* Reads by RDMA WRITE, writes by immediate data + RDMA READ, sizes
 * around every boundary (immediate limit, burst, several R2Ts). */
static void test_read_write(void **state)
{
	static uint8_t out[1 << 20], in[1 << 20];
	static const uint32_t blocks[] = { 1, 16, 17, 128, 512, 513, 2048 };
	struct world w;
	struct nx_ini_scsi r;
	uint8_t cdb[10];
	struct nx_sim_rdma_stats st;

	world_init(&w, 2);
	world_connect(&w);
	clear_ua(&w);
	for (unsigned i = 0; i < NX_ARRAY_SIZE(blocks); i++) {
		uint32_t len = blocks[i] * 512;

		fill(out, len, i);
		memset(in, 0, len);
		rw10(cdb, 0x2a, i * 2048, (uint16_t)blocks[i]);
		assert_int_equal(scsi(&w, cdb, NX_INI_DIR_WRITE, out, len, &r), 0);
		assert_int_equal(r.status, 0);
		rw10(cdb, 0x28, i * 2048, (uint16_t)blocks[i]);
		assert_int_equal(scsi(&w, cdb, NX_INI_DIR_READ, in, len, &r), 0);
		assert_int_equal(r.status, 0);
		assert_int_equal(r.data_in_got, len);
		assert_memory_equal(in, out, len);
	}
	nx_sim_rdma_stats(w.f, &st);
	assert_true(st.msgs > 40);
	world_fini(&w);
}

/* A read shorter than the buffer: underflow, data_in_got from the
 * residual; CHECK CONDITION sense rides in the SCSI Response SEND. */
static void test_underflow_and_sense(void **state)
{
	static uint8_t in[4096];
	struct world w;
	struct nx_ini_scsi r;
	uint8_t cdb[10];

	world_init(&w, 3);
	world_connect(&w);
	clear_ua(&w);
	rw10(cdb, 0x28, 0, 2);
	assert_int_equal(scsi(&w, cdb, NX_INI_DIR_READ, in, sizeof(in), &r), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.flags & NX_INI_RSP_UNDERFLOW, NX_INI_RSP_UNDERFLOW);
	assert_int_equal(r.residual, 3072);
	assert_int_equal(r.data_in_got, 1024);
	rw10(cdb, 0x28, LU_BYTES / 512, 1);
	assert_int_equal(scsi(&w, cdb, NX_INI_DIR_READ, in, 512, &r), 0);
	assert_int_equal(r.status, 2);
	assert_true(r.sense_len >= 14);
	assert_int_equal(r.sense[2] & 0xf, 5);
	assert_int_equal(r.sense[12], 0x21);
	world_fini(&w);
}

/* InitialR2T=No: the first burst goes as unsolicited Data-Out PDUs by
 * SEND (RFC 7145 7.3.4), the rest by RDMA READ. */
static void test_unsolicited_data_out(void **state)
{
	static uint8_t out[262144], in[262144];
	struct world w;
	struct nx_ini_config cfg;
	struct nx_sim_rdma_opts o;
	struct nx_ini_scsi r;
	uint8_t cdb[10];

	nx_ini_config_init(&cfg, INI_NAME, TGT_NAME);
	cfg.initial_r2t = false;
	cfg.first_burst_length = 65536;
	cfg.max_burst_length = 32768;
	nx_sim_rdma_opts_default(&o);
	world_init_opts(&w, 4, &o, &cfg);
	world_connect(&w);
	clear_ua(&w);
	fill(out, sizeof(out), 9);
	rw10(cdb, 0x2a, 100, sizeof(out) / 512);
	assert_int_equal(scsi(&w, cdb, NX_INI_DIR_WRITE, out, sizeof(out), &r), 0);
	assert_int_equal(r.status, 0);
	rw10(cdb, 0x28, 100, sizeof(in) / 512);
	assert_int_equal(scsi(&w, cdb, NX_INI_DIR_READ, in, sizeof(in), &r), 0);
	assert_memory_equal(in, out, sizeof(out));
	world_fini(&w);
}

/* RFC 7145 7.3.4: a solicited Data-Out PDU (TTT set) over iSER is a
 * protocol error: Reject, and the connection ends. */
static void test_solicited_data_out_rejected(void **state)
{
	struct world w;
	uint8_t bhs[48] = { 0x05, 0x80 };
	uint8_t data[512] = { 0 };

	world_init(&w, 5);
	world_connect(&w);
	nx_put_be32(bhs + 16, 0x1234);
	nx_put_be32(bhs + 20, 0x00010000); /* a TTT */
	nx_put_be24(bhs + 5, sizeof(data));
	assert_int_equal(nx_ini_send_raw_pdu(conn(&w), bhs, data, sizeof(data)), 0);
	nx_sim_run_idle(w.sim, nx_sim_now(w.sim) + 10 * SEC);
	assert_true(nx_ini_conn_is_dead(conn(&w)));
	assert_int_equal(nx_ini_session_stats(w.s)->rejects, 1);
	assert_int_equal(nx_sim_iser_target_conns(w.st), 0);
	world_fini(&w);
}

/* RFC 7145 7.3.11: SNACK has nothing to recover over iSER: Reject. */
static void test_snack_rejected(void **state)
{
	struct world w;
	uint8_t bhs[48] = { 0x10, 0x80 };

	world_init(&w, 6);
	world_connect(&w);
	nx_put_be32(bhs + 16, 0xffffffff);
	assert_int_equal(nx_ini_send_raw_pdu(conn(&w), bhs, NULL, 0), 0);
	clear_ua(&w); /* the connection still works */
	assert_int_equal(nx_ini_session_stats(w.s)->rejects, 1);
	world_fini(&w);
}

/* Faults in the middle of a 1 MiB write whose RDMA READs are in flight:
 * the port of the initiator fails (mode 0), or the initiator hangs up
 * (mode 1).  The command ends with the connection, the target drains
 * the task (no RDMA lands in a freed buffer: ASan), frees everything,
 * and a new session reads back the write acknowledged before. */
static bool big_done;

static void on_big_done(struct nx_ini_scsi *cmd)
{
	(void)cmd;
	big_done = true;
}

static bool is_big_done(void *arg)
{
	(void)arg;
	return big_done;
}

static bool target_idle(void *arg)
{
	return nx_sim_iser_target_conns(arg) == 0;
}

static void fault_mid_write(unsigned mode)
{
	static uint8_t a[65536], b[1 << 20], in[65536];
	struct world w;
	struct nx_ini_scsi r, big;
	struct nx_sim_rdma_stats st0, st;
	uint8_t cdb[10];

	world_init(&w, 7 + mode);
	world_connect(&w);
	clear_ua(&w);
	fill(a, sizeof(a), 1);
	rw10(cdb, 0x2a, 0, sizeof(a) / 512);
	assert_int_equal(scsi(&w, cdb, NX_INI_DIR_WRITE, a, sizeof(a), &r), 0);
	assert_int_equal(r.status, 0);
	memset(&big, 0, sizeof(big));
	rw10(big.cdb, 0x2a, 4096, sizeof(b) / 512);
	big.cdb_len = 10;
	big.data_out = b;
	big.data_out_len = sizeof(b);
	big.done = on_big_done;
	big_done = false;
	nx_sim_rdma_stats(w.f, &st0);
	assert_int_equal(nx_ini_scsi_submit(conn(&w), &big), 0);
	/* until the target has issued RDMA READs */
	for (unsigned i = 0; i < 10000; i++) {
		nx_sim_rdma_stats(w.f, &st);
		if (st.msgs >= st0.msgs + 3)
			break;
		assert_true(nx_sim_step(w.sim));
	}
	assert_false(big_done);
	if (mode == 0)
		nx_sim_rdma_dev_fail(w.idev);
	else
		nx_ini_iser_disconnect(nx_sim_iser_ini_iser(w.si));
	assert_true(nx_sim_run_until(w.sim, is_big_done, NULL,
				     nx_sim_now(w.sim) + 60 * SEC));
	assert_int_equal(big.err, NX_INI_ECONNRESET);
	assert_true(nx_sim_run_until(w.sim, target_idle, w.st,
				     nx_sim_now(w.sim) + 60 * SEC));
	/* a new session on a fresh connection: the acknowledged write is
	 * there (SAM-5: GOOD status means it is on the medium) */
	nx_sim_iser_ini_free(w.si);
	nx_ini_session_free(w.s);
	{
		struct nx_ini_config cfg;

		nx_ini_config_init(&cfg, INI_NAME, TGT_NAME);
		cfg.isid[5] = 9;
		w.s = nx_ini_session_new(&cfg);
	}
	if (mode == 0) {
		/* the port is back: a new device stands in for it */
		w.idev = nx_sim_rdma_dev_new(w.f, "ini2", IP_I + 1);
	}
	world_connect(&w);
	clear_ua(&w);
	rw10(cdb, 0x28, 0, sizeof(in) / 512);
	assert_int_equal(scsi(&w, cdb, NX_INI_DIR_READ, in, sizeof(in), &r), 0);
	assert_int_equal(r.status, 0);
	assert_memory_equal(in, a, sizeof(a));
	world_fini(&w);
}

static void test_port_fails_mid_write(void **state)
{
	fault_mid_write(0);
}

static void test_disconnect_mid_read(void **state)
{
	fault_mid_write(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_keys),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_underflow_and_sense),
		cmocka_unit_test(test_unsolicited_data_out),
		cmocka_unit_test(test_solicited_data_out_rejected),
		cmocka_unit_test(test_snack_rejected),
		cmocka_unit_test(test_port_fails_mid_write),
		cmocka_unit_test(test_disconnect_mid_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
