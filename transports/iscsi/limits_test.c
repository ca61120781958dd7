/*
 * limits_test.c - the connection machinery's defences against hostile or
 * broken initiators (issue 12), against the real login side and core
 * (tests/unit/iscsi_fixture.h): login-phase data segment bound, the full
 * receive buffer only in full feature phase, connections still logging
 * in, sessions per initiator (0302h), the login timeout and keepalive
 * reaping (real timers on the user-space loop), the CHAP lockout keyed by
 * initiator name and source address, and configuration checks.
 */
#include "tests/unit/iscsi_fixture.h"
#include "platform/user/nx_user.h"

#define MS (1000ull * 1000)

/* A fixture whose server has these limits (and one connection). */
static void lx_init(struct fx *f, const struct nx_iscsi_limits *lim,
		    const char *peer)
{
	struct nx_iscsi_server_config cfg;

	fx_config(f, &cfg, nx_bs_ram_new(1u << 20));
	if (lim != NULL)
		cfg.limits = *lim;
	fx_start(f, &cfg, peer);
}

/* A second connection on f's server, with its own recorder. */
static struct fx *lx_conn(struct fx *f, const char *peer)
{
	struct fx *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	g->srv = f->srv;
	g->tgt = f->tgt;
	g->cmdsn = 1;
	g->itt = 0x100;
	g->c = nx_iscsi_conn_new(f->srv, &fx_ops, g, peer, "local");
	if (g->c == NULL) {
		free(g);
		return NULL;
	}
	return g;
}

static void lx_conn_free(struct fx *g)
{
	if (!g->released)
		nx_iscsi_conn_closed(g->c, fx_release, g);
	assert_true(g->released);
	free(g->out);
	free(g);
}

/* A one-PDU login with this ISID's last byte; returns the status. */
static uint16_t lx_login(struct fx *f, uint8_t isid_last)
{
	static const char text[] = "InitiatorName=" FX_INITIATOR "\0"
				   "TargetName=" FX_TARGET "\0"
				   "SessionType=Normal";
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct rpdu p;

	memset(bhs, 0, sizeof(bhs));
	bhs[0] = 0x40 | NX_ISCSI_OP_LOGIN_REQ;
	bhs[1] = 0x80 | (1 << 2) | 3;
	memcpy(bhs + 8, "\x80\x00\x00\x01\x02\x00", 6);
	bhs[13] = isid_last;
	nx_put_be32(bhs + 16, 0x7777);
	nx_put_be32(bhs + 24, 1);
	nx_put_be32(bhs + 28, 0x1000);
	fx_feed(f, bhs, text, sizeof(text));
	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_LOGIN_RSP);
	f->exp_statsn = 0x1001;
	f->out_pos = f->out_len = 0;
	return nx_get_be16(p.bhs + 36);
}

/* A one-PDU login of initiator name to target, this ISID's last byte;
 * returns the status. */
static uint16_t lx_login_as(struct fx *f, const char *name, const char *target,
			    uint8_t isid_last)
{
	char text[512];
	int n = snprintf(text, sizeof(text), "InitiatorName=%s%cTargetName=%s%c"
			 "SessionType=Normal", name, 0, target, 0);
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct rpdu p;

	assert_true(n > 0 && n < (int)sizeof(text));
	memset(bhs, 0, sizeof(bhs));
	bhs[0] = 0x40 | NX_ISCSI_OP_LOGIN_REQ;
	bhs[1] = 0x80 | (1 << 2) | 3;
	memcpy(bhs + 8, "\x80\x00\x00\x01\x02\x00", 6);
	bhs[13] = isid_last;
	nx_put_be32(bhs + 16, 0x7777);
	nx_put_be32(bhs + 24, 1);
	nx_put_be32(bhs + 28, 0x1000);
	fx_feed(f, bhs, text, (uint32_t)n + 1);
	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_LOGIN_RSP);
	f->exp_statsn = 0x1001;
	f->out_pos = f->out_len = 0;
	return nx_get_be16(p.bhs + 36);
}

static struct nx_iscsi_stats lx_stats(const struct fx *f)
{
	struct nx_iscsi_stats st;

	nx_iscsi_server_stats(f->srv, &st);
	return st;
}

