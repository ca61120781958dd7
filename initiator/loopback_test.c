/*
 * loopback_test.c - the initiator against the real target in-process:
 * nx_ini_conn <-> nx_iscsi_conn through two byte queues, pumped by a tiny
 * driver (the shape the simulator and nexus-conform use).  A target with
 * LU 0 on a RAM backstore; login (none, CHAP, mutual CHAP), INQUIRY,
 * WRITE(10) + READ(10) round trips, TMF, NOP, SendTargets, logout.
 */
#include "tests/unit/ini_fixture.h"
#include "nx_ini_sync.h"
#include "../core/nx_scsi.h"
#include "../core/backstore/nx_backstore.h"
#include "../transports/iscsi/nx_iscsi.h"

#define TGT_NAME "iqn.2024-01.org.nexus:loop"
#define INI_NAME "iqn.2024-01.org.nexus:ini"
#define LU_BYTES (4u << 20)
#define PUMP_CHUNK 1500u   /* bytes moved per direction per poll */

struct q {
	uint8_t *buf;
	size_t len, cap, rd;
};

struct loop {
	struct nx_target *tgt;
	struct nx_iscsi_server *srv;
	struct nx_iscsi_conn *tc;
	struct nx_ini_session *s;
	struct nx_ini_conn *ic;
	struct q to_tgt, to_ini;
	bool ini_close, tgt_close, released;
	struct nx_ini_driver drv;
};

static struct loop lp;

static void q_push(struct q *q, const struct nx_iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (q->len + iov[i].len > q->cap) {
			q->cap = (q->len + iov[i].len) * 2 + 4096;
			q->buf = realloc(q->buf, q->cap);
			assert_non_null(q->buf);
		}
		memcpy(q->buf + q->len, iov[i].base, iov[i].len);
		q->len += iov[i].len;
	}
}

static void ini_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	q_push(&lp.to_tgt, iov, n);
}

static void ini_close(void *ctx)
{
	lp.ini_close = true;
}

static void tgt_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	q_push(&lp.to_ini, iov, n);
}

static void tgt_close(void *ctx)
{
	lp.tgt_close = true;
}

static const struct nx_ini_conn_ops ini_ops = { .send = ini_send,
						 .close = ini_close };
static const struct nx_iscsi_conn_ops tgt_ops = { .send = tgt_send, .close = tgt_close };

/* Moves up to PUMP_CHUNK bytes each way: TCP-like arbitrary segmenting. */
static void pump(void *ctx)
{
	struct q *t = &lp.to_tgt, *i = &lp.to_ini;

	if (t->rd < t->len && !lp.tgt_close) {
		size_t n = NX_MIN(t->len - t->rd, (size_t)PUMP_CHUNK);

		t->rd += n;
		nx_iscsi_conn_input(lp.tc, t->buf + t->rd - n, n);
	}
	if (t->rd == t->len)
		t->rd = t->len = 0;
	if (i->rd < i->len && !lp.ini_close && !nx_ini_conn_is_dead(lp.ic)) {
		size_t n = NX_MIN(i->len - i->rd, (size_t)PUMP_CHUNK);

		i->rd += n;
		nx_ini_conn_input(lp.ic, i->buf + i->rd - n, n);
	}
	if (i->rd == i->len)
		i->rd = i->len = 0;
}

static void release(void *ctx)
{
	lp.released = true;
}

static void loop_init(const struct nx_iscsi_chap *chap,
		      const struct nx_iscsi_chap *mutual,
		      const struct nx_ini_config *cfg)
{
	struct nx_iscsi_server_config sc;
	struct nx_lu_config lu = { .lun = 0, .block_size = 512 };

	memset(&lp, 0, sizeof(lp));
	lp.tgt = nx_target_new(TGT_NAME);
	assert_non_null(lp.tgt);
	assert_int_equal(nx_target_add_lu(lp.tgt, &lu, nx_bs_ram_new(LU_BYTES)), 0);
	memset(&sc, 0, sizeof(sc));
	sc.portals[0] = "192.0.2.1:3260";
	sc.portal_count = 1;
	sc.tpgt = 1;
	sc.targets[0].target = lp.tgt;
	if (chap != NULL)
		sc.targets[0].chap = *chap;
	if (mutual != NULL)
		sc.targets[0].mutual_chap = *mutual;
	sc.target_count = 1;
	lp.srv = nx_iscsi_server_new(&sc);
	assert_non_null(lp.srv);
	lp.tc = nx_iscsi_conn_new(lp.srv, &tgt_ops, &lp, "192.0.2.2:40000",
				  "192.0.2.1:3260");
	assert_non_null(lp.tc);
	lp.s = nx_ini_session_new(cfg);
	assert_non_null(lp.s);
	lp.ic = nx_ini_conn_new(lp.s, 0, &ini_ops, &lp);
	assert_non_null(lp.ic);
	lp.drv.poll = pump;
	lp.drv.steps_max = 10000;
}

