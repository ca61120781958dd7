/*
 * nx_conf.c - the test API: the per-test environment, sessions over a
 * backend stream, SCSI commands with decoded sense, TMF, raw PDUs and
 * the expectation helpers.
 *
 * Everything a test creates is recorded in the environment so teardown
 * frees it even when an assertion longjmp'ed out of the middle of a test.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nx_conf.h"
#include "../../core/nx_wire.h"

#define SESS_MAX 16
#define RAW_MAX 8
#define SEEN_MAX 256
#define NOTES_MAX 8192
#define INI_NAME_FMT "iqn.2026-11.dev.nexus:conform.i%u"

struct nx_conf_sess {
	struct nx_conf_stream st;
	struct nx_ini_session *s;
	struct nx_ini_conn *c;
	struct nx_ini_srp *srp;       /* --transport srp instead of s/c */
	unsigned slot;
	/* PDUs for the test (rx hook) */
	bool capturing, captured;
	uint8_t cap_op;
	struct nx_conf_pdu pdu;
	uint32_t seen[SEEN_MAX];
	unsigned seen_count;
	uint32_t raw_itts;
};

struct nx_conf_raw {
	struct nx_conf_stream st;
	uint8_t *buf;
	size_t len, cap;
	bool eof;
	unsigned slot;
};

static struct {
	const struct nx_conf_backend *be;
	void *ctx;
	struct nx_conf_target tgt;
	struct nx_ini_driver drv;
	uint64_t seed;
	unsigned isid_next;
	struct nx_conf_sess *sess[SESS_MAX];
	struct nx_conf_raw *raw[RAW_MAX];
	bool skipped;
	char notes[NOTES_MAX];
	size_t notes_len;
	bool have_cap;
	uint64_t blocks;
	uint32_t block_size;
} env;

/* ---- notes, skip ---------------------------------------------------------- */

static void note_v(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

static void note_v(const char *fmt, va_list ap)
{
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		return;
	n = (int)strnlen(line, sizeof(line) - 1);
	if (env.notes_len + (size_t)n + 2 < sizeof(env.notes)) {
		memcpy(env.notes + env.notes_len, line, (size_t)n);
		env.notes_len += (size_t)n;
		env.notes[env.notes_len++] = '\n';
		env.notes[env.notes_len] = '\0';
	}
}

void nx_conf_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note_v(fmt, ap);
	va_end(ap);
}

void nx_conf_skip_note(const char *fmt, ...)
{
	va_list ap;

	env.skipped = true;
	va_start(ap, fmt);
	note_v(fmt, ap);
	va_end(ap);
}

bool nx_conf_env_skipped(void)
{
	return env.skipped;
}

const char *nx_conf_env_notes(void)
{
	return env.notes;
}

void nx_conf_env_reset_notes(void)
{
	env.notes_len = 0;
	env.notes[0] = '\0';
	env.skipped = false;
}

/* ---- environment ---------------------------------------------------------- */

static void drv_poll(void *ctx)
{
	env.be->poll(env.ctx);
}

int nx_conf_env_setup(const struct nx_conf_backend *be,
		      const struct nx_conf_opts *opts, uint64_t seed)
{
	int rc;

	memset(env.sess, 0, sizeof(env.sess));
	memset(env.raw, 0, sizeof(env.raw));
	memset(&env.tgt, 0, sizeof(env.tgt));
	env.be = be;
	env.seed = seed;
	env.isid_next = 0;
	env.have_cap = false;
	rc = be->create(opts, seed, &env.tgt, &env.ctx);
	if (rc < 0)
		return rc;
	env.drv.poll = drv_poll;
	env.drv.ctx = NULL;
	env.drv.steps_max = env.tgt.steps_max;
	return 0;
}

static void sess_free(struct nx_conf_sess *s);
static void raw_free(struct nx_conf_raw *r);

void nx_conf_env_teardown(void)
{
	for (unsigned i = 0; i < SESS_MAX; i++)
		if (env.sess[i] != NULL)
			sess_free(env.sess[i]);
	for (unsigned i = 0; i < RAW_MAX; i++)
		if (env.raw[i] != NULL)
			raw_free(env.raw[i]);
	if (env.be != NULL && env.ctx != NULL)
		env.be->destroy(env.ctx);
	env.ctx = NULL;
}

const struct nx_conf_target *nx_conf_target(void)
{
	return &env.tgt;
}

bool nx_conf_is_iser(void)
{
	return env.tgt.iser;
}

bool nx_conf_is_srp(void)
{
	return env.tgt.srp;
}

uint32_t nx_conf_lun(void)
{
	return env.tgt.lun;
}

const struct nx_ini_driver *nx_conf_driver(void)
{
	return &env.drv;
}

void nx_conf_initiator_name(unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, INI_NAME_FMT, i);
}

uint64_t nx_conf_seed(void)
{
	return env.seed;
}

void nx_conf_poll(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		env.be->poll(env.ctx);
}

/* ---- sessions ------------------------------------------------------------- */

static void sess_rx(struct nx_conf_stream *st, const uint8_t *buf, size_t len)
{
	struct nx_conf_sess *s = st->owner;

	if (s->c != NULL && !nx_ini_conn_is_dead(s->c))
		nx_ini_conn_input(s->c, buf, len);
}