/* Runs the user-space loop (timers) until cond or ms milliseconds. */
static void run_loop(struct nx_loop *loop, const bool *cond, unsigned ms)
{
	uint64_t end = nx_clock_ns() + ms * MS;

	while (!*cond && nx_clock_ns() < end)
		nx_loop_run_once(loop, (int64_t)MS);
}

/* RFC 7143 6.3: "the default MaxRecvDataSegmentLength is used during
 * login": a login PDU announcing 8193 bytes is a protocol error, seen
 * from the header alone (Reject, connection dropped). */
static void test_login_dsl_bound(void **state)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct rpdu p;
	struct fx f;

	(void)state;
	lx_init(&f, NULL, "10.0.0.1:1000");
	memset(bhs, 0, sizeof(bhs));
	bhs[0] = 0x40 | NX_ISCSI_OP_LOGIN_REQ;
	bhs[1] = 0x80 | (1 << 2) | 3;
	nx_put_be24(bhs + 5, 8193);
	/* the header alone: nothing of the announced data is sent */
	assert_int_equal(nx_iscsi_conn_input(f.c, bhs, sizeof(bhs)), NX_EIO);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_REJECT);
	assert_int_equal(p.bhs[2], NX_ISCSI_REJECT_PROTOCOL);
	assert_true(f.close_called);
	fx_fini(&f);
}

/* In full feature phase a segment up to the declared 262144 is taken,
 * also when it arrives in pieces: the gathering buffer starts at the
 * login size and grows (20000 bytes, then the full size, then a short
 * one again), every byte where it was sent. */
static void test_ffp_full_size_segment(void **state)
{
	static uint8_t data[NX_ISCSI_MAX_RECV_DSL];
	static const uint32_t sizes[] = { 20000, NX_ISCSI_MAX_RECV_DSL, 9000 };
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct rpdu p;
	struct fx f;

	(void)state;
	lx_init(&f, NULL, "10.0.0.1:1000");
	fx_login(&f);
	f.chunk = 4093; /* copied, not in place; pieces cross every part */
	for (unsigned k = 0; k < NX_ARRAY_SIZE(sizes); k++) {
		for (uint32_t i = 0; i < sizes[k]; i++)
			data[i] = (uint8_t)(i * 7 + k);
		fx_bhs(&f, bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80);
		nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
		assert_int_equal(fx_feed(&f, bhs, data, sizes[k]), 0);
		assert_true(fx_next(&f, &p));
		assert_int_equal(p.bhs[0], NX_ISCSI_OP_NOP_IN);
		/* echoed up to the initiator's MaxRecvDataSegmentLength */
		assert_int_equal(p.dsl, 8192);
		assert_memory_equal(p.data, data, 8192);
		f.out_pos = f.out_len = 0;
	}
	assert_false(f.close_called);
	fx_fini(&f);
}

/* A WRITE(10) of blocks blocks with immediate data of dlen bytes. */
static void write_cmd(struct fx *f, uint8_t *bhs, uint32_t blocks, bool final)
{
	fx_bhs(f, bhs, NX_ISCSI_OP_SCSI_CMD,
	       (uint8_t)((final ? 0x80 : 0) | NX_ISCSI_CMD_W | 1));
	nx_put_be32(bhs + 20, blocks * FX_BLOCK);
	bhs[32] = 0x2a;
	nx_put_be16(bhs + 39, (uint16_t)blocks);
}

/* Unsolicited data is bounded by FirstBurstLength (RFC 7143 13.14,
 * 65536 here): immediate data over it is a protocol error (Reject), and
 * so is unsolicited Data-Out past it (Reject, connection dropped). */