static int loop_fini(void **state)
{
	nx_ini_conn_free(lp.ic);
	nx_ini_session_free(lp.s);
	nx_iscsi_conn_closed(lp.tc, release, &lp);
	for (unsigned i = 0; i < 100 && !lp.released; i++)
		pump(NULL);
	assert_true(lp.released);
	nx_iscsi_server_free(lp.srv);
	nx_target_free(lp.tgt);
	free(lp.to_tgt.buf);
	free(lp.to_ini.buf);
	return 0;
}

static void cfg_init(struct nx_ini_config *cfg)
{
	static const uint8_t isid[6] = { 0x80, 0, 0, 0x42, 0, 1 };

	nx_ini_config_init(cfg, INI_NAME, TGT_NAME);
	memcpy(cfg->isid, isid, 6);
}

static void login_ok(void)
{
	struct nx_ini_login req;

	assert_int_equal(nx_ini_sync_login(lp.ic, &lp.drv, &req), 0);
	assert_int_equal(req.status_class, 0);
	assert_int_not_equal(req.tsih, 0);
	assert_true(nx_ini_conn_is_ffp(lp.ic));
}

static void logout_ok(void)
{
	uint8_t response = 0xff;

	assert_int_equal(nx_ini_sync_logout(lp.ic, &lp.drv,
					    NX_INI_LOGOUT_SESSION, &response), 0);
	assert_int_equal(response, 0);
	assert_true(lp.ini_close);
	assert_true(nx_ini_conn_is_dead(lp.ic));
}

