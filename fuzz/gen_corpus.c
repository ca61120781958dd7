/*
 * gen_corpus.c - writes the seed corpora and dictionaries of fuzz/.
 *
 *   gen_corpus <fuzz-dir>     (make fuzz-corpus)
 *
 * iSCSI seeds are captured traffic: the initiator library (initiator/)
 * logs in to the target in the very world the fuzz targets build
 * (fz_iscsi_open, same PRNG seed, so the same CHAP challenge) and runs
 * sessions; what the initiator sent is the fuzz_conn_stream seed, its
 * Login/Text data segments are fuzz_login_keys records, and its full
 * feature phase PDUs are fuzz_pdu seeds (raw and framed).  Core seeds come
 * from the opcode tables (every opcode and service action, fields within
 * the CDB usage mask), mode pages as MODE SENSE reports them, and UNMAP /
 * WRITE SAME lists.  Dictionaries come from the same tables (opcodes, the
 * RFC 7143 key table).  Everything is deterministic: rerunning rewrites
 * the same files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_common.h"
#include "initiator/nx_ini_sync.h"
#include "transports/iscsi/nego_internal.h"

static const char *root;

static void die(const char *what)
{
	fprintf(stderr, "gen_corpus: %s\n", what);
	exit(1);
}

static void mkdir_p(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			die(tmp);
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		die(tmp);
}

static void put_file(const char *target, const char *name, const void *d,
		     size_t n)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/corpus/%s", root, target);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/corpus/%s/%s", root, target, name);
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(d, 1, n, fp) != n || fclose(fp) != 0)
		die(path);
}

/* ---- a growable byte buffer ---------------------------------------------- */

struct bb {
	uint8_t *d;
	size_t n, cap;
};

static void bb_put(struct bb *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 256;
		b->d = realloc(b->d, b->cap);
		if (b->d == NULL)
			die("out of memory");
	}
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void bb_byte(struct bb *b, uint8_t v)
{
	bb_put(b, &v, 1);
}

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
		bb_put(&cp.to_tgt, iov[i].base, iov[i].len);
}

static void ini_close(void *ctx)
{
	cp.ini_close = true;
}

static const struct nx_ini_conn_ops ini_ops = { ini_send, ini_close };

static void pump(void *ctx)
{
	if (cp.to_tgt_rd < cp.to_tgt.n && !cp.f.close_called) {
		size_t n = cp.to_tgt.n - cp.to_tgt_rd;

		bb_put(&cp.stream, cp.to_tgt.d + cp.to_tgt_rd, n);
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
		die("initiator");
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
		die(what);
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
		die("login refused");
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
			die("truncated capture");
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
			bb_put(&sp->keys, FZ_SEP, FZ_SEP_LEN);
		sp->first_rec = false;
		bb_byte(&sp->keys, ctl);
		bb_put(&sp->keys, data, dsl);
	}
	if (!ffp)
		return;
	bb_put(&sp->raw, pdu, len);
	bb_put(&sp->framed, pdu, NX_ISCSI_BHS_LEN + pdu[4] * 4u);
	bb_put(&sp->framed, data, dsl);
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
	bb_byte(&b, (uint8_t)auth);
	bb_byte(&b, 0);
	bb_put(&b, cp.stream.d, cp.stream.n);
	put_file("fuzz_conn_stream", name, b.d, b.n);
	b.d[1] = 7; /* the same stream in 7-byte segments */
	snprintf(fname, sizeof(fname), "%s-chunk7", name);
	put_file("fuzz_conn_stream", fname, b.d, b.n);
	walk(&cp.stream, hd, dd, split_pdu, &sp);
	b.n = 0;
	bb_byte(&b, (uint8_t)auth);
	bb_put(&b, sp.keys.d, sp.keys.n);
	put_file("fuzz_login_keys", name, b.d, b.n);
	if (pdu_seeds) {
		uint8_t mode = (uint8_t)((hd ? 1 : 0) | (dd ? 2 : 0));

		b.n = 0;
		bb_byte(&b, mode);
		bb_byte(&b, 0);
		bb_put(&b, sp.raw.d, sp.raw.n);
		put_file("fuzz_pdu", name, b.d, b.n);
		b.n = 0;
		bb_byte(&b, mode | 4);
		bb_byte(&b, 0);
		bb_put(&b, sp.framed.d, sp.framed.n);
		snprintf(fname, sizeof(fname), "%s-framed", name);
		put_file("fuzz_pdu", fname, b.d, b.n);
	}
	free(b.d);
	free(sp.raw.d);
	free(sp.framed.d);
	free(sp.keys.d);
}