static void test_unsolicited_bounded(void **state)
{
	static uint8_t data[65536 + FX_BLOCK];
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct rpdu p;
	struct fx f;

	(void)state;
	lx_init(&f, NULL, "10.0.0.1:1000");
	fx_login(&f);
	write_cmd(&f, bhs, 256, true);
	assert_int_equal(fx_feed(&f, bhs, data, sizeof(data)), 0);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_REJECT);
	assert_int_equal(p.bhs[2], NX_ISCSI_REJECT_PROTOCOL);
	fx_fini(&f);
	/* F=0: unsolicited Data-Out follows; 64 KiB + one block of it */
	lx_init(&f, NULL, "10.0.0.1:1000");
	fx_login(&f);
	write_cmd(&f, bhs, 256, false);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	{
		uint32_t itt = nx_get_be32(bhs + 16);

		memset(bhs, 0, sizeof(bhs));
		bhs[0] = NX_ISCSI_OP_DATA_OUT;
		nx_put_be32(bhs + 16, itt);
		nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
		nx_put_be32(bhs + 28, f.exp_statsn);
		fx_feed(&f, bhs, data, sizeof(data) - 32768);
		bhs[1] = 0x80;
		nx_put_be32(bhs + 36, 1);
		nx_put_be32(bhs + 40, sizeof(data) - 32768);
		fx_feed(&f, bhs, data, 32768);
	}
	while (fx_next(&f, &p) && p.bhs[0] != NX_ISCSI_OP_REJECT)
		;
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_REJECT);
	assert_true(f.close_called);
	fx_fini(&f);
}

/* Connections not yet in full feature phase are bounded; one reaching
 * it frees its place. */
static void test_login_conns_bounded(void **state)
{
	struct nx_iscsi_limits lim = { .max_login_conns = 2 };
	struct fx f, *g, *h;

	(void)state;
	lx_init(&f, &lim, "10.0.0.1:1000");
	g = lx_conn(&f, "10.0.0.2:1000");
	assert_non_null(g);
	assert_null(lx_conn(&f, "10.0.0.3:1000"));
	fx_login(&f);
	h = lx_conn(&f, "10.0.0.3:1000");
	assert_non_null(h);
	/* a closed login connection frees its place too */
	lx_conn_free(g);
	g = lx_conn(&f, "10.0.0.4:1000");
	assert_non_null(g);
	lx_conn_free(g);
	lx_conn_free(h);
	fx_fini(&f);
}

/* RFC 7143 11.13.5: 0302h "out of resources" once an initiator holds
 * max_sessions_per_initiator sessions; reinstating one (same ISID) is
 * still possible. */
static void test_sessions_per_initiator(void **state)
{
	struct nx_iscsi_limits lim = { .max_sessions_per_initiator = 1 };
	struct fx f, *g;

	(void)state;
	lx_init(&f, &lim, "10.0.0.1:1000");
	assert_int_equal(lx_login(&f, 1), 0);
	g = lx_conn(&f, "10.0.0.1:1001");
	assert_int_equal(lx_login(g, 2), 0x0302);
	assert_true(g->close_called);
	lx_conn_free(g);
	/* discovery sessions count too: they hold a command pool as well */
	g = lx_conn(&f, "10.0.0.1:1002");
	{
		static const char text[] = "InitiatorName=" FX_INITIATOR "\0"
					   "SessionType=Discovery";
		uint8_t bhs[NX_ISCSI_BHS_LEN];
		struct rpdu p;

		memset(bhs, 0, sizeof(bhs));
		bhs[0] = 0x40 | NX_ISCSI_OP_LOGIN_REQ;
		bhs[1] = 0x80 | (1 << 2) | 3;
		bhs[13] = 3;
		nx_put_be32(bhs + 24, 1);
		fx_feed(g, bhs, text, sizeof(text));
		assert_true(fx_next(g, &p));
		assert_int_equal(nx_get_be16(p.bhs + 36), 0x0302);
	}
	lx_conn_free(g);
	fx_fini(&f);
}

/* Per source address (the port does not count, IPv6 in brackets):
 * connections still logging in are capped at nx_iscsi_conn_new, before
 * anything is allocated; other addresses are not affected; reaching
 * full feature phase frees the place. */
static void test_logins_per_address(void **state)
{
	struct nx_iscsi_limits lim = { .max_logins_per_address = 2 };
	struct fx f, *g, *h, *v6[2];

	(void)state;
	lx_init(&f, &lim, "10.0.0.1:1000");
	g = lx_conn(&f, "10.0.0.1:1001");
	assert_non_null(g);
	assert_null(lx_conn(&f, "10.0.0.1:1002"));
	h = lx_conn(&f, "10.0.0.2:1000");
	assert_non_null(h);
	v6[0] = lx_conn(&f, "[fd00::1]:1000");
	v6[1] = lx_conn(&f, "[fd00::1]:1001");
	assert_non_null(v6[0]);
	assert_non_null(v6[1]);
	assert_null(lx_conn(&f, "[fd00::1]:1002"));
	assert_int_equal(lx_stats(&f).conns_refused, 2);
	fx_login(&f); /* f leaves the login phase: 10.0.0.1 has room again */
	lx_conn_free(h);
	h = lx_conn(&f, "10.0.0.1:1003");
	assert_non_null(h);
	assert_null(lx_conn(&f, "10.0.0.1:1004"));
	lx_conn_free(h);
	lx_conn_free(g);
	lx_conn_free(v6[0]);
	lx_conn_free(v6[1]);
	fx_fini(&f);
}