/* SPC-4 6.6: standard INQUIRY data through the whole stack. */
static void inquiry(void)
{
	static struct nx_ini_scsi r;
	uint8_t cdb[6] = { 0x12, 0, 0, 0, 96, 0 }, data[96];

	memset(data, 0xee, sizeof(data));
	assert_int_equal(nx_ini_sync_scsi(lp.ic, &lp.drv, 0, cdb, 6,
					  NX_INI_DIR_READ, data, 96, &r), 0);
	assert_int_equal(r.response, 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(data[0] & 0x1f, 0x00);        /* direct access block */
	assert_true(r.data_in_got >= 36);
	assert_memory_equal(data + 8, "NEXUS   ", 8);
}

static void rw10(uint8_t op, uint32_t lba, uint8_t *buf, uint32_t blocks)
{
	static struct nx_ini_scsi r;
	uint8_t cdb[10] = { op };

	nx_put_be32(cdb + 2, lba);
	nx_put_be16(cdb + 7, (uint16_t)blocks);
	assert_int_equal(nx_ini_sync_scsi(lp.ic, &lp.drv, 0, cdb, 10,
					  op == 0x2a ? NX_INI_DIR_WRITE
						     : NX_INI_DIR_READ,
					  buf, blocks * 512, &r), 0);
	assert_int_equal(r.response, 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.flags, 0);
}

/* SAM-5 5.14 / SPC-4 7.5.3: the first command after login (INQUIRY
 * aside) reports the power-on/reset unit attention; then it is gone. */
static void clear_power_on_ua(void)
{
	static struct nx_ini_scsi r;
	uint8_t cdb[6] = { 0 };                        /* TEST UNIT READY */

	assert_int_equal(nx_ini_sync_scsi(lp.ic, &lp.drv, 0, cdb, 6,
					  NX_INI_DIR_NONE, NULL, 0, &r), 0);
	assert_int_equal(r.status, 0x02);
	assert_true(r.sense_len >= 14);
	assert_int_equal(r.sense[2] & 0x0f, 0x06);     /* UNIT ATTENTION */
	assert_int_equal(r.sense[12], 0x29);           /* POWER ON, RESET */
	assert_int_equal(nx_ini_sync_scsi(lp.ic, &lp.drv, 0, cdb, 6,
					  NX_INI_DIR_NONE, NULL, 0, &r), 0);
	assert_int_equal(r.status, 0);
}

/* WRITE(10) then READ(10) of the same blocks: bytes survive immediate
 * data, R2T bursts and Data-In reassembly both ways. */
static void write_read_roundtrip(uint32_t lba, uint32_t blocks)
{
	uint8_t *w = malloc(blocks * 512), *rd = calloc(1, blocks * 512);

	for (uint32_t i = 0; i < blocks * 512; i++)
		w[i] = (uint8_t)(i * 31 + lba);
	rw10(0x2a, lba, w, blocks);
	rw10(0x28, lba, rd, blocks);
	assert_memory_equal(rd, w, blocks * 512);
	free(w);
	free(rd);
}

static void test_loopback_full_session(void **state)
{
	struct nx_ini_config cfg;
	static struct nx_ini_tmf tmf;
	struct nx_ini_target tg[2];
	unsigned count = 0;
	bool match = false;

	cfg_init(&cfg);
	loop_init(NULL, NULL, &cfg);
	login_ok();
	assert_true(nx_ini_conn_params(lp.ic)->tpgt_set);
	assert_int_equal(nx_ini_conn_params(lp.ic)->tpgt, 1);
	inquiry();
	clear_power_on_ua();
	write_read_roundtrip(8, 1);
	write_read_roundtrip(100, 64);    /* 32 KiB: immediate + R2T */
	write_read_roundtrip(1000, 1024); /* 512 KiB: several bursts */
	memset(&tmf, 0, sizeof(tmf));
	tmf.function = NX_INI_TMF_LOGICAL_UNIT_RESET;
	tmf.lun = nx_ini_lun(0);
	tmf.ref_itt = 0xffffffff;
	assert_int_equal(nx_ini_sync_tmf(lp.ic, &lp.drv, &tmf), 0);
	assert_int_equal(tmf.response, NX_INI_TMF_RSP_COMPLETE);
	assert_int_equal(nx_ini_sync_nop(lp.ic, &lp.drv, "hello", 5, &match), 0);
	assert_true(match);
	assert_int_equal(nx_ini_sync_sendtargets(lp.ic, &lp.drv, tg, 2, &count),
			 0);
	assert_int_equal(count, 1);
	assert_string_equal(tg[0].name, TGT_NAME);
	assert_int_equal(tg[0].addr_count, 1);
	assert_string_equal(tg[0].addr[0], "192.0.2.1:3260,1");
	logout_ok();
	assert_int_equal(nx_ini_session_stats(lp.s)->unknown_itt, 0);
	assert_int_equal(nx_ini_session_stats(lp.s)->statsn_mismatch, 0);
	assert_int_equal(nx_ini_session_stats(lp.s)->rejects, 0);
}

/* Digests on both ways and the other data-out mode (InitialR2T=No). */
static void test_loopback_digests_unsolicited(void **state)
{
	struct nx_ini_config cfg;

	cfg_init(&cfg);
	strcpy(cfg.header_digest, "CRC32C");
	strcpy(cfg.data_digest, "CRC32C");
	cfg.initial_r2t = false;
	cfg.first_burst_length = 16384;
	loop_init(NULL, NULL, &cfg);
	login_ok();
	assert_true(nx_ini_conn_params(lp.ic)->header_digest);
	assert_true(nx_ini_conn_params(lp.ic)->data_digest);
	inquiry();
	clear_power_on_ua();
	write_read_roundtrip(4, 200);
	logout_ok();
}

static int concurrent_done;

static void on_concurrent(struct nx_ini_scsi *cmd)
{
	concurrent_done++;
}

/* Many commands in flight at once through the async API: the session
 * limit, the CmdSN window and per-command Data-In routing by ITT. */
static void test_loopback_concurrent(void **state)
{
	enum { N = 64, BLOCKS = 8 };
	static struct nx_ini_scsi cmds[N];
	struct nx_ini_config cfg;
	uint8_t *w = malloc(N * BLOCKS * 512), *rd = calloc(1, N * BLOCKS * 512);

	cfg_init(&cfg);
	loop_init(NULL, NULL, &cfg);
	login_ok();
	clear_power_on_ua();
	for (uint32_t i = 0; i < N * BLOCKS * 512; i++)
		w[i] = (uint8_t)(i ^ (i >> 9));
	rw10(0x2a, 0, w, N * BLOCKS);
	concurrent_done = 0;
	for (unsigned i = 0; i < N; i++) {
		struct nx_ini_scsi *c = &cmds[i];

		memset(c, 0, sizeof(*c));
		c->cdb[0] = 0x28;
		nx_put_be32(c->cdb + 2, (N - 1 - i) * BLOCKS);
		nx_put_be16(c->cdb + 7, BLOCKS);
		c->cdb_len = 10;
		c->attr = NX_INI_ATTR_SIMPLE;
		c->data_in = rd + (N - 1 - i) * BLOCKS * 512;
		c->data_in_len = BLOCKS * 512;
		c->done = on_concurrent;
		assert_int_equal(nx_ini_scsi_submit(lp.ic, c), 0);
	}
	for (unsigned step = 0; step < 100000 && concurrent_done < N; step++)
		pump(NULL);
	assert_int_equal(concurrent_done, N);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(cmds[i].err, 0);
		assert_int_equal(cmds[i].status, 0);
	}
	assert_memory_equal(rd, w, N * BLOCKS * 512);
	assert_int_equal(nx_ini_session_outstanding(lp.s), 0);
	free(w);
	free(rd);
	logout_ok();
}