static void gen_iscsi(void)
{
	struct nx_ini_config cfg;

	cfg_default(&cfg, false);
	cap_open(FZ_AUTH_NONE, &cfg);
	login();
	session_io(0);
	logout();
	cap_close();
	emit("io", FZ_AUTH_NONE, false, false, true);

	cfg_default(&cfg, true);
	cap_open(FZ_AUTH_NONE, &cfg);
	login();
	session_io(1);
	session_misc();
	logout();
	cap_close();
	emit("io-digests", FZ_AUTH_NONE, true, true, true);

	cfg_default(&cfg, false);
	cap_open(FZ_AUTH_NONE, &cfg);
	login();
	session_misc();
	logout();
	cap_close();
	emit("misc", FZ_AUTH_NONE, false, false, true);

	cfg_default(&cfg, false);
	cfg.skip_security = false;
	cfg.initial_r2t = true;
	cfg.immediate_data = false;
	snprintf(cfg.chap_user, sizeof(cfg.chap_user), FZ_CHAP_USER);
	snprintf(cfg.chap_secret, sizeof(cfg.chap_secret), FZ_CHAP_SECRET);
	cap_open(FZ_AUTH_CHAP, &cfg);
	login();
	session_io(1);
	logout();
	cap_close();
	emit("chap", FZ_AUTH_CHAP, false, false, false);

	snprintf(cfg.mutual_user, sizeof(cfg.mutual_user), FZ_MCHAP_USER);
	snprintf(cfg.mutual_secret, sizeof(cfg.mutual_secret), FZ_MCHAP_SECRET);
	cap_open(FZ_AUTH_MUTUAL, &cfg);
	login();
	logout();
	cap_close();
	emit("chap-mutual", FZ_AUTH_MUTUAL, false, false, false);

	nx_ini_config_init(&cfg, FZ_INITIATOR_NAME, NULL);
	cap_open(FZ_AUTH_NONE, &cfg);
	login();
	{
		struct nx_ini_target tg[4];
		unsigned count = 0;

		must(nx_ini_sync_sendtargets(cp.ic, &cp.drv, tg, 4, &count),
		     "sendtargets");
		if (count != 2)
			die("sendtargets count");
	}
	logout();
	cap_close();
	emit("discovery", FZ_AUTH_NONE, false, false, false);
	free(cp.to_tgt.d);
	free(cp.stream.d);
}

/* ---- core seeds ------------------------------------------------------------ */

/* The allocation / transfer length field of a CDB of this size. */
static void put_len(uint8_t *cdb, uint8_t len, uint32_t v)
{
	switch (len) {
	case 6:
		cdb[4] = (uint8_t)v;
		break;
	case 10:
		nx_put_be16(cdb + 7, (uint16_t)v);
		break;
	case 12:
		nx_put_be32(cdb + 6, v);
		break;
	case 16:
		nx_put_be32(cdb + 10, v);
		break;
	default:
		break;
	}
}

static void cdb_rec(struct bb *b, uint8_t ctl, const uint8_t *cdb,
		    uint8_t len, const uint8_t *dout, size_t dlen)
{
	if (b->n > 1)
		bb_put(b, FZ_SEP, FZ_SEP_LEN);
	bb_byte(b, ctl);
	bb_byte(b, len);
	bb_put(b, cdb, len);
	if (dlen > 0)
		bb_put(b, dout, dlen);
}