static void sess_eof(struct nx_conf_stream *st)
{
	struct nx_conf_sess *s = st->owner;

	if (s->c != NULL && !nx_ini_conn_is_dead(s->c))
		nx_ini_conn_closed(s->c);
}

static void ini_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	struct nx_conf_sess *s = ctx;

	s->st.send(&s->st, iov, n);
}

static void ini_close(void *ctx)
{
	struct nx_conf_sess *s = ctx;

	s->st.close(&s->st);
}

static const struct nx_ini_conn_ops ini_ops = { .send = ini_send,
						 .close = ini_close };

static bool sess_hook(void *arg, struct nx_ini_conn *c, const uint8_t *bhs,
		      const uint8_t *ahs, uint32_t ahs_len,
		      const uint8_t *data, uint32_t data_len)
{
	struct nx_conf_sess *s = arg;

	/* R2Ts are solicitations, not answers: nx_conf_saw_itt() skips them */
	if (s->seen_count < SEEN_MAX && (bhs[0] & 0x3f) != 0x31)
		s->seen[s->seen_count++] = nx_get_be32(bhs + 16);
	if (!s->capturing || s->captured)
		return false;
	if (s->cap_op != 0x3f && (bhs[0] & 0x3f) != s->cap_op)
		return false;
	memcpy(s->pdu.bhs, bhs, 48);
	s->pdu.data_len = data_len;
	memcpy(s->pdu.data, data, NX_MIN(data_len, (uint32_t)sizeof(s->pdu.data)));
	s->captured = true;
	return true;
}

void nx_conf_config(struct nx_ini_config *cfg, unsigned initiator)
{
	char name[NX_INI_NAME_MAX];
	unsigned n = env.isid_next++;

	snprintf(name, sizeof(name), INI_NAME_FMT, initiator);
	nx_ini_config_init(cfg, name, env.tgt.name);
	if (env.tgt.auth_user[0] != '\0') {
		snprintf(cfg->chap_user, sizeof(cfg->chap_user), "%s",
			 env.tgt.auth_user);
		snprintf(cfg->chap_secret, sizeof(cfg->chap_secret), "%s",
			 env.tgt.auth_secret);
	}
	/* ISID type 10b (random, RFC 7143 11.12.5) with deterministic bits:
	 * unique per session within the test. */
	cfg->isid[0] = 0x80;
	cfg->isid[1] = 0x00;
	cfg->isid[2] = 0x4e;
	cfg->isid[3] = 0x58;
	cfg->isid[4] = (uint8_t)(n >> 8);
	cfg->isid[5] = (uint8_t)n;
}

/* ---- SRP sessions ----------------------------------------------------------- */

/* An SRP initiator port identifier (SRP 5.2: identifier extension +
 * EUI-64) from what names an iSCSI initiator port: the ISID as the
 * extension, a hash of the InitiatorName as the EUI-64.  The same
 * (name, ISID) is the same SRP initiator port, so the tests' I_T nexus
 * identities carry over (PR, unit attentions). */
static void srp_port_ids(const struct nx_ini_config *cfg,
			 struct nx_ini_srp_config *sc)
{
	uint64_t h = 0xcbf29ce484222325ull;