/* An attacker rotating initiator names still gets at most
 * max_sessions_per_address sessions from one address (0302h "out of
 * resources", RFC 7143 11.13.5); another address is not affected, and a
 * closed session frees its place. */
static void test_sessions_per_address(void **state)
{
	struct nx_iscsi_limits lim = { .max_sessions_per_address = 2 };
	struct fx f, *g, *h, *k;

	(void)state;
	lx_init(&f, &lim, "10.0.0.1:1000");
	assert_int_equal(lx_login_as(&f, "iqn.2024-01.org.test:a", FX_TARGET, 1), 0);
	g = lx_conn(&f, "10.0.0.1:1001");
	assert_int_equal(lx_login_as(g, "iqn.2024-01.org.test:b", FX_TARGET, 2), 0);
	h = lx_conn(&f, "10.0.0.1:1002");
	assert_int_equal(lx_login_as(h, "iqn.2024-01.org.test:c", FX_TARGET, 3),
			 0x0302);
	assert_true(h->close_called);
	lx_conn_free(h);
	k = lx_conn(&f, "10.0.0.2:1000");
	assert_int_equal(lx_login_as(k, "iqn.2024-01.org.test:c", FX_TARGET, 3), 0);
	assert_int_equal(lx_stats(&f).logins_refused_limit, 1);
	lx_conn_free(g); /* its session goes with its only connection */
	h = lx_conn(&f, "10.0.0.1:1003");
	assert_int_equal(lx_login_as(h, "iqn.2024-01.org.test:d", FX_TARGET, 4), 0);
	lx_conn_free(h);
	lx_conn_free(k);
	fx_fini(&f);
}

/* The server's session table (limits.max_sessions) bounds sessions
 * whoever asks: the third of two slots gets 0302h "out of resources"
 * (RFC 7143 11.13.5) though every per-name and per-address cap allows
 * it; a closed session frees its slot. */
static void test_sessions_bounded(void **state)
{
	struct nx_iscsi_limits lim = { .max_sessions = 2 };
	struct fx f, *g, *h;

	(void)state;
	lx_init(&f, &lim, "10.0.0.1:1000");
	assert_int_equal(lx_login_as(&f, "iqn.2024-01.org.test:a", FX_TARGET, 1), 0);
	g = lx_conn(&f, "10.0.0.2:1000");
	assert_int_equal(lx_login_as(g, "iqn.2024-01.org.test:b", FX_TARGET, 2), 0);
	h = lx_conn(&f, "10.0.0.3:1000");
	assert_int_equal(lx_login_as(h, "iqn.2024-01.org.test:c", FX_TARGET, 3),
			 0x0302);
	assert_true(h->close_called);
	lx_conn_free(h);
	lx_conn_free(g);
	h = lx_conn(&f, "10.0.0.3:1001");
	assert_int_equal(lx_login_as(h, "iqn.2024-01.org.test:c", FX_TARGET, 3), 0);
	lx_conn_free(h);
	fx_fini(&f);
}

/* A connection over its portal's cap gets 0302h for its login and holds
 * no place; the cap counts the connections through the portal from
 * their first Login Request on; one that ends frees its place. */