static void gen_cdb(void)
{
	uint8_t blocks[4096];
	const struct nx_opcode_desc *d;
	char name[64];

	memset(blocks, 0xa5, sizeof(blocks));
	for (size_t i = 0; (d = nx_opcode_at(i)) != NULL; i++) {
		uint8_t cdb[NX_CDB_MAX] = { 0 };
		struct bb b = { 0 };
		bool writes = (d->flags & NX_OP_WRITES) != 0;

		cdb[0] = d->opcode;
		if (d->flags & NX_OP_SA16)
			nx_put_be16(cdb + 8, d->service_action);
		else if (d->flags & NX_OP_SA)
			cdb[1] = (uint8_t)d->service_action;
		/* one block / a 512-byte allocation: valid for most */
		put_len(cdb, d->cdb_len, writes ? 1 : 0xff);
		for (unsigned k = 1; k < d->cdb_len; k++)
			cdb[k] &= d->usage[k];
		bb_byte(&b, 0);
		cdb_rec(&b, 0, cdb, d->cdb_len, blocks, writes ? 512 : 0);
		/* then the same from the other nexus on the null LU */
		cdb_rec(&b, 0x08 | 5, cdb, d->cdb_len, blocks, writes ? 512 : 0);
		snprintf(name, sizeof(name), "op-%02x-%04x", d->opcode,
			 d->service_action);
		put_file("fuzz_cdb", name, b.d, b.n);
		free(b.d);
	}
}

/* Multi-command sequences: state the single-opcode seeds never reach. */
static void gen_cdb_sequences(void)
{
	static const uint8_t wr[10] = { 0x2a, 0, 0, 0, 0, 4, 0, 0, 2, 0 };
	static const uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 4, 0, 0, 2, 0 };
	static const uint8_t caw[16] = { 0x89, 0, [9] = 4, [13] = 1 };
	static const uint8_t stop[6] = { 0x1b, 0, 0, 0, 0, 0 };
	static const uint8_t start[6] = { 0x1b, 0, 0, 0, 1, 0 };
	static const uint8_t prevent[6] = { 0x1e, 0, 0, 0, 1, 0 };
	static const uint8_t tur[6] = { 0 };
	static const uint8_t rs[6] = { 0x03, 0, 0, 0, 252, 0 };
	static const uint8_t msel[6] = { 0x15, 0x10, 0, 0, 24, 0 };
	static const uint8_t dsense[24] = { 0, 0, 0, 0, 0x0a, 0x0a, 0x04 };
	uint8_t blocks[2048];
	struct bb b = { 0 };

	memset(blocks, 0x3c, sizeof(blocks));
	bb_byte(&b, 0);
	cdb_rec(&b, 0, wr, 10, blocks, 1024);
	cdb_rec(&b, 0x08, rd, 10, NULL, 0);
	cdb_rec(&b, 0, caw, 16, blocks, 1024);
	put_file("fuzz_cdb", "seq-write-read-caw", b.d, b.n);
	b.n = 0;
	bb_byte(&b, 0);
	cdb_rec(&b, 0, stop, 6, NULL, 0);
	cdb_rec(&b, 0, rd, 10, NULL, 0);
	cdb_rec(&b, 0, prevent, 6, NULL, 0);
	cdb_rec(&b, 0, start, 6, NULL, 0);
	put_file("fuzz_cdb", "seq-start-stop", b.d, b.n);
	b.n = 0;
	bb_byte(&b, 1);
	bb_put(&b, (const uint8_t[]){ 0x40, 5 }, 2); /* LU RESET from nexus 0 */
	cdb_rec(&b, 0x08, tur, 6, NULL, 0);          /* UA on nexus 1 */
	cdb_rec(&b, 0x08, rs, 6, NULL, 0);
	cdb_rec(&b, 0, msel, 6, dsense, sizeof(dsense)); /* D_SENSE = 1 */
	cdb_rec(&b, 0x08, rd, 10, NULL, 0);
	put_file("fuzz_cdb", "seq-ua-dsense", b.d, b.n);
	free(b.d);
}

