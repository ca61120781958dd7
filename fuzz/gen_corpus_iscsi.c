/*
 * gen_corpus_iscsi.c - the iSCSI seeds: the initiator library against the fuzz world,
 * its traffic split into fuzz_conn_stream, fuzz_login_keys and fuzz_pdu seeds
 * (gen_corpus.c writes the files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initiator/nx_ini_sync.h"
#include "fuzz/gen_corpus.h"

/* ---- capture: the initiator against the fuzz world ----------------------- */

struct cap {
	struct fz_iscsi f;
	struct nx_ini_session *s;
	struct nx_ini_conn *ic;
	struct bb to_tgt;       /* queued, not yet fed */
	size_t to_tgt_rd;
	struct bb stream;       /* everything fed to the target */
	bool ini_close;
	struct nx_ini_driver drv;
};

static struct cap cp;

static void ini_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gc_bb_put(&cp.to_tgt, iov[i].base, iov[i].len);
}

static void ini_close(void *ctx)
{
	cp.ini_close = true;
}

static const struct nx_ini_conn_ops ini_ops = { .send = ini_send,
						 .close = ini_close };

static void pump(void *ctx)
{
	if (cp.to_tgt_rd < cp.to_tgt.n && !cp.f.close_called) {
		size_t n = cp.to_tgt.n - cp.to_tgt_rd;

		gc_bb_put(&cp.stream, cp.to_tgt.d + cp.to_tgt_rd, n);
		fz_iscsi_feed(&cp.f, cp.to_tgt.d + cp.to_tgt_rd, n, 0);
		cp.to_tgt_rd = cp.to_tgt.n;
	}
	if (cp.f.out_pos < cp.f.out_len && !nx_ini_conn_is_dead(cp.ic)) {
		size_t n = cp.f.out_len - cp.f.out_pos;

		cp.f.out_pos = cp.f.out_len;
		nx_ini_conn_input(cp.ic, cp.f.out + cp.f.out_len - n, n);
	}
}

static void cap_open(enum fz_auth auth, const struct nx_ini_config *cfg)
{
	free(cp.to_tgt.d);
	free(cp.stream.d);
	memset(&cp, 0, sizeof(cp));
	fz_platform_reset();
	fz_iscsi_open(&cp.f, auth);
	cp.s = nx_ini_session_new(cfg);
	cp.ic = nx_ini_conn_new(cp.s, 1, &ini_ops, NULL);
	if (cp.s == NULL || cp.ic == NULL)
		gc_die("initiator");
	cp.drv.poll = pump;
	cp.drv.steps_max = 10000;
}

static void cap_close(void)
{
	pump(NULL);
	nx_ini_conn_free(cp.ic);
	nx_ini_session_free(cp.s);
	fz_iscsi_close(&cp.f);
}

static void cfg_default(struct nx_ini_config *cfg, bool digests)
{
	static const uint8_t isid[6] = { 0x80, 0x12, 0x34, 0x56, 0x78, 0x9a };

	nx_ini_config_init(cfg, FZ_INITIATOR_NAME, FZ_TARGET_NAME);
	memcpy(cfg->isid, isid, 6);
	/* the operational values fz_login_pdu() offers, so the FFP part of
	 * a capture is also valid after fuzz_pdu's own login */
	cfg->skip_security = true;
	snprintf(cfg->header_digest, sizeof(cfg->header_digest), "%s",
		 digests ? "CRC32C" : "None");
	snprintf(cfg->data_digest, sizeof(cfg->data_digest), "%s",
		 digests ? "CRC32C" : "None");
	cfg->initial_r2t = false;
	cfg->immediate_data = true;
	cfg->max_recv_dsl = 65536;
	cfg->first_burst_length = 65536;
	cfg->max_burst_length = 262144;
	cfg->max_outstanding_r2t = 4;
}

static void must(int rc, const char *what)
{
	if (rc != 0)
		gc_die(what);
}

static void scsi(uint32_t lun, const uint8_t *cdb, unsigned len,
		 enum nx_ini_dir dir, uint32_t xfer)
{
	static struct nx_ini_scsi r;
	static uint8_t buf[65536];

	memset(buf, 0x5a, sizeof(buf));
	must(nx_ini_sync_scsi(cp.ic, &cp.drv, lun, cdb, len, dir, buf, xfer, &r),
	     "scsi command");
}

static void logout(void)
{
	uint8_t response = 0xff;

	must(nx_ini_sync_logout(cp.ic, &cp.drv, NX_INI_LOGOUT_SESSION, &response),
	     "logout");
}

static void login(void)
{
	struct nx_ini_login req;

	must(nx_ini_sync_login(cp.ic, &cp.drv, &req), "login");
	if (req.status_class != 0 || !nx_ini_conn_is_ffp(cp.ic))
		gc_die("login refused");
}