	memset(sc, 0, sizeof(*sc));
	memcpy(sc->iport + 2, cfg->isid, 6);
	for (const char *p = cfg->initiator_name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	nx_put_be64(sc->iport + 8, h);
	memcpy(sc->tport, env.tgt.srp_port_id, NX_SRP_PORT_ID_LEN);
}

void nx_conf_srp_port_id(const struct nx_ini_config *cfg,
			 uint8_t id[NX_SRP_PORT_ID_LEN])
{
	struct nx_ini_srp_config sc;

	srp_port_ids(cfg, &sc);
	memcpy(id, sc.iport, NX_SRP_PORT_ID_LEN);
}

static void srp_login(struct nx_conf_sess *s, const struct nx_ini_config *cfg)
{
	struct nx_ini_srp_config sc;
	struct nx_srp_login_rej rej;
	int rc;

	if (strcmp(cfg->target_name, env.tgt.name) != 0 || cfg->discovery)
		NX_SKIP("not over SRP: the SRP port reaches %s only, not %s",
			env.tgt.name, cfg->discovery ? "discovery" :
			cfg->target_name);
	srp_port_ids(cfg, &sc);
	memset(&rej, 0, sizeof(rej));
	rc = env.be->srp_connect(env.ctx, s->st.port, &sc, &s->srp, &rej);
	if (rc != 0)
		nx_conf_note("SRP login failed: err %d, SRP_LOGIN_REJ reason %08x",
			     rc, rej.reason);
	assert_int_equal(rc, 0);
}

static bool srp_cmd_done(void *arg)
{
	return *(bool *)arg;
}

static void srp_sync_done(struct nx_ini_scsi *cmd)
{
	*(bool *)cmd->priv = true;
}

/* Polls until *flag or the step budget ends. */
static bool poll_until(bool (*done)(void *), void *arg)
{
	uint32_t max = env.drv.steps_max ? env.drv.steps_max
					 : NX_INI_SYNC_STEPS_DEFAULT;

	for (uint32_t i = 0; i < max && !done(arg); i++)
		env.be->poll(env.ctx);
	return done(arg);
}

static int srp_sync_cmd(struct nx_conf_sess *s, struct nx_ini_scsi *x)
{
	bool done = false;
	int rc;

	x->done = srp_sync_done;
	x->priv = &done;
	rc = nx_ini_srp_scsi_submit(s->srp, x);
	if (rc != 0)
		return rc;
	if (!poll_until(srp_cmd_done, &done)) {
		(void)nx_ini_srp_cancel(s->srp, x->itt);
		return NX_INI_ETIMEDOUT;
	}
	return x->err;
}

static bool srp_ended(void *arg)
{
	return nx_ini_srp_ended(arg);
}

static struct nx_conf_sess *sess_new(const struct nx_ini_config *cfg,
				     unsigned port)
{
	struct nx_conf_sess *s = calloc(1, sizeof(*s));
	unsigned slot = SESS_MAX;

	assert_non_null(s);
	for (unsigned i = 0; i < SESS_MAX && slot == SESS_MAX; i++)
		if (env.sess[i] == NULL)
			slot = i;
	if (slot == SESS_MAX) {
		free(s);
		fail_msg("more than %u sessions in one test", SESS_MAX);
	}
	s->slot = slot;
	env.sess[slot] = s;
	s->st.rx = sess_rx;
	s->st.eof = sess_eof;
	s->st.owner = s;
	s->st.port = port;
	if (env.tgt.srp) {
		srp_login(s, cfg);
		return s;
	}
	assert_int_equal(env.be->connect(env.ctx, &s->st), 0);
	s->s = nx_ini_session_new(cfg);
	assert_non_null(s->s);
	s->c = nx_ini_conn_new(s->s, 0, &ini_ops, s);
	assert_non_null(s->c);
	nx_ini_conn_set_rx_hook(s->c, sess_hook, s);
	if (s->st.dm != NULL)
		nx_ini_conn_set_dm(s->c, s->st.dm, s->st.dm_ctx);
	return s;
}

static void sess_free(struct nx_conf_sess *s)
{
	env.sess[s->slot] = NULL;
	if (s->srp != NULL) {
		env.be->srp_disconnect(env.ctx, s->srp);
		free(s);
		return;
	}
	if (env.tgt.srp) {
		free(s); /* the login never happened (skipped or failed) */
		return;
	}
	if (s->c != NULL)
		nx_ini_conn_free(s->c);
	s->c = NULL;
	if (s->s != NULL)
		nx_ini_session_free(s->s);
	env.be->disconnect(env.ctx, &s->st);
	free(s);
}

int nx_conf_login_try(const struct nx_ini_config *cfg,
		      struct nx_ini_login *out, struct nx_conf_sess **sess)
{
	struct nx_conf_sess *s;

	NX_SKIP_IF_SRP("an iSCSI login (SRP logs in with SRP_LOGIN_REQ)");
	s = sess_new(cfg, 0);

	*sess = s;
	return nx_ini_sync_login(s->c, &env.drv, out);
}

static struct nx_conf_sess *login_on(const struct nx_ini_config *cfg,
				     unsigned port)
{
	struct nx_ini_login l;
	struct nx_conf_sess *s = sess_new(cfg, port);
	int rc;

	if (s->srp != NULL)
		return s;
	rc = nx_ini_sync_login(s->c, &env.drv, &l);

	if (rc != 0)
		nx_conf_note("login to %s failed: err %d, status %02x/%02x",
			     cfg->target_name, rc, l.status_class,
			     l.status_detail);
	assert_int_equal(rc, 0);
	assert_true(nx_ini_conn_is_ffp(s->c));
	return s;
}

struct nx_conf_sess *nx_conf_login_cfg(const struct nx_ini_config *cfg)
{
	return login_on(cfg, 0);
}

struct nx_conf_sess *nx_conf_login_port(unsigned initiator, unsigned port)
{
	struct nx_ini_config cfg;

	if (port >= (env.tgt.ports ? env.tgt.ports : 1))
		NX_SKIP("the target under test has no target port %u here "
			"(the in-process backends serve two)", port);
	nx_conf_config(&cfg, initiator);
	return login_on(&cfg, port);
}

struct nx_conf_sess *nx_conf_login(unsigned initiator)
{
	struct nx_ini_config cfg;