/* MODE SELECT lists built from what MODE SENSE reports for each page. */
static void gen_mode_select(void)
{
	static const uint8_t pages[][2] = {
		{ 0x01, 0 }, { 0x08, 0 }, { 0x0a, 0 }, { 0x0a, 1 }, { 0x1c, 0 },
	};
	struct fz_core fc;
	char name[64];

	fz_platform_reset();
	fz_core_open(&fc, 512, FZ_LU_BYTES, false);
	fz_core_clear_ua(&fc);
	for (size_t i = 0; i < NX_ARRAY_SIZE(pages); i++) {
		uint8_t cdb[10] = { 0x5a, 0, pages[i][0], pages[i][1] };
		uint8_t din[256] = { 0 };
		struct fz_cmd cmd = { 0 };
		struct bb b = { 0 };
		size_t plen;

		nx_put_be16(cdb + 7, sizeof(din));
		cmd.cdb = cdb;
		cmd.cdb_len = 10;
		cmd.din = din;
		cmd.din_cap = sizeof(din);
		fz_core_run(&fc, &cmd);
		if (cmd.status != 0 || cmd.xfer_len < 8 + 2) {
			fprintf(stderr, "page %02x/%02x: status %02x key %x len %u\n", pages[i][0], pages[i][1], cmd.status, cmd.sense_key, cmd.xfer_len);
			die("mode sense");
		}
		plen = cmd.xfer_len - 8 - nx_get_be16(din + 6);
		din[8 + nx_get_be16(din + 6)] &= 0x7f; /* PS is reserved here */
		/* MODE SELECT(10): header with MODE DATA LENGTH zero */
		memset(din, 0, 4);
		bb_byte(&b, 0x03); /* (10), PF */
		bb_byte(&b, 0);
		bb_put(&b, din, cmd.xfer_len);
		snprintf(name, sizeof(name), "ms10-page-%02x-%02x", pages[i][0],
			 pages[i][1]);
		put_file("fuzz_mode_select", name, b.d, b.n);
		/* MODE SELECT(6) with SP=1: 4-byte header, same page */
		b.n = 0;
		bb_byte(&b, 0x06);
		bb_byte(&b, 0);
		bb_put(&b, (const uint8_t[]){ 0, 0, 0, 0 }, 4);
		bb_put(&b, din + 8 + nx_get_be16(din + 6), plen);
		snprintf(name, sizeof(name), "ms6-sp-page-%02x-%02x", pages[i][0],
			 pages[i][1]);
		put_file("fuzz_mode_select", name, b.d, b.n);
		free(b.d);
	}
	fz_core_close(&fc);
	/* a short block descriptor, then the control page with D_SENSE */
	put_file("fuzz_mode_select", "ms6-blockdesc-control",
		 (const uint8_t[]){ 0x02, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2,
				    0, 0, 0x0a, 0x0a, 0x04, 0, 0, 0, 0, 0, 0,
				    0, 0, 0 },
		 28);
}

static void gen_unmap(void)
{
	/* UNMAP: header (data length, descriptor data length), descriptors */
	static const uint8_t u1[7 + 24] = {
		0x00, 0, 24, 0, 0, 0, 0,
		0, 22, 0, 16, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 16, 0, 0, 0, 0,
	};
	static const uint8_t u3[7 + 56] = {
		0x04, 0, 56, 0, 0, 0, 0,
		0, 54, 0, 48, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 1, 0, 0, 0, 0,
	};
	uint8_t ws[7 + 512];

	put_file("fuzz_unmap", "unmap-1", u1, sizeof(u1));
	put_file("fuzz_unmap", "unmap-3-anchor", u3, sizeof(u3));
	memset(ws, 0, sizeof(ws));
	ws[0] = 0x02 | 0x08; /* WRITE SAME(10) UNMAP */
	ws[2] = 16;
	ws[6] = 8;
	put_file("fuzz_unmap", "ws10-unmap", ws, sizeof(ws));
	ws[0] = 0x03; /* WRITE SAME(16), data */
	memset(ws + 7, 0x77, 512);
	put_file("fuzz_unmap", "ws16-data", ws, sizeof(ws));
	ws[0] = 0x03 | 0x08 | 0x10; /* WRITE SAME(16) UNMAP NDOB */
	put_file("fuzz_unmap", "ws16-unmap-ndob", ws, 7);
}

/* ---- fuzz_pr: persistent reservation sequences ----------------------------
 *
 * Compact records (fuzz_pr.c): control (nexus | kind << 2 | sa << 4),
 * CDB byte 2, key selectors (RK low nibble, SARK high nibble, indexes of
 * fuzz_pr.c's key table: 1, 2, 3 are distinct keys), flags, RTPI, length
 * adjustment, TransportID selectors. */