/* A typical session: discovery of the LU, I/O of every data-out shape. */
static void session_io(unsigned variant)
{
	static const uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t vpd[6] = { 0x12, 1, 0x00, 0, 255, 0 };
	static const uint8_t tur[6] = { 0 };
	static const uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t rc16[16] = { 0x9e, 0x10, [13] = 32 };
	static const uint8_t wr1[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t wr16[10] = { 0x2a, 0, 0, 0, 0, 8, 0, 0, 16, 0 };
	static const uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 16, 0 };
	static const uint8_t ms[10] = { 0x5a, 0, 0x3f, 0, 0, 0, 0, 1, 0, 0 };
	static const uint8_t sync[10] = { 0x35 };

	scsi(0, inq, 6, NX_INI_DIR_READ, 96);
	scsi(0, tur, 6, NX_INI_DIR_NONE, 0);
	if (variant == 0) {
		scsi(0, vpd, 6, NX_INI_DIR_READ, 255);
		scsi(0, rl, 12, NX_INI_DIR_READ, 256);
		scsi(0, rc16, 16, NX_INI_DIR_READ, 32);
		scsi(0, ms, 10, NX_INI_DIR_READ, 256);
	}
	scsi(0, wr1, 10, NX_INI_DIR_WRITE, 512);
	/* immediate + unsolicited, or R2T with InitialR2T=Yes */
	scsi(0, wr16, 10, NX_INI_DIR_WRITE, 8192);
	scsi(0, rd, 10, NX_INI_DIR_READ, 8192);
	if (variant == 0) {
		scsi(1, rd, 10, NX_INI_DIR_READ, 8192);
		scsi(0, sync, 10, NX_INI_DIR_NONE, 0);
	}
}

static void session_misc(void)
{
	struct nx_ini_tmf tmf;
	struct nx_ini_text txt;
	bool match = false;
	static const uint8_t ws[10] = { 0x41, 0x08, 0, 0, 0, 16, 0, 0, 8, 0 };
	static const uint8_t unmap[10] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 };
	uint8_t list[24] = { 0, 22, 0, 16, [8 + 7] = 32, [8 + 11] = 8 };
	static struct nx_ini_scsi r;

	must(nx_ini_sync_nop(cp.ic, &cp.drv, "ping", 4, &match), "nop");
	memset(&tmf, 0, sizeof(tmf));
	tmf.function = 1; /* ABORT TASK of nothing */
	tmf.ref_itt = 0x1234;
	must(nx_ini_sync_tmf(cp.ic, &cp.drv, &tmf), "tmf");
	memset(&tmf, 0, sizeof(tmf));
	tmf.function = 5; /* LOGICAL UNIT RESET */
	tmf.ref_itt = NX_ISCSI_RSVD_TAG;
	must(nx_ini_sync_tmf(cp.ic, &cp.drv, &tmf), "tmf");
	scsi(0, ws, 10, NX_INI_DIR_WRITE, 512);
	must(nx_ini_sync_scsi(cp.ic, &cp.drv, 0, unmap, 10, NX_INI_DIR_WRITE,
			      list, sizeof(list), &r), "unmap");
	memset(&txt, 0, sizeof(txt));
	txt.keys = "SendTargets=All";
	must(nx_ini_sync_text(cp.ic, &cp.drv, &txt), "text");
}

/* Splits a captured stream into PDUs (digests as negotiated after the
 * first Login Response); calls fn for each. */
typedef void (*pdu_fn)(void *arg, const uint8_t *pdu, size_t len,
		       const uint8_t *data, uint32_t dsl, bool ffp);

static void walk(const struct bb *s, bool hd, bool dd, pdu_fn fn, void *arg)
{
	size_t off = 0;
	bool ffp = false;

	while (s->n - off >= NX_ISCSI_BHS_LEN) {
		const uint8_t *p = s->d + off;
		uint32_t dsl = nx_pdu_dsl(p);
		bool h = ffp && hd, d = ffp && dd && dsl > 0;
		size_t hlen = NX_ISCSI_BHS_LEN + p[4] * 4u + (h ? 4 : 0);
		size_t len = hlen + nx_iscsi_pad4(dsl) + (d ? 4 : 0);

		if (len > s->n - off)
			gc_die("truncated capture");
		fn(arg, p, len, p + hlen, dsl, ffp);
		/* the last Login Request carries T and NSG = 3 */
		if ((p[0] & 0x3f) == NX_ISCSI_OP_LOGIN_REQ && (p[1] & 0x83) == 0x83)
			ffp = true;
		off += len;
	}
}

struct split {
	struct bb raw;     /* FFP PDUs as they travelled */
	struct bb framed;  /* FFP PDUs without digests and padding */
	struct bb keys;    /* fuzz_login_keys records */
	bool first_rec;
};

static void split_pdu(void *arg, const uint8_t *pdu, size_t len,
		      const uint8_t *data, uint32_t dsl, bool ffp)
{
	struct split *sp = arg;
	uint8_t op = pdu[0] & 0x3f;

	if (op == NX_ISCSI_OP_LOGIN_REQ || op == NX_ISCSI_OP_TEXT_REQ) {
		uint8_t ctl = op == NX_ISCSI_OP_LOGIN_REQ ? pdu[1] & 0xcf
							  : 0x20 | (pdu[1] & 0xc0);
		if (!sp->first_rec)
			gc_bb_put(&sp->keys, FZ_SEP, FZ_SEP_LEN);
		sp->first_rec = false;
		gc_bb_byte(&sp->keys, ctl);
		gc_bb_put(&sp->keys, data, dsl);
	}
	if (!ffp)
		return;
	gc_bb_put(&sp->raw, pdu, len);
	gc_bb_put(&sp->framed, pdu, NX_ISCSI_BHS_LEN + pdu[4] * 4u);
	gc_bb_put(&sp->framed, data, dsl);
}