	nx_conf_config(&cfg, initiator);
	return nx_conf_login_cfg(&cfg);
}

void nx_conf_logout(struct nx_conf_sess *s)
{
	uint8_t response = 0xff;

	if (s->srp != NULL) {
		/* SRP 6.5: SRP_I_LOGOUT, then the channel ends. */
		nx_ini_srp_logout(s->srp);
		assert_true(poll_until(srp_ended, s->srp));
		sess_free(s);
		return;
	}
	assert_int_equal(nx_ini_sync_logout(s->c, &env.drv,
					    NX_INI_LOGOUT_SESSION, &response),
			 0);
	assert_int_equal(response, 0);
	sess_free(s);
}

void nx_conf_drop(struct nx_conf_sess *s)
{
	sess_free(s);
}

struct nx_ini_conn *nx_conf_conn(struct nx_conf_sess *s)
{
	NX_SKIP_IF_SRP("needs the iSCSI connection");
	return s->c;
}

struct nx_ini_session *nx_conf_ini(struct nx_conf_sess *s)
{
	NX_SKIP_IF_SRP("needs the iSCSI session");
	return s->s;
}

struct nx_ini_srp *nx_conf_srp(struct nx_conf_sess *s)
{
	return s->srp;
}

/* ---- SCSI commands -------------------------------------------------------- */

unsigned nx_conf_cdb_len(uint8_t opcode)
{
	switch (opcode >> 5) {
	case 0:
		return 6;
	case 1:
	case 2:
		return 10;
	case 4:
		return 16;
	case 5:
		return 12;
	default:
		return 16; /* 3: variable/reserved, 6-7: vendor specific */
	}
}

/* Fixed (SPC-4 4.5.3) or descriptor (4.5.2) format. */
static void decode_sense(struct nx_conf_result *r)
{
	const uint8_t *s = r->sense;
	uint8_t code;

	if (r->sense_len < 2)
		return;
	code = s[0] & 0x7f;
	if ((code == 0x70 || code == 0x71) && r->sense_len >= 14) {
		r->key = s[2] & 0x0f;
		r->asc = s[12];
		r->ascq = s[13];
		r->info_valid = (s[0] & 0x80) != 0;
		r->info = nx_get_be32(s + 3);
		if (r->sense_len >= 18 && (s[15] & 0x80)) {
			r->sksv = true;
			memcpy(r->sks, s + 15, 3);
		}
	} else if ((code == 0x72 || code == 0x73) && r->sense_len >= 8) {
		r->key = s[1] & 0x0f;
		r->asc = s[2];
		r->ascq = s[3];
		for (unsigned off = 8; off + 2 <= r->sense_len;) {
			uint8_t type = s[off], len = s[off + 1];

			if (off + 2u + len > r->sense_len)
				break;
			if (type == 0x00 && len >= 0x0a) {
				r->info_valid = (s[off + 2] & 0x80) != 0;
				r->info = nx_get_be64(s + off + 4);
			} else if (type == 0x02 && len >= 6 && (s[off + 4] & 0x80)) {
				r->sksv = true;
				memcpy(r->sks, s + off + 4, 3);
			}
			off += 2u + len;
		}
	}
}

static void result_from(struct nx_conf_result *r, const struct nx_ini_scsi *c,
			int err)
{
	memset(r, 0, sizeof(*r));
	r->err = err;
	if (err != 0)
		return;
	r->response = c->response;
	r->status = c->status;
	r->flags = c->flags;
	r->residual = c->residual;
	r->data_in_got = c->data_in_got;
	r->sense_len = c->sense_len;
	memcpy(r->sense, c->sense, c->sense_len);
	decode_sense(r);
}

static void cmd_build(struct nx_ini_scsi *x, const struct nx_conf_cmd *c)
{
	unsigned len = c->cdb_len ? c->cdb_len : nx_conf_cdb_len(c->cdb[0]);

	memset(x, 0, sizeof(*x));
	assert_true(len <= NX_INI_CDB_MAX);
	x->lun = c->lun_field;
	memcpy(x->cdb, c->cdb, len);
	x->cdb_len = (uint16_t)len;
	x->attr = c->attr;
	if (c->dir == NX_INI_DIR_READ) {
		x->data_in = c->buf;
		x->data_in_len = c->len;
	} else if (c->dir == NX_INI_DIR_WRITE) {
		x->data_out = c->buf;
		x->data_out_len = c->len;
	}
}

int nx_conf_scsi_ex(struct nx_conf_sess *s, const struct nx_conf_cmd *c,
		    struct nx_conf_result *r)
{
	struct nx_ini_scsi x;
	int rc;

	cmd_build(&x, c);
	if (s->srp != NULL)
		rc = srp_sync_cmd(s, &x);
	else
		rc = nx_ini_sync_cmd(s->c, &env.drv, &x);
	result_from(r, &x, rc);
	return rc;
}

int nx_conf_scsi(struct nx_conf_sess *s, const uint8_t *cdb,
		 enum nx_ini_dir dir, void *buf, uint32_t len,
		 struct nx_conf_result *r)
{
	struct nx_conf_cmd c = {
		.lun_field = nx_ini_lun(env.tgt.lun),
		.cdb = cdb,
		.attr = NX_INI_ATTR_SIMPLE,
		.dir = dir,
		.buf = buf,
		.len = len,
	};