enum { PR_REG, PR_RES, PR_REL, PR_CLEAR, PR_PREEMPT, PR_PA, PR_RIGNORE, PR_MOVE };

static void pr_rec(struct bb *b, unsigned nexus, unsigned sa, uint8_t type,
		   unsigned rk, unsigned sark, uint8_t flags, uint8_t rtpi,
		   const uint8_t *tids, size_t ntid)
{
	if (b->n > 1)
		bb_put(b, FZ_SEP, FZ_SEP_LEN);
	bb_byte(b, (uint8_t)(nexus | sa << 4));
	bb_byte(b, type);
	bb_byte(b, (uint8_t)(rk | sark << 4));
	bb_byte(b, flags);
	bb_byte(b, rtpi);
	bb_byte(b, 0);
	if (ntid > 0)
		bb_put(b, tids, ntid);
}

/* kind 3 records: RESERVE/RELEASE(6/10), LU RESET, I_T NEXUS RESET,
 * restart; kind 2: PRIN. */
static void pr_ctl(struct bb *b, unsigned nexus, unsigned kind, unsigned sub)
{
	if (b->n > 1)
		bb_put(b, FZ_SEP, FZ_SEP_LEN);
	bb_byte(b, (uint8_t)(nexus | kind << 2 | sub << 4));
	if (kind == 2)
		bb_put(b, (const uint8_t[]){ 0x10, 0x00 }, 2);
}

static void pr_put(struct bb *b, const char *name)
{
	put_file("fuzz_pr", name, b->d, b->n);
	b->n = 0;
	bb_byte(b, 0);
}

static void gen_pr(void)
{
	static const uint8_t tid_b[] = { 1 }, tid_fmt0[] = { 3, 1 },
			     tid_bad[] = { 8 }, tid_move[] = { 1 };
	struct bb b = { 0 };

	bb_byte(&b, 0);
	for (unsigned type = 1; type <= 8; type++) {
		char name[32];

		if (type == 2 || type == 4)
			continue;
		pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
		pr_rec(&b, 1, PR_REG, 0, 0, 2, 0, 0, NULL, 0);
		pr_rec(&b, 0, PR_RES, (uint8_t)type, 1, 0, 0, 0, NULL, 0);
		pr_rec(&b, 1, PR_RES, (uint8_t)type, 2, 0, 0, 0, NULL, 0);
		pr_rec(&b, 0, PR_REL, (uint8_t)type, 1, 0, 0, 0, NULL, 0);
		snprintf(name, sizeof(name), "reserve-release-type%u", type);
		pr_put(&b, name);
	}
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_REG, 0, 0, 2, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_RES, 6, 2, 0, 0, 0, NULL, 0);
	pr_rec(&b, 0, PR_PREEMPT, 3, 1, 2, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_REG, 0, 0, 3, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_CLEAR, 0, 3, 0, 0, 0, NULL, 0);
	pr_put(&b, "preempt-clear");
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_REG, 0, 0, 2, 0, 0, NULL, 0);
	pr_rec(&b, 3, PR_REG, 0, 0, 3, 0, 0, NULL, 0);
	pr_rec(&b, 0, PR_RES, 8, 1, 0, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_PA, 8, 2, 0, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_RIGNORE, 0, 0, 1, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_REL, 1, 1, 0, 0, 0, NULL, 0);
	pr_put(&b, "all-registrants-preempt-abort");
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0x08, 0, tid_b, sizeof(tid_b));
	pr_rec(&b, 2, PR_REG, 0, 0, 2, 0x08 | 0x04, 0, tid_fmt0, sizeof(tid_fmt0));
	pr_rec(&b, 3, PR_REG, 0, 0, 3, 0x08, 0, tid_bad, sizeof(tid_bad));
	pr_rec(&b, 1, PR_RES, 5, 1, 0, 0, 0, NULL, 0);
	pr_put(&b, "spec-i-pt");
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0x04, 0, NULL, 0);
	pr_rec(&b, 0, PR_RES, 1, 1, 0, 0, 0, NULL, 0);
	pr_rec(&b, 0, PR_MOVE, 3, 1, 2, 0x02, 1, tid_move, sizeof(tid_move));
	pr_rec(&b, 1, PR_REL, 3, 2, 0, 0, 0, NULL, 0);
	pr_put(&b, "register-and-move");
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0x01, 0, NULL, 0);
	pr_rec(&b, 1, PR_REG, 0, 0, 2, 0x01, 0, NULL, 0);
	pr_rec(&b, 1, PR_RES, 3, 2, 0, 0, 0, NULL, 0);
	pr_ctl(&b, 0, 3, 6);
	pr_rec(&b, 0, PR_REG, 0, 1, 3, 0x00, 0, NULL, 0);
	pr_ctl(&b, 0, 3, 6);
	pr_put(&b, "aptpl-restart");
	pr_ctl(&b, 1, 3, 0);
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
	pr_ctl(&b, 0, 2, 0);
	pr_ctl(&b, 0, 3, 4);
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
	pr_ctl(&b, 1, 3, 2);
	pr_ctl(&b, 0, 3, 3);
	pr_ctl(&b, 2, 3, 5);
	pr_put(&b, "spc2-reserve-reset");
	for (unsigned sa = 0; sa < 4; sa++) {
		char name[32];

		pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
		pr_ctl(&b, 1, 2, sa);
		snprintf(name, sizeof(name), "prin-sa%u", sa);
		pr_put(&b, name);
	}
	/* the registration table filled through SPEC_I_PT (generated
	 * TransportID names 12..63), then one more */
	uint8_t many[64];
	for (unsigned i = 0; i < sizeof(many); i++)
		many[i] = (uint8_t)(i < 52 ? 12 + i : 0x40 | (i - 40));
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0x08, 0, many, 40);
	pr_rec(&b, 1, PR_REG, 0, 0, 2, 0x08, 0, many + 40, 24);
	pr_rec(&b, 3, PR_REG, 0, 0, 3, 0, 0, NULL, 0);
	pr_put(&b, "spec-i-pt-table-full");
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
	pr_rec(&b, 0, PR_RES, 1, 1, 0, 0, 0, NULL, 0);
	pr_ctl(&b, 1, 3, 7);
	bb_byte(&b, 1); /* PREVENT 01b */
	pr_ctl(&b, 1, 3, 7);
	bb_byte(&b, 0);
	pr_put(&b, "prevent-under-we");
	/* a raw parameter list (kind 1): REGISTER key 1 */
	bb_put(&b, (const uint8_t[]){ 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
				      0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
				      0x11, 0, 0, 0, 0, 0, 0, 0, 0 }, 26);
	pr_put(&b, "raw-register");
	free(b.d);
}