/* A fuzz_pdu seed: mode byte, chunk 0, the PDUs (b is scratch). */
static void pdu_seed(struct bb *b, const char *name, uint8_t mode,
		     const struct bb *pdus)
{
	b->n = 0;
	gc_bb_byte(b, mode);
	gc_bb_byte(b, 0);
	gc_bb_put(b, pdus->d, pdus->n);
	gc_put_file("fuzz_pdu", name, b->d, b->n);
}

/* Writes the seeds one capture gives every iSCSI target. */
static void emit(const char *name, enum fz_auth auth, bool hd, bool dd,
		 bool pdu_seeds)
{
	struct split sp;
	struct bb b = { 0 };
	char fname[128];

	memset(&sp, 0, sizeof(sp));
	sp.first_rec = true;
	gc_bb_byte(&b, (uint8_t)auth);
	gc_bb_byte(&b, 0);
	gc_bb_put(&b, cp.stream.d, cp.stream.n);
	gc_put_file("fuzz_conn_stream", name, b.d, b.n);
	b.d[1] = 7; /* the same stream in 7-byte segments */
	snprintf(fname, sizeof(fname), "%s-chunk7", name);
	gc_put_file("fuzz_conn_stream", fname, b.d, b.n);
	walk(&cp.stream, hd, dd, split_pdu, &sp);
	b.n = 0;
	gc_bb_byte(&b, (uint8_t)auth);
	gc_bb_put(&b, sp.keys.d, sp.keys.n);
	gc_put_file("fuzz_login_keys", name, b.d, b.n);
	if (pdu_seeds) {
		uint8_t mode = (uint8_t)((hd ? 1 : 0) | (dd ? 2 : 0));

		pdu_seed(&b, name, mode, &sp.raw);
		snprintf(fname, sizeof(fname), "%s-framed", name);
		pdu_seed(&b, fname, mode | 4, &sp.framed);
	}
	free(b.d);
	free(sp.raw.d);
	free(sp.framed.d);
	free(sp.keys.d);
}

/* What a captured session does between login and logout. */
enum { S_IO0 = 1, S_IO1 = 2, S_MISC = 4, S_SENDTARGETS = 8 };

/* Logs in with cfg against a world with `auth`, runs the sessions, logs
 * out and writes the capture's seeds (emit). */
static void capture(const char *name, enum fz_auth auth,
		    const struct nx_ini_config *cfg, unsigned sessions,
		    bool digests, bool pdu_seeds)
{
	cap_open(auth, cfg);
	login();
	if (sessions & S_IO0)
		session_io(0);
	if (sessions & S_IO1)
		session_io(1);
	if (sessions & S_MISC)
		session_misc();
	if (sessions & S_SENDTARGETS) {
		struct nx_ini_target tg[4];
		unsigned count = 0;

		must(nx_ini_sync_sendtargets(cp.ic, &cp.drv, tg, 4, &count),
		     "sendtargets");
		if (count != 2)
			gc_die("sendtargets count");
	}
	logout();
	cap_close();
	emit(name, auth, digests, digests, pdu_seeds);
}

void gen_iscsi(void)
{
	struct nx_ini_config cfg;

	cfg_default(&cfg, false);
	capture("io", FZ_AUTH_NONE, &cfg, S_IO0, false, true);
	cfg_default(&cfg, true);
	capture("io-digests", FZ_AUTH_NONE, &cfg, S_IO1 | S_MISC, true, true);
	cfg_default(&cfg, false);
	capture("misc", FZ_AUTH_NONE, &cfg, S_MISC, false, true);

	cfg_default(&cfg, false);
	cfg.skip_security = false;
	cfg.initial_r2t = true;
	cfg.immediate_data = false;
	snprintf(cfg.chap_user, sizeof(cfg.chap_user), FZ_CHAP_USER);
	snprintf(cfg.chap_secret, sizeof(cfg.chap_secret), FZ_CHAP_SECRET);
	capture("chap", FZ_AUTH_CHAP, &cfg, S_IO1, false, false);
	snprintf(cfg.mutual_user, sizeof(cfg.mutual_user), FZ_MCHAP_USER);
	snprintf(cfg.mutual_secret, sizeof(cfg.mutual_secret), FZ_MCHAP_SECRET);
	capture("chap-mutual", FZ_AUTH_MUTUAL, &cfg, 0, false, false);

	nx_ini_config_init(&cfg, FZ_INITIATOR_NAME, NULL);
	capture("discovery", FZ_AUTH_NONE, &cfg, S_SENDTARGETS, false, false);
	free(cp.to_tgt.d);
	free(cp.stream.d);
}