	return nx_conf_scsi_ex(s, &c, r);
}

int nx_conf_inquiry(struct nx_conf_sess *s, bool evpd, uint8_t page,
		    uint16_t alloc, uint8_t *d, struct nx_conf_result *r)
{
	uint8_t cdb[6] = { 0x12, evpd ? 0x01 : 0x00, page };

	nx_put_be16(cdb + 3, alloc);
	if (alloc)
		memset(d, 0xee, alloc);
	return nx_conf_scsi(s, cdb, alloc ? NX_INI_DIR_READ : NX_INI_DIR_NONE,
			    d, alloc, r);
}

static void async_done(struct nx_ini_scsi *cmd)
{
	((struct nx_conf_async *)cmd->priv)->done = true;
}

int nx_conf_submit(struct nx_conf_sess *s, const struct nx_conf_cmd *c,
		   struct nx_conf_async *a)
{
	cmd_build(&a->cmd, c);
	a->done = false;
	a->cmd.done = async_done;
	a->cmd.priv = a;
	if (s->srp != NULL)
		return nx_ini_srp_scsi_submit(s->srp, &a->cmd);
	return nx_ini_scsi_submit(s->c, &a->cmd);
}

void nx_conf_cancel(struct nx_conf_sess *s, struct nx_conf_async *a)
{
	if (a->done)
		return;
	if (s->srp != NULL)
		(void)nx_ini_srp_cancel(s->srp, a->cmd.itt);
	else
		(void)nx_ini_cancel(s->s, a->cmd.itt);
}

int nx_conf_wait(struct nx_conf_sess *s, struct nx_conf_async *a,
		 struct nx_conf_result *r)
{
	uint32_t max = env.drv.steps_max ? env.drv.steps_max
					 : NX_INI_SYNC_STEPS_DEFAULT;

	for (uint32_t i = 0; i < max && !a->done; i++)
		env.be->poll(env.ctx);
	if (!a->done) {
		nx_conf_cancel(s, a);
		result_from(r, &a->cmd, NX_INI_ETIMEDOUT);
		return NX_INI_ETIMEDOUT;
	}
	result_from(r, &a->cmd, a->cmd.err);
	return a->cmd.err;
}

void nx_conf_clear_ua(struct nx_conf_sess *s)
{
	static const uint8_t tur[6] = { 0 };
	struct nx_conf_result r;

	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0,
					      &r), 0);
		if (r.status != 0x02 || r.key != SK_UNIT_ATTENTION)
			return;
	}
	fail_msg("unit attentions never cleared after 16 TEST UNIT READY");
}

struct nx_conf_sess *nx_conf_login_clear(unsigned initiator)
{
	struct nx_conf_sess *s = nx_conf_login(initiator);

	nx_conf_clear_ua(s);
	return s;
}

void nx_conf_capacity(struct nx_conf_sess *s, uint64_t *blocks,
		      uint32_t *block_size)
{
	uint8_t cdb[16] = { 0x9e, 0x10 }, d[32];
	struct nx_conf_result r;

	if (!env.have_cap) {
		nx_put_be32(cdb + 10, sizeof(d));
		nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
		if (r.status == 0x02 && r.key == SK_UNIT_ATTENTION)
			nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
		NX_EXPECT_GOOD(&r);
		env.blocks = nx_get_be64(d) + 1;
		env.block_size = nx_get_be32(d + 8);
		env.have_cap = true;
	}
	if (blocks != NULL)
		*blocks = env.blocks;
	if (block_size != NULL)
		*block_size = env.block_size;
}

void nx_conf_pattern(void *buf, uint32_t len, uint64_t lba, uint32_t salt)
{
	uint8_t *p = buf;
	uint64_t x = env.seed ^ (lba * 0x9e3779b97f4a7c15ull) ^ salt;

	for (uint32_t i = 0; i < len; i++) {
		if ((i & 7) == 0) {
			x += 0x9e3779b97f4a7c15ull;
			x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
			x ^= x >> 31;
		}
		p[i] = (uint8_t)(x >> ((i & 7) * 8));
	}
}

static void rw16(struct nx_conf_sess *s, uint8_t op, uint64_t lba,
		 uint32_t blocks, void *buf)
{
	uint8_t cdb[16] = { op };
	uint32_t bs;
	struct nx_conf_result r;

	nx_conf_capacity(s, NULL, &bs);
	nx_put_be64(cdb + 2, lba);
	nx_put_be32(cdb + 10, blocks);
	nx_conf_scsi(s, cdb, op == 0x8a ? NX_INI_DIR_WRITE : NX_INI_DIR_READ,
		     buf, blocks * bs, &r);
	NX_EXPECT_GOOD(&r);
}

void nx_conf_write(struct nx_conf_sess *s, uint64_t lba, uint32_t blocks,
		   const void *buf)
{
	rw16(s, 0x8a, lba, blocks, (void *)(uintptr_t)buf);
}

void nx_conf_read(struct nx_conf_sess *s, uint64_t lba, uint32_t blocks,
		  void *buf)
{
	rw16(s, 0x88, lba, blocks, buf);
}

int nx_conf_mode_sense(struct nx_conf_sess *s, uint8_t pc, uint8_t page,
		       uint8_t subpage, uint8_t *buf, uint16_t len,
		       struct nx_conf_result *r)
{
	uint8_t cdb[10] = { 0x5a, 0x08 };

	cdb[2] = (uint8_t)(pc << 6 | (page & 0x3f));
	cdb[3] = subpage;
	nx_put_be16(cdb + 7, len);
	memset(buf, 0, len);
	return nx_conf_scsi(s, cdb, NX_INI_DIR_READ, buf, len, r);
}

/* ---- TMF, raw PDUs ---------------------------------------------------------- */