/* ---- dictionaries --------------------------------------------------------- */

static FILE *dict_open(const char *target)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/dict", root);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/dict/%s.dict", root, target);
	fp = fopen(path, "w");
	if (fp == NULL)
		die(path);
	fprintf(fp, "# generated by fuzz/gen_corpus.c (make fuzz-corpus)\n");
	fprintf(fp, "sep=\"\\xfe\\xfe\\xfe\\xfe\"\n");
	return fp;
}

static void dict_keys(FILE *fp)
{
	static const char *const values[] = {
		"None", "CRC32C", "CRC32C,None", "Yes", "No", "CHAP", "CHAP,None",
		"Normal", "Discovery", "All", "Reject", "Irrelevant",
		"NotUnderstood", "0x", "0b", "5", "0", "65536", "16777215",
		FZ_TARGET_NAME, FZ_TARGET2_NAME, FZ_INITIATOR_NAME, FZ_CHAP_USER,
		FZ_MCHAP_USER,
	};

	for (int i = 0; i < NX_K_COUNT; i++)
		fprintf(fp, "key_%d=\"%s=\"\n", i, nx_iscsi_key_desc(i)->name);
	for (size_t i = 0; i < NX_ARRAY_SIZE(values); i++)
		fprintf(fp, "val_%zu=\"%s\"\n", i, values[i]);
	fprintf(fp, "nul=\"\\x00\"\n");
}