static void test_conns_per_portal(void **state)
{
	struct nx_iscsi_limits lim = { .max_conns_per_portal = 2 };
	struct fx f, *g, *h, *k;

	(void)state;
	lx_init(&f, &lim, "10.0.0.1:1000");
	nx_iscsi_conn_set_portal(f.c, 0);
	g = lx_conn(&f, "10.0.0.2:1000");
	nx_iscsi_conn_set_portal(g->c, 0);
	h = lx_conn(&f, "10.0.0.3:1000");
	nx_iscsi_conn_set_portal(h->c, 0);
	k = lx_conn(&f, "10.0.0.4:1000"); /* portal 0 by default */
	assert_int_equal(lx_login_as(&f, "iqn.2024-01.org.test:a", FX_TARGET, 1), 0);
	assert_int_equal(lx_login_as(g, "iqn.2024-01.org.test:b", FX_TARGET, 2), 0);
	assert_int_equal(lx_login_as(h, "iqn.2024-01.org.test:c", FX_TARGET, 3),
			 0x0302);
	assert_true(h->close_called);
	assert_int_equal(lx_login_as(k, "iqn.2024-01.org.test:d", FX_TARGET, 4),
			 0x0302);
	lx_conn_free(h);
	lx_conn_free(k);
	lx_conn_free(g);
	h = lx_conn(&f, "10.0.0.3:1001");
	nx_iscsi_conn_set_portal(h->c, 0);
	assert_int_equal(lx_login_as(h, "iqn.2024-01.org.test:c", FX_TARGET, 3), 0);
	assert_int_equal(lx_stats(&f).logins_refused_limit, 2);
	lx_conn_free(h);
	fx_fini(&f);
}

/* Connections in sessions of one target are capped per target (0302h);
 * another target of the server is not affected. */
static void test_conns_per_target(void **state)
{
	struct nx_iscsi_limits lim = { .max_conns_per_target = 1 };
	struct nx_lu_config lu = { .lun = 0, .block_size = FX_BLOCK };
	static struct nx_iscsi_server_config cfg;
	struct nx_target *t2 = nx_target_new("iqn.2024-01.org.nexus:t2");
	struct fx f, *g, *h;

	(void)state;
	assert_non_null(t2);
	assert_int_equal(nx_target_add_lu(t2, &lu, nx_bs_ram_new(1u << 20)), 0);
	fx_config(&f, &cfg, nx_bs_ram_new(1u << 20));
	cfg.targets[1].target = t2;
	cfg.target_count = 2;
	cfg.limits = lim;
	fx_start(&f, &cfg, "10.0.0.1:1000");
	assert_int_equal(lx_login_as(&f, "iqn.2024-01.org.test:a", FX_TARGET, 1), 0);
	g = lx_conn(&f, "10.0.0.2:1000");
	assert_int_equal(lx_login_as(g, "iqn.2024-01.org.test:b", FX_TARGET, 2),
			 0x0302);
	lx_conn_free(g);
	h = lx_conn(&f, "10.0.0.2:1001");
	assert_int_equal(lx_login_as(h, "iqn.2024-01.org.test:b",
				     "iqn.2024-01.org.nexus:t2", 2), 0);
	lx_conn_free(h);
	fx_fini(&f);
	nx_target_free(t2);
}

/* One TMF; returns its response code. */
static uint8_t lx_tmf(struct fx *f, uint8_t function)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct rpdu p;

	fx_bhs(f, bhs, 0x40 | NX_ISCSI_OP_TMF_REQ, (uint8_t)(0x80 | function));
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	assert_int_equal(fx_feed(f, bhs, NULL, 0), 0);
	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_TMF_RSP);
	f->exp_statsn++;
	return p.bhs[2];
}

/* refuse_target_reset: TARGET WARM RESET and TARGET COLD RESET answer
 * "Function authorization failed" (RFC 7143 11.6.1, 6) and leave the
 * session alone; other functions work as before. */
static void test_target_reset_refused(void **state)
{
	struct nx_iscsi_server_config cfg;
	struct fx f;

	(void)state;
	fx_config(&f, &cfg, nx_bs_ram_new(1u << 20));
	cfg.targets[0].refuse_target_reset = true;
	fx_start(&f, &cfg, "10.0.0.1:1000");
	fx_login(&f);
	assert_int_equal(lx_tmf(&f, 6), 6);
	assert_int_equal(lx_tmf(&f, 7), 6);
	assert_false(f.close_called);
	assert_int_equal(lx_tmf(&f, 5), 0); /* LOGICAL UNIT RESET */
	assert_int_equal(lx_stats(&f).target_resets_refused, 2);
	fx_fini(&f);
	/* the default: allowed (function complete) */
	lx_init(&f, NULL, "10.0.0.1:1000");
	fx_login(&f);
	assert_int_equal(lx_tmf(&f, 6), 0);
	fx_fini(&f);
}