/* SRP r16a 6.7 codes for the iSCSI function numbers; 0: none. */
static uint8_t srp_tmf_fn(uint8_t fn)
{
	switch (fn) {
	case NX_INI_TMF_ABORT_TASK:
		return NX_SRP_TMF_ABORT_TASK;
	case NX_INI_TMF_ABORT_TASK_SET:
		return NX_SRP_TMF_ABORT_TASK_SET;
	case NX_INI_TMF_CLEAR_ACA:
		return NX_SRP_TMF_CLEAR_ACA;
	case NX_INI_TMF_CLEAR_TASK_SET:
		return NX_SRP_TMF_CLEAR_TASK_SET;
	case NX_INI_TMF_LOGICAL_UNIT_RESET:
		return NX_SRP_TMF_LUN_RESET;
	default:
		return 0;
	}
}

static uint8_t srp_tmf_rsp(uint8_t code)
{
	switch (code) {
	case NX_SRP_RSP_COMPLETE:
		return NX_INI_TMF_RSP_COMPLETE;
	case NX_SRP_RSP_FIELDS_INVALID:
		return NX_INI_TMF_RSP_NO_LUN;
	case NX_SRP_RSP_TMF_NOT_SUPPORTED:
		return NX_INI_TMF_RSP_NOT_SUPPORTED;
	default:
		return NX_INI_TMF_RSP_REJECTED;
	}
}

static void srp_tmf_done(struct nx_ini_srp_tmf *t)
{
	*(bool *)t->priv = true;
}

static int srp_tmf(struct nx_conf_sess *s, uint8_t fn, uint64_t lun_field,
		   uint32_t ref_itt, uint8_t *response)
{
	struct nx_ini_srp_tmf t = { .fn = srp_tmf_fn(fn), .lun = lun_field,
				    .task_tag = ref_itt };
	bool done = false;
	int rc;

	if (t.fn == 0)
		NX_SKIP("not over SRP: SRP r16a has no code for task management "
			"function %u (iSCSI numbering)", fn);
	t.done = srp_tmf_done;
	t.priv = &done;
	rc = nx_ini_srp_tmf_submit(s->srp, &t);
	if (rc == 0 && !poll_until(srp_cmd_done, &done)) {
		(void)nx_ini_srp_cancel(s->srp, t.tag);
		rc = NX_INI_ETIMEDOUT;
	} else if (rc == 0) {
		rc = t.err;
	}
	if (response != NULL)
		*response = srp_tmf_rsp(t.rsp_code);
	return rc;
}

int nx_conf_tmf_ex(struct nx_conf_sess *s, uint8_t fn, uint64_t lun_field,
		   uint32_t ref_itt, uint32_t ref_cmdsn, uint8_t *response)
{
	struct nx_ini_tmf t;
	int rc;

	if (s->srp != NULL)
		return srp_tmf(s, fn, lun_field, ref_itt, response);
	memset(&t, 0, sizeof(t));
	t.function = fn;
	t.lun = lun_field;
	t.ref_itt = ref_itt;
	t.ref_cmdsn = ref_cmdsn;
	rc = nx_ini_sync_tmf(s->c, &env.drv, &t);
	if (response != NULL)
		*response = t.response;
	return rc;
}

int nx_conf_tmf(struct nx_conf_sess *s, uint8_t fn, uint64_t lun_field,
		const struct nx_ini_scsi *ref, uint8_t *response)
{
	return nx_conf_tmf_ex(s, fn, lun_field,
			      ref != NULL ? ref->itt : 0xffffffff,
			      ref != NULL ? ref->cmdsn : 0, response);
}

void nx_conf_capture(struct nx_conf_sess *s, uint8_t opcode)
{
	NX_SKIP_IF_SRP("captures iSCSI PDUs");
	s->capturing = true;
	s->captured = false;
	s->cap_op = opcode;
	s->seen_count = 0;
}

int nx_conf_expect_pdu(struct nx_conf_sess *s, struct nx_conf_pdu *pdu)
{
	uint32_t max = env.drv.steps_max ? env.drv.steps_max
					 : NX_INI_SYNC_STEPS_DEFAULT;

	for (uint32_t i = 0; i < max && !s->captured; i++)
		env.be->poll(env.ctx);
	s->capturing = false;
	if (!s->captured)
		return NX_INI_ETIMEDOUT;
	*pdu = s->pdu;
	return 0;
}

void nx_conf_watch(struct nx_conf_sess *s)
{
	s->capturing = false;
	s->seen_count = 0;
}

bool nx_conf_saw_itt(struct nx_conf_sess *s, uint32_t itt)
{
	NX_SKIP_IF_SRP("watches iSCSI PDUs");
	for (unsigned i = 0; i < s->seen_count; i++)
		if (s->seen[i] == itt)
			return true;
	return false;
}

void nx_conf_send_pdu(struct nx_conf_sess *s, const uint8_t bhs[48],
		      const void *data, uint32_t len)
{
	NX_SKIP_IF_SRP("sends a raw iSCSI PDU");
	assert_int_equal(nx_ini_send_raw_pdu(s->c, bhs, data, len), 0);
}

/* Low byte 0xff is above every slot index the library uses (ITT = gen <<
 * 8 | slot), so answers to these never match a library request. */
uint32_t nx_conf_raw_itt(struct nx_conf_sess *s)
{
	NX_SKIP_IF_SRP("an iSCSI ITT");
	return 0x4e000000u | (++s->raw_itts & 0xffff) << 8 | 0xffu;
}