static void test_loopback_discovery(void **state)
{
	struct nx_ini_config cfg;
	struct nx_ini_target tg[2];
	unsigned count = 0;

	nx_ini_config_init(&cfg, INI_NAME, NULL);
	loop_init(NULL, NULL, &cfg);
	login_ok();
	assert_int_equal(nx_ini_sync_sendtargets(lp.ic, &lp.drv, tg, 2, &count),
			 0);
	assert_int_equal(count, 1);
	assert_string_equal(tg[0].name, TGT_NAME);
	logout_ok();
}

static void chap_cfg(struct nx_iscsi_chap *chap, struct nx_iscsi_chap *mutual)
{
	memset(chap, 0, sizeof(*chap));
	strcpy(chap->user, "alice");
	strcpy(chap->secret, "alice-secret-12");
	chap->set = true;
	memset(mutual, 0, sizeof(*mutual));
	strcpy(mutual->user, "loop-target");
	strcpy(mutual->secret, "target-secret-34");
	mutual->set = true;
}

/* RFC 7143 12.1.3: CHAP both ways against the target's chap.c. */
static void test_loopback_mutual_chap(void **state)
{
	struct nx_iscsi_chap chap, mutual;
	struct nx_ini_config cfg;

	chap_cfg(&chap, &mutual);
	cfg_init(&cfg);
	strcpy(cfg.chap_user, "alice");
	strcpy(cfg.chap_secret, "alice-secret-12");
	strcpy(cfg.mutual_user, "loop-target");
	strcpy(cfg.mutual_secret, "target-secret-34");
	loop_init(&chap, &mutual, &cfg);
	login_ok();
	inquiry();
	logout_ok();
}

/* A wrong secret: Login Response 0x0201 (authentication failure). */
static void test_loopback_chap_wrong_secret(void **state)
{
	struct nx_iscsi_chap chap, mutual;
	struct nx_ini_config cfg;
	struct nx_ini_login req;

	chap_cfg(&chap, &mutual);
	cfg_init(&cfg);
	strcpy(cfg.chap_user, "alice");
	strcpy(cfg.chap_secret, "not-the-secret");
	loop_init(&chap, NULL, &cfg);
	assert_int_equal(nx_ini_sync_login(lp.ic, &lp.drv, &req), NX_INI_ELOGIN);
	assert_int_equal(req.status_class, 2);
	assert_int_equal(req.status_detail, 1);
	assert_true(lp.ini_close);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_loopback_full_session, loop_fini),
		cmocka_unit_test_teardown(test_loopback_digests_unsolicited,
					  loop_fini),
		cmocka_unit_test_teardown(test_loopback_concurrent, loop_fini),
		cmocka_unit_test_teardown(test_loopback_discovery, loop_fini),
		cmocka_unit_test_teardown(test_loopback_mutual_chap, loop_fini),
		cmocka_unit_test_teardown(test_loopback_chap_wrong_secret,
					  loop_fini),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