/* Lines a peer can cause at will are rate-limited per kind: a flood of
 * refused connections logs NX_LOG_LIMIT_BURST lines, the rest is
 * counted (and summarized in one line). */
static void test_log_rate_limit(void **state)
{
	struct nx_iscsi_limits lim = { .max_login_conns = 1 };
	struct fx f;

	(void)state;
	lx_init(&f, &lim, "10.0.0.1:1000");
	for (int i = 0; i < 100; i++)
		assert_null(lx_conn(&f, "10.0.0.9:1000"));
	assert_int_equal(lx_stats(&f).conns_refused, 100);
	/* 100 refusals take far less than the 1 s window */
	assert_int_equal(lx_stats(&f).log_lines_held, 100 - NX_LOG_LIMIT_BURST);
	fx_fini(&f);
}

/* A connection that never finishes its login is dropped at the login
 * timeout; one that logged in is not. */
static void test_login_timeout(void **state)
{
	struct nx_iscsi_limits lim = { .login_timeout_ms = 30,
				       .nopin_interval_ms = 60000 };
	struct nx_loop *loop = nx_loop_new();
	struct fx f, *g;

	(void)state;
	assert_non_null(loop);
	lx_init(&f, &lim, "10.0.0.1:1000");
	g = lx_conn(&f, "10.0.0.2:1000");
	fx_login(&f);
	/* a slow writer: half a BHS, then nothing */
	assert_int_equal(nx_iscsi_conn_input(g->c, (const uint8_t *)"\x43\x87", 2), 0);
	run_loop(loop, &g->close_called, 2000);
	assert_true(g->close_called);
	assert_false(f.close_called);
	lx_conn_free(g);
	fx_fini(&f);
	nx_loop_free(loop);
}

/* Keepalive (RFC 7143 11.19): a silent peer gets a NOP-In ping with a
 * valid TTT, and is dropped when it does not answer. */
static void test_keepalive_reaps_silent_peer(void **state)
{
	struct nx_iscsi_limits lim = { .nopin_interval_ms = 20 };
	struct nx_loop *loop = nx_loop_new();
	struct rpdu p;
	struct fx f;
	bool sent = false;

	(void)state;
	assert_non_null(loop);
	lx_init(&f, &lim, "10.0.0.1:1000");
	fx_login(&f);
	while (!sent && !f.close_called) {
		nx_loop_run_once(loop, (int64_t)MS);
		sent = f.out_len > 0;
	}
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_NOP_IN);
	assert_int_not_equal(nx_get_be32(p.bhs + 20), NX_ISCSI_RSVD_TAG);
	assert_false(f.close_called);
	run_loop(loop, &f.close_called, 2000);
	assert_true(f.close_called);
	fx_fini(&f);
	nx_loop_free(loop);
}

/* The lockout keys: the initiator name, and the source address without
 * its port (so rotating names from one host does not help). */
static void test_auth_lockout_keys(void **state)
{
	struct fx f, *g, *h, *v6;

	(void)state;
	lx_init(&f, NULL, "10.0.0.1:1000");
	g = lx_conn(&f, "10.0.0.1:2000");   /* same host, other port */
	h = lx_conn(&f, "10.0.0.2:1000");   /* other host */
	v6 = lx_conn(&f, "[::1]:3260");
	for (int i = 0; i < 4; i++)
		nx_iscsi_conn_auth_result(f.c, "iqn.2024-01.org.test:a", false);
	assert_true(nx_iscsi_conn_auth_blocked(f.c, "iqn.2024-01.org.test:a"));
	/* another name from the same address: the address is locked */
	assert_true(nx_iscsi_conn_auth_blocked(g->c, "iqn.2024-01.org.test:b"));
	/* the same name from elsewhere: the name is locked */
	assert_true(nx_iscsi_conn_auth_blocked(h->c, "iqn.2024-01.org.test:a"));
	/* another name from elsewhere: free */
	assert_false(nx_iscsi_conn_auth_blocked(h->c, "iqn.2024-01.org.test:b"));
	for (int i = 0; i < 4; i++)
		nx_iscsi_conn_auth_result(v6->c, "iqn.2024-01.org.test:c", false);
	assert_true(nx_iscsi_conn_auth_blocked(v6->c, "iqn.2024-01.org.test:d"));
	lx_conn_free(g);
	lx_conn_free(h);
	lx_conn_free(v6);
	fx_fini(&f);
}