/* ---- raw connections -------------------------------------------------------- */

static void raw_rx(struct nx_conf_stream *st, const uint8_t *buf, size_t len)
{
	struct nx_conf_raw *r = st->owner;

	if (r->len + len > r->cap) {
		r->cap = (r->len + len) * 2 + 4096;
		r->buf = realloc(r->buf, r->cap);
		assert_non_null(r->buf);
	}
	memcpy(r->buf + r->len, buf, len);
	r->len += len;
}

static void raw_eof(struct nx_conf_stream *st)
{
	((struct nx_conf_raw *)st->owner)->eof = true;
}

struct nx_conf_raw *nx_conf_raw_open(void)
{
	struct nx_conf_raw *r;
	unsigned slot = RAW_MAX;

	NX_SKIP_IF_SRP("a raw iSCSI connection");
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	for (unsigned i = 0; i < RAW_MAX && slot == RAW_MAX; i++)
		if (env.raw[i] == NULL)
			slot = i;
	if (slot == RAW_MAX) {
		free(r);
		fail_msg("more than %u raw connections in one test", RAW_MAX);
	}
	r->slot = slot;
	env.raw[slot] = r;
	r->st.rx = raw_rx;
	r->st.eof = raw_eof;
	r->st.owner = r;
	assert_int_equal(env.be->connect(env.ctx, &r->st), 0);
	return r;
}

void nx_conf_raw_send(struct nx_conf_raw *r, const uint8_t bhs[48],
		      const void *data, uint32_t len)
{
	static const uint8_t pad[4];
	struct nx_iovec iov[3] = {
		{ bhs, 48 }, { data, len }, { pad, (4 - (len & 3)) & 3 },
	};

	r->st.send(&r->st, iov, 3);
}

int nx_conf_raw_recv(struct nx_conf_raw *r, struct nx_conf_pdu *pdu)
{
	uint32_t max = env.drv.steps_max ? env.drv.steps_max
					 : NX_INI_SYNC_STEPS_DEFAULT;

	for (uint32_t i = 0; i <= max; i++) {
		if (r->len >= 48) {
			uint32_t dsl = nx_get_be24(r->buf + 5);
			size_t total = 48 + (size_t)r->buf[4] * 4 +
				       ((dsl + 3) & ~3u);

			if (r->len >= total) {
				memcpy(pdu->bhs, r->buf, 48);
				pdu->data_len = dsl;
				memcpy(pdu->data, r->buf + 48 + r->buf[4] * 4,
				       NX_MIN(dsl, (uint32_t)sizeof(pdu->data)));
				memmove(r->buf, r->buf + total, r->len - total);
				r->len -= total;
				return 0;
			}
		}
		if (r->eof)
			return NX_INI_ECONNRESET;
		env.be->poll(env.ctx);
	}
	return NX_INI_ETIMEDOUT;
}

static void raw_free(struct nx_conf_raw *r)
{
	env.raw[r->slot] = NULL;
	env.be->disconnect(env.ctx, &r->st);
	free(r->buf);
	free(r);
}

void nx_conf_raw_free(struct nx_conf_raw *r)
{
	raw_free(r);
}

void nx_conf_login_bhs(uint8_t bhs[48], const uint8_t isid[6], uint32_t itt,
		       uint32_t cmdsn, uint8_t csg, uint8_t nsg,
		       uint32_t data_len)
{
	memset(bhs, 0, 48);
	bhs[0] = 0x40 | 0x03;                    /* immediate, Login Request */
	bhs[1] = (uint8_t)(0x80 | (csg & 3) << 2 | (nsg & 3)); /* T=1 */
	nx_put_be24(bhs + 5, data_len);
	memcpy(bhs + 8, isid, 6);
	nx_put_be32(bhs + 16, itt);
	nx_put_be32(bhs + 24, cmdsn);
}

uint32_t nx_conf_kv(char *buf, uint32_t cap, uint32_t len, const char *key,
		    const char *value)
{
	int n = snprintf(buf + len, cap - len, "%s=%s", key, value);

	assert_true(n > 0 && (uint32_t)n + 1 <= cap - len);
	return len + (uint32_t)n + 1; /* keep the NUL */
}

/* ---- expectations ------------------------------------------------------------- */

static const char *status_name(uint8_t st)
{
	switch (st) {
	case 0x00: return "GOOD";
	case 0x02: return "CHECK CONDITION";
	case 0x04: return "CONDITION MET";
	case 0x08: return "BUSY";
	case 0x18: return "RESERVATION CONFLICT";
	case 0x28: return "TASK SET FULL";
	case 0x30: return "ACA ACTIVE";
	case 0x40: return "TASK ABORTED";
	default: return "status";
	}
}

static const char *key_name(uint8_t key)
{
	static const char *const names[16] = {
		"NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR",
		"HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION",
		"DATA PROTECT", "BLANK CHECK", "VENDOR SPECIFIC", "COPY ABORTED",
		"ABORTED COMMAND", "RESERVED", "VOLUME OVERFLOW", "MISCOMPARE",
		"COMPLETED",
	};
	return names[key & 0x0f];
}