static void dict_opcodes(FILE *fp, bool iscsi)
{
	static const uint8_t iscsi_ops[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
					     0x06, 0x10, 0x1c, 0x1e };

	if (iscsi) {
		for (size_t i = 0; i < NX_ARRAY_SIZE(iscsi_ops); i++) {
			fprintf(fp, "pdu_%02x=\"\\x%02x\"\n", iscsi_ops[i], iscsi_ops[i]);
			fprintf(fp, "pdu_imm_%02x=\"\\x%02x\"\n", iscsi_ops[i],
				iscsi_ops[i] | 0x40);
		}
		fprintf(fp, "rsvd_tag=\"\\xff\\xff\\xff\\xff\"\n");
		fprintf(fp, "ahs_ext_cdb=\"\\x00\\x11\\x01\\x00\"\n");
		fprintf(fp, "ahs_bidi=\"\\x00\\x05\\x02\\x00\"\n");
		fprintf(fp, "flags_final_rw=\"\\xe1\"\n");
	}
	for (size_t i = 0; nx_opcode_at(i) != NULL; i++) {
		const struct nx_opcode_desc *d = nx_opcode_at(i);

		if (d->flags & NX_OP_SA16)
			fprintf(fp, "op_%02x_%04x=\"\\x%02x\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x%02x\\x%02x\"\n",
				d->opcode, d->service_action, d->opcode,
				d->service_action >> 8, d->service_action & 0xff);
		else if (d->flags & NX_OP_SA)
			fprintf(fp, "op_%02x_%04x=\"\\x%02x\\x%02x\"\n", d->opcode,
				d->service_action, d->opcode, d->service_action);
		else
			fprintf(fp, "op_%02x=\"\\x%02x\"\n", d->opcode, d->opcode);
	}
}

static void gen_dicts(void)
{
	FILE *fp;

	fp = dict_open("fuzz_pdu");
	dict_opcodes(fp, true);
	fclose(fp);
	fp = dict_open("fuzz_login_keys");
	dict_keys(fp);
	fclose(fp);
	fp = dict_open("fuzz_conn_stream");
	dict_keys(fp);
	dict_opcodes(fp, true);
	fclose(fp);
	fp = dict_open("fuzz_cdb");
	dict_opcodes(fp, false);
	fclose(fp);
	fp = dict_open("fuzz_mode_select");
	fprintf(fp, "rwer=\"\\x01\\x0a\"\ncaching=\"\\x08\\x12\"\n"
		    "control=\"\\x0a\\x0a\"\ncontrol_ext=\"\\x4a\\x01\\x00\\x1c\"\n"
		    "iec=\"\\x1c\\x0a\"\nsp_page=\"\\x81\"\nblkdesc8=\"\\x00\\x08\"\n"
		    "blkdesc16=\"\\x00\\x10\"\nlongla=\"\\x01\"\n");
	fclose(fp);
	fp = dict_open("fuzz_pr");
	fprintf(fp, "prin=\"\\x5e\"\nprout=\"\\x5f\"\nkey1=\"\\x11\\x11\\x11\\x11\\x11\\x11\\x11\\x11\"\n"
		    "key2=\"\\x22\\x22\\x22\\x22\\x22\\x22\\x22\\x22\"\n"
		    "tid_fmt1=\"\\x45\\x00\\x00\\x28\"\ntid_fmt0=\"\\x05\\x00\\x00\\x20\"\n"
		    "name_a=\"%s\"\nname_b=\"iqn.2024-01.org.nexus:other\"\n"
		    "isid_a=\",i,0x801234567890\"\nisid_b=\",i,0x800000000001\"\n"
		    "spec_i_pt=\"\\x08\"\nall_tg_pt=\"\\x04\"\naptpl=\"\\x01\"\n",
		FZ_INITIATOR_NAME);
	fclose(fp);
	fp = dict_open("fuzz_unmap");
	fprintf(fp, "desc_len=\"\\x00\\x10\"\nmax_lba=\"\\x00\\x00\\x00\\xff\"\n"
		    "big=\"\\xff\\xff\\xff\\xff\"\none=\"\\x00\\x00\\x00\\x01\"\n");
	fclose(fp);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus <fuzz-dir>\n");
		return 2;
	}
	root = argv[1];
	gen_iscsi();
	gen_cdb();
	gen_cdb_sequences();
	gen_mode_select();
	gen_unmap();
	gen_pr();
	gen_dicts();
	printf("gen_corpus: seeds and dictionaries written under %s\n", root);
	return 0;
}