static void expect_refused(struct nx_iscsi_server_config *cfg,
			   const char *needle, const char *secret)
{
	char buf[256];
	const char *e = nx_iscsi_config_check(cfg, buf, sizeof(buf));

	assert_non_null(e);
	assert_non_null(strstr(e, needle));
	/* a configuration error never prints a secret */
	if (secret != NULL)
		assert_null(strstr(e, secret));
	assert_null(nx_iscsi_server_new(cfg));
}

static void set_cred(struct nx_iscsi_chap *c, const char *user,
		     const char *secret)
{
	snprintf(c->user, sizeof(c->user), "%s", user);
	snprintf(c->secret, sizeof(c->secret), "%s", secret);
	c->set = true;
}

static void test_config_check(void **state)
{
	static struct nx_iscsi_server_config cfg;
	struct nx_target *t = nx_target_new(FX_TARGET);
	char buf[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.targets[0].target = t;
	cfg.target_count = 1;
	assert_null(nx_iscsi_config_check(&cfg, buf, sizeof(buf)));
	/* RFC 7143 12.1.3: 96 bits at least; 12 bytes is enough */
	set_cred(&cfg.targets[0].chap, "alice", "elevenbytes");
	expect_refused(&cfg, "shorter than 12", "elevenbytes");
	set_cred(&cfg.targets[0].chap, "alice", "twelve-bytes");
	assert_null(nx_iscsi_config_check(&cfg, buf, sizeof(buf)));
	set_cred(&cfg.targets[0].mutual_chap, "tgt", "twelve-bytes");
	expect_refused(&cfg, "must differ", "twelve-bytes");
	set_cred(&cfg.targets[0].mutual_chap, "tgt", "xyzzy");
	expect_refused(&cfg, "mutual CHAP secret of user tgt", "xyzzy");
	cfg.targets[0].mutual_chap.set = false;
	set_cred(&cfg.discovery_mutual_chap, "tgt", "another-secret");
	expect_refused(&cfg, "discovery: mutual CHAP needs CHAP", NULL);
	set_cred(&cfg.discovery_chap, "disc", "disc");
	expect_refused(&cfg, "discovery: CHAP secret", NULL);
	set_cred(&cfg.discovery_chap, "disc", "discovery-secret");
	assert_null(nx_iscsi_config_check(&cfg, buf, sizeof(buf)));
	cfg.chap_algs[0] = 6; /* SHA-1: not implemented */
	cfg.chap_alg_count = 1;
	expect_refused(&cfg, "CHAP_A 6", NULL);
	cfg.chap_algs[0] = NX_ISCSI_CHAP_SHA256;
	assert_null(nx_iscsi_config_check(&cfg, buf, sizeof(buf)));
	cfg.limits.max_sessions = 16385;
	expect_refused(&cfg, "max_sessions 16385 is above 16384", NULL);
	cfg.limits.max_sessions = 16384;
	assert_null(nx_iscsi_config_check(&cfg, buf, sizeof(buf)));
	cfg.targets[0].acl_count = 1;
	cfg.targets[0].acl[0] = FX_INITIATOR;
	cfg.targets[0].acl_ro[0].lun_count = NX_ISCSI_ACL_RO_LUNS + 1;
	expect_refused(&cfg, "read-only", NULL);
	nx_target_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_dsl_bound),
		cmocka_unit_test(test_ffp_full_size_segment),
		cmocka_unit_test(test_unsolicited_bounded),
		cmocka_unit_test(test_login_conns_bounded),
		cmocka_unit_test(test_sessions_per_initiator),
		cmocka_unit_test(test_logins_per_address),
		cmocka_unit_test(test_sessions_per_address),
		cmocka_unit_test(test_sessions_bounded),
		cmocka_unit_test(test_conns_per_portal),
		cmocka_unit_test(test_conns_per_target),
		cmocka_unit_test(test_target_reset_refused),
		cmocka_unit_test(test_log_rate_limit),
		cmocka_unit_test(test_login_timeout),
		cmocka_unit_test(test_keepalive_reaps_silent_peer),
		cmocka_unit_test(test_auth_lockout_keys),
		cmocka_unit_test(test_config_check),
	};

	nx_user_set_log_level(NX_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