void nx_conf_describe(const struct nx_conf_result *r, char *buf, size_t cap)
{
	if (r->err != 0)
		snprintf(buf, cap, "transport error %d", r->err);
	else if (r->response != 0)
		snprintf(buf, cap, "iSCSI response %02xh", r->response);
	else if (r->status == 0x02)
		snprintf(buf, cap, "CHECK CONDITION %s %02Xh/%02Xh",
			 key_name(r->key), r->asc, r->ascq);
	else
		snprintf(buf, cap, "%s (%02xh)", status_name(r->status),
			 r->status);
}

static void expect_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void expect_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nx_conf_note("%s:%d: %s", file, line, msg);
	_fail(file, line);
	abort(); /* _fail longjmps out of the test */
}

void nx_conf_expect_ok_(const struct nx_conf_result *r, const char *file,
			int line)
{
	char got[128];

	if (r->err == 0 && r->response == 0)
		return;
	nx_conf_describe(r, got, sizeof(got));
	expect_fail(file, line, "expected a SCSI Response, got %s", got);
}

void nx_conf_expect_status_(const struct nx_conf_result *r, uint8_t status,
			    const char *file, int line)
{
	char got[128];

	if (r->err == 0 && r->response == 0 && r->status == status)
		return;
	nx_conf_describe(r, got, sizeof(got));
	expect_fail(file, line, "expected %s (%02xh), got %s",
		    status_name(status), status, got);
}

void nx_conf_expect_sense_(const struct nx_conf_result *r, uint8_t key,
			   uint8_t asc, uint8_t ascq, const char *file,
			   int line)
{
	char got[128];

	if (r->err == 0 && r->response == 0 && r->status == 0x02 &&
	    r->key == key && r->asc == asc && r->ascq == ascq)
		return;
	nx_conf_describe(r, got, sizeof(got));
	expect_fail(file, line,
		    "expected CHECK CONDITION %s %02Xh/%02Xh, got %s",
		    key_name(key), asc, ascq, got);
}

void nx_conf_expect_field_(const struct nx_conf_result *r, bool cd,
			   uint16_t byte, int bit, const char *file, int line)
{
	uint8_t want0 = (uint8_t)(0x80 | (cd ? 0x40 : 0) |
				  (bit >= 0 ? 0x08 | (bit & 7) : 0));

	if (r->sksv && r->sks[0] == want0 && nx_get_be16(r->sks + 1) == byte)
		return;
	expect_fail(file, line,
		    "expected field pointer SKSV=1 C/D=%d BPV=%d bit %d byte %u, got %s %02x %02x %02x",
		    cd, bit >= 0, bit < 0 ? 0 : bit, byte,
		    r->sksv ? "SKSV=1" : "SKSV=0", r->sks[0], r->sks[1],
		    r->sks[2]);
}

void nx_conf_expect_info_(const struct nx_conf_result *r, uint64_t value,
			  const char *file, int line)
{
	if (r->info_valid && r->info == value)
		return;
	expect_fail(file, line,
		    "expected INFORMATION %" PRIu64 " (VALID=1), got %" PRIu64
		    " (VALID=%d)",
		    value, r->info, r->info_valid);
}

static void hex_line(char *out, size_t cap, const uint8_t *p, size_t off,
		     size_t len)
{
	size_t n = 0;

	for (size_t i = off; i < off + 16 && i < len && n + 4 < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%02x ", p[i]);
}

void nx_conf_expect_bytes_(const void *got, const void *exp, size_t len,
			   const char *what, const char *file, int line)
{
	const uint8_t *g = got, *e = exp;
	size_t at = 0;
	char gl[64], el[64];

	while (at < len && g[at] == e[at])
		at++;
	if (at == len)
		return;
	hex_line(gl, sizeof(gl), g, at & ~(size_t)15, len);
	hex_line(el, sizeof(el), e, at & ~(size_t)15, len);
	expect_fail(file, line,
		    "%s: first difference at byte %zu of %zu (got %02xh, expected %02xh)\n"
		    "    got      @%zu: %s\n    expected @%zu: %s",
		    what, at, len, g[at], e[at], at & ~(size_t)15, gl,
		    at & ~(size_t)15, el);
}

void nx_conf_expect_eq_(const char *what, uint64_t got, uint64_t exp,
			const char *file, int line)
{
	if (got == exp)
		return;
	expect_fail(file, line, "%s: expected %" PRIu64 " (0x%" PRIx64
		    "), got %" PRIu64 " (0x%" PRIx64 ")",
		    what, exp, exp, got, got);
}

void nx_conf_expect_true_(const char *what, bool cond, const char *expr,
			  const char *file, int line)
{
	if (cond)
		return;
	expect_fail(file, line, "%s: expected %s", what, expr);
}

bool nx_conf_unsupported(const struct nx_conf_result *r)
{
	return r->err == 0 && r->response == 0 && r->status == 0x02 &&
	       r->key == SK_ILLEGAL_REQUEST && r->asc == 0x20 &&
	       r->ascq == 0x00;
}

void nx_conf_note_hex(const char *what, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	char line[3 * 32 + 1];
	size_t n = 0;

	for (size_t i = 0; i < len && i < 32; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x ", p[i]);
	line[n] = '\0';
	nx_conf_note("%s: %s%s", what, line, len > 32 ? "..." : "");
}
