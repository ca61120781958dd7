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

/* ---- records of the newer targets ------------------------------------------ */

/* Starts a record (FZ_SEP before every one but the first after the
 * config byte). */
static void rec_begin(struct bb *b)
{
	if (b->n > 1)
		bb_put(b, FZ_SEP, FZ_SEP_LEN);
}

static void rec_bytes(struct bb *b, const uint8_t *p, size_t n)
{
	rec_begin(b);
	bb_put(b, p, n);
}

#define REC(b, ...)                                                          \
	rec_bytes(b, (const uint8_t[]){ __VA_ARGS__ },                        \
		  sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Writes the seed built in b with its config byte (b->d[0]), then
 * starts the next one. */
static void seed_put(const char *target, const char *name, struct bb *b,
		     uint8_t config)
{
	b->d[0] = config;
	put_file(target, name, b->d, b->n);
	b->n = 0;
	bb_byte(b, 0);
}

/* "k=v\0" for each string. */
static void keys_put(struct bb *b, const char *const *kv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bb_put(b, kv[i], strlen(kv[i]) + 1);
}

/* ---- fuzz_cdb: the newer opcodes in sequences ------------------------------- */

static void gen_cdb_new(void)
{
	/* NACA=1 (control byte bit 2) on a READ beyond capacity: ACA */
	static const uint8_t rd_bad[10] = { 0x28, 0, 0, 0x10, 0, 0, 0, 0, 1, 0x04 };
	static const uint8_t tur[6] = { 0 };
	static const uint8_t tur_naca[6] = { 0, 0, 0, 0, 0, 0x04 };
	static const uint8_t rs[6] = { 0x03, 0, 0, 0, 252, 0 };
	/* control page: QERR 01b, UA_INTLCK_CTRL 10b */
	static const uint8_t msel[6] = { 0x15, 0x10, 0, 0, 16, 0 };
	static const uint8_t ctrl[16] = { 0, 0, 0, 0, 0x0a, 0x0a, 0x00, 0x02,
					  0x20 };
	static const uint8_t wa[16] = { 0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0,
					0, 8, 0, 0 };
	static const uint8_t rd8[10] = { 0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0 };
	static const uint8_t xc[16] = { 0x83, [13] = 16 + 28 };
	static const uint8_t rcr[16] = { 0x84, 0x00, 0x07, [13] = 64 };
	static const uint8_t rcr_op[16] = { 0x84, 0x03, [13] = 64 };
	/* LIST ID 7, held; one 02h segment FFFFh -> FFFFh: LBA 0 -> 32 */
	uint8_t list[16 + 28] = { 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28 };
	static const uint8_t stpg[12] = { 0xa4, 0x0a, [9] = 8 };
	static const uint8_t stpg_list[8] = { 0, 0, 0, 0, 0x02, 0, 0, 1 };
	static const uint8_t rtpg[12] = { 0xa3, 0x2a, [9] = 255 };
	static const uint8_t rstmf[12] = { 0xa3, 0x0d, [9] = 16 };
	uint8_t blocks[4096];
	struct bb b = { 0 };

	memset(blocks, 0x42, sizeof(blocks));
	bb_byte(&b, 0);
	cdb_rec(&b, 0, rd_bad, 10, NULL, 0);        /* ACA on LU 0, nexus 0 */
	cdb_rec(&b, 0x08, tur, 6, NULL, 0);         /* nexus 1: BUSY */
	cdb_rec(&b, 0x08, tur_naca, 6, NULL, 0);    /* nexus 1: ACA ACTIVE */
	cdb_rec(&b, 0x30, rs, 6, NULL, 0);          /* ACA attribute */
	cdb_rec(&b, 0x00, tur, 6, NULL, 0);         /* ACA ACTIVE */
	bb_put(&b, FZ_SEP, FZ_SEP_LEN);
	bb_put(&b, (const uint8_t[]){ 0x40, 2 }, 2); /* CLEAR ACA */
	cdb_rec(&b, 0x08, tur, 6, NULL, 0);
	put_file("fuzz_cdb", "seq-naca-aca-clear", b.d, b.n);
	b.n = 0;
	bb_byte(&b, 0);
	cdb_rec(&b, 0, msel, 6, ctrl, 16);
	cdb_rec(&b, 0, rd_bad, 10, NULL, 0);
	cdb_rec(&b, 0x08, tur, 6, NULL, 0);
	cdb_rec(&b, 0x08, rs, 6, NULL, 0);
	cdb_rec(&b, 0x08, tur, 6, NULL, 0);
	put_file("fuzz_cdb", "seq-qerr-ua-intlck", b.d, b.n);
	b.n = 0;
	bb_byte(&b, 0);
	cdb_rec(&b, 0, wa, 16, blocks, 4096);
	cdb_rec(&b, 0x08, rd8, 10, NULL, 0);
	list[1] = 0; /* LIST ID USAGE 00b */
	nx_put_be16(list + 2, 0);
	list[16] = 0x02;
	nx_put_be16(list + 16 + 2, 24);
	nx_put_be16(list + 16 + 4, 0xffff);
	nx_put_be16(list + 16 + 6, 0xffff);
	nx_put_be16(list + 16 + 10, 8);
	nx_put_be64(list + 16 + 20, 32);
	cdb_rec(&b, 0, xc, 16, list, sizeof(list));
	cdb_rec(&b, 0, rcr, 16, NULL, 0);
	cdb_rec(&b, 0x08, rcr_op, 16, NULL, 0);
	put_file("fuzz_cdb", "seq-atomic-xcopy-rcr", b.d, b.n);
	b.n = 0;
	bb_byte(&b, 0);
	cdb_rec(&b, 0, stpg, 12, stpg_list, sizeof(stpg_list));
	cdb_rec(&b, 0x08, rtpg, 12, NULL, 0);
	cdb_rec(&b, 0x08, rd8, 10, NULL, 0);
	cdb_rec(&b, 0x08, rstmf, 12, NULL, 0);
	put_file("fuzz_cdb", "seq-stpg-rtpg", b.d, b.n);
	free(b.d);
}

/* ---- fuzz_xcopy -------------------------------------------------------------- */

/* A compact segment (fuzz_xcopy.c kind 1). */
static void xc_seg(struct bb *b, uint8_t type, uint8_t src, uint8_t dst,
		   uint16_t count, uint8_t slba, uint8_t dlba, uint8_t offs)
{
	uint8_t s[8] = { type, src, dst, (uint8_t)(count >> 8), (uint8_t)count,
			 slba, dlba, offs };

	bb_put(b, s, 8);
}

static void gen_xcopy(void)
{
	struct bb b = { 0 };
	struct nx_target *tgt = nx_target_new(FZ_TARGET_NAME);
	struct nx_lu_config c = { .lun = 0, .block_size = 512, .serial = "XC0" };
	const struct nx_lu *lu;
	uint8_t list[16 + 32 + 28 + 32];

	/* the designators fuzz_xcopy.c's LU 0 reports */
	if (tgt == NULL || nx_target_add_lu(tgt, &c, nx_bs_null_new(65536)) != 0)
		die("xcopy target");
	lu = nx_target_find_lu(tgt, 0);
	bb_byte(&b, 0);
	/* LU 0 -> LU 1 (512 -> 4096), byte offsets LU 1 -> LU 0, local */
	rec_begin(&b);
	bb_put(&b, (const uint8_t[]){ 0x01, 5, 0x30, 0x00, 0x01, 0x07 }, 6);
	xc_seg(&b, 0, 0, 1, 8, 0, 2, 0);
	xc_seg(&b, 1, 1, 0, 0x1234, 3, 9, 0x53);
	xc_seg(&b, 0, 0xff, 0, 4, 10, 0, 0);
	REC(&b, 0x02, 0x00, 5, 0, 64);   /* RECEIVE COPY RESULTS: COPY STATUS */
	REC(&b, 0x0a, 0x04, 5, 0, 255);  /* FAILED SEGMENT DETAILS, nexus 1 */
	REC(&b, 0x02, 0x03, 0, 1, 0);    /* OPERATING PARAMETERS */
	seed_put("fuzz_xcopy", "compact-copy-rcr", &b, 0);
	/* into the read-only LU and the null LU; a reserved destination */
	rec_begin(&b);
	bb_put(&b, (const uint8_t[]){ 0x01, 1, 0x30, 0x00, 0x03, 0x02 }, 6);
	xc_seg(&b, 0, 0, 1, 8, 0, 0, 0);
	xc_seg(&b, 0, 0, 2, 8, 0, 0, 0);
	REC(&b, 0x02, 0x04, 1, 0, 255);
	REC(&b, 0x0f, 0x06);              /* nexus 1: REGISTER + RESERVE WE */
	rec_begin(&b);
	bb_put(&b, (const uint8_t[]){ 0x01, 2, 0x10, 0x00 }, 4);
	xc_seg(&b, 0, 0xff, 0, 1, 0, 100, 0);
	seed_put("fuzz_xcopy", "compact-ro-null-reserved", &b, 0);
	/* CSCD checks: wrong block length, device type, unknown LU,
	 * T10 vendor ID designator, too many CSCDs, LIST ID USAGE 10b */
	rec_begin(&b);
	bb_put(&b, (const uint8_t[]){ 0x01, 3, 0x42, 0x08, 0x10, 0x20, 0x05 }, 7);
	xc_seg(&b, 0, 0, 3, 1, 0, 0, 0);
	xc_seg(&b, 0, 1, 3, 1, 0, 0, 0);
	xc_seg(&b, 0, 2, 3, 1, 0, 0, 0);
	xc_seg(&b, 0, 3, 0, 1, 0, 0, 0);
	rec_begin(&b);
	bb_put(&b, (const uint8_t[]){ 0x01, 0, 0x90, 0, 1, 2, 3, 0, 1, 2, 3, 0 }, 12);
	xc_seg(&b, 0, 0, 1, 1, 0, 0, 0);
	seed_put("fuzz_xcopy", "compact-cscd-errors", &b, 0);
	/* WRITE ATOMIC(16) and WRITE(10) around the copies */
	REC(&b, 0x05, 8, 8, 0x11, 0);
	REC(&b, 0x15, 1, 1, 0x22, 0);     /* LU 1 */
	REC(&b, 0x05, 3, 5, 0x33, 0);     /* misaligned: refused */
	REC(&b, 0x06, 0, 16, 0x44);
	rec_begin(&b);
	bb_put(&b, (const uint8_t[]){ 0x01, 9, 0x10, 0x00 }, 4);
	xc_seg(&b, 0, 0, 0xff, 16, 0, 64, 0);
	REC(&b, 0x07, 0x00);              /* STOP LU 0: copies refused */
	rec_begin(&b);
	bb_put(&b, (const uint8_t[]){ 0x01, 10, 0x10, 0x00 }, 4);
	xc_seg(&b, 0, 0, 0xff, 16, 0, 64, 0);
	/* sent to LU 1, naming the stopped LU 0: the copy target's NOT
	 * READY is forwarded */
	rec_begin(&b);
	bb_put(&b, (const uint8_t[]){ 0x11, 11, 0x10, 0x00 }, 4);
	xc_seg(&b, 0, 0, 0xff, 8, 0, 4, 0);
	REC(&b, 0x07, 0x01);
	REC(&b, 0x0f, 0x06);              /* nexus 1 reserves LU 0 (WE) */
	rec_begin(&b);
	bb_put(&b, (const uint8_t[]){ 0x11, 12, 0x10, 0x00 }, 4);
	xc_seg(&b, 0, 0xff, 0, 8, 0, 4, 0);
	/* the Third-party Copy VPD page (8Fh) */
	REC(&b, 0x13, 6, 0x12, 0x01, 0x8f, 0x00, 0xff, 0x00);
	REC(&b, 0x04, 4);                 /* LOGICAL UNIT RESET */
	seed_put("fuzz_xcopy", "atomic-write-stop", &b, 0);
	/* a raw list: one NAA CSCD (LU 0) and segments 02h / 0Ah */
	memset(list, 0, sizeof(list));
	list[0] = 0x21;
	nx_put_be16(list + 2, 32);
	nx_put_be32(list + 8, 28 + 32);
	list[16] = 0xe4;
	list[16 + 4] = 0x01;
	list[16 + 5] = 0x03;
	list[16 + 7] = 16;
	memcpy(list + 16 + 8, lu->naa, 16);
	nx_put_be24(list + 16 + 29, 512);
	list[48] = 0x02;
	nx_put_be16(list + 48 + 2, 24);
	nx_put_be16(list + 48 + 6, 0xffff);
	nx_put_be16(list + 48 + 10, 4);
	nx_put_be64(list + 48 + 20, 40);
	list[76] = 0x0a;
	nx_put_be16(list + 76 + 2, 28);
	nx_put_be16(list + 76 + 4, 0xffff);
	nx_put_be32(list + 76 + 8, 700);
	nx_put_be64(list + 76 + 12, 2);
	nx_put_be64(list + 76 + 20, 50);
	nx_put_be16(list + 76 + 28, 100);
	nx_put_be16(list + 76 + 30, 3);
	rec_begin(&b);
	bb_byte(&b, 0x00);
	bb_put(&b, list, sizeof(list));
	REC(&b, 0x02, 0x00, 0x21, 0, 64);
	seed_put("fuzz_xcopy", "raw-naa-02-0a", &b, 0);
	nx_target_free(tgt);
	free(b.d);
}

/* ---- fuzz_alua ------------------------------------------------------------------ */

static void gen_alua(void)
{
	struct bb b = { 0 };

	bb_byte(&b, 0x02);
	/* every table command through each port (n2 active/non-optimized,
	 * n3 standby), then STPG, RTPG, an implicit transition */
	for (uint8_t nx = 2; nx < 4; nx++)
		for (uint8_t i = 0; i < 16; i += 3)
			REC(&b, (uint8_t)(7 | nx << 3), i);
	REC(&b, 0x01, 0x02, 2, 0x00, 1, 0x01, 3);
	REC(&b, 0x12, 0x20, 1, 0);
	REC(&b, 0x03, 3, 0x02, 5);
	REC(&b, 0x1f, 1);
	REC(&b, 0x04, 10);
	REC(&b, 0x1f, 1);
	REC(&b, 0x03, 4, 0x80, 0);
	REC(&b, 0x2f, 3);
	seed_put("fuzz_alua", "gate-stpg-implicit", &b, 0x04);
	/* unavailable and transitioning: INQUIRY qualifier, REQUEST SENSE */
	REC(&b, 0x03, 1, 0x03, 0);
	REC(&b, 0x07, 3);
	REC(&b, 0x07, 6);
	REC(&b, 0x07, 1);
	REC(&b, 0x03, 1, 0x00, 20);
	REC(&b, 0x0f, 3);
	REC(&b, 0x0f, 8);
	REC(&b, 0x0f, 1);
	REC(&b, 0x04, 25);
	REC(&b, 0x0f, 1);
	REC(&b, 0x03, 2, 0x81, 3);
	REC(&b, 0x04, 5);
	REC(&b, 0x12, 0x00, 1, 0);
	seed_put("fuzz_alua", "unavailable-transitioning", &b, 0x00);
	/* STPG errors: header, reserved states, unknown / repeated group,
	 * a raw list, then a LU reset and the UAs */
	REC(&b, 0x00, 1, 0, 0, 0, 0x02, 0, 0, 3);
	REC(&b, 0x01, 0x0e, 1);
	REC(&b, 0x01, 0x04, 2);
	REC(&b, 0x01, 0x01, 9);
	REC(&b, 0x01, 0x01, 2, 0x02, 2);
	REC(&b, 0x01, 0x0f, 3);
	REC(&b, 0x21, 0x03, 3, 0x00, 1);
	REC(&b, 0x06, 4);
	REC(&b, 0x1a, 0x00, 0, 64);
	REC(&b, 0x05, 12, 0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0);
	seed_put("fuzz_alua", "stpg-errors", &b, 0x0c);
	/* no declared groups: the implicit group 1 */
	REC(&b, 0x02, 0x20, 1, 0);
	REC(&b, 0x03, 1, 0x02, 10);
	REC(&b, 0x1f, 1);
	REC(&b, 0x84, 20);
	REC(&b, 0x01, 0x03, 1);
	REC(&b, 0x27, 3);
	seed_put("fuzz_alua", "undeclared-group", &b, 0x01);
	free(b.d);
}

/* ---- fuzz_chap -------------------------------------------------------------------- */

#define CHAP_RO_INI "iqn.2024-01.org.nexus:ro-ini"

/* fuzz_chap.c kind 0: control, BHS byte 1, auto keys, key text. */
static void chap_pdu(struct bb *b, uint8_t ctl, uint8_t flags, uint8_t autok,
		     const char *const *kv, size_t n)
{
	rec_begin(b);
	bb_byte(b, ctl);
	bb_byte(b, flags);
	bb_byte(b, autok);
	keys_put(b, kv, n);
}

/* A whole CHAP login: identify (security stage), CHAP_A (list), CHAP_N
 * + CHAP_R with secret (and our challenge if mutual: bit 3), then the
 * operational stage into full feature phase. */
static void chap_login(struct bb *b, const char *ini, const char *tgt,
		       uint8_t alist, uint8_t secret, uint8_t mutual)
{
	char in[160], tn[160];
	const char *first[] = { in, tn, "AuthMethod=CHAP,None",
				"SessionType=Normal" };
	static const char *const op[] = {
		"HeaderDigest=None", "DataDigest=None", "ImmediateData=Yes",
		"InitialR2T=Yes", "MaxRecvDataSegmentLength=65536",
	};

	snprintf(in, sizeof(in), "InitiatorName=%s", ini);
	if (tgt != NULL)
		snprintf(tn, sizeof(tn), "TargetName=%s", tgt);
	else
		snprintf(tn, sizeof(tn), "SessionType=Discovery");
	chap_pdu(b, 0, 0x01, 0, first, tgt != NULL ? 4 : 3);
	chap_pdu(b, 0, 0x01, (uint8_t)(0x20 | alist << 6), NULL, 0);
	chap_pdu(b, 0, 0x81, (uint8_t)(0x01 | secret << 1 | mutual), NULL, 0);
	chap_pdu(b, 0, 0x87, 0, op, NX_ARRAY_SIZE(op));
}

static void gen_chap(void)
{
	static const char *const st[] = { "SendTargets=All" };
	struct bb b = { 0 };

	bb_byte(&b, 0);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 0, 0x08);
	for (uint8_t i = 0; i < 6; i++)
		REC(&b, 0x03, i, 0);
	seed_put("fuzz_chap", "sha3-mutual-io", &b, 0);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 2, 0, 0x08);
	REC(&b, 0x03, 1, 1);
	seed_put("fuzz_chap", "sha256-mutual", &b, 0x01 << 1);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 1, 0, 0);
	REC(&b, 0x03, 2, 0);
	seed_put("fuzz_chap", "md5-only", &b, 0x02 << 1);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 3, 0, 0);
	seed_put("fuzz_chap", "md5-first-gets-sha3", &b, 0);
	/* the server allows SHA-256 only, the initiator offers MD5 */
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 1, 0, 0);
	seed_put("fuzz_chap", "chap-a-reject", &b, 0x01 << 1);
	/* malformed keys: CHAP_R not binary, a short mutual challenge, a
	 * mutual CHAP_I out of range, CHAP keys after authentication */
	{
		static const char *const r_bad[] = { "CHAP_N=" FZ_CHAP_USER,
						     "CHAP_R=0xzz" };
		static const char *const c_short[] = { "CHAP_I=1", "CHAP_C=0x0102" };
		static const char *const i_bad[] = { "CHAP_I=256",
						     "CHAP_C=0x00112233445566778899aabbccddeeff" };
		static const char *const again[] = { "CHAP_A=5" };

		chap_pdu(&b, 0, 0x01, 0, (const char *const[]){
			"InitiatorName=" FZ_INITIATOR_NAME,
			"TargetName=" FZ_TARGET_NAME, "AuthMethod=CHAP" }, 3);
		chap_pdu(&b, 0, 0x01, 0x20, NULL, 0);
		chap_pdu(&b, 0, 0x81, 0, r_bad, 2);
		seed_put("fuzz_chap", "chap-r-not-binary", &b, 0);
		chap_pdu(&b, 0, 0x01, 0, (const char *const[]){
			"InitiatorName=" FZ_INITIATOR_NAME,
			"TargetName=" FZ_TARGET_NAME, "AuthMethod=CHAP" }, 3);
		chap_pdu(&b, 0, 0x01, 0x20, NULL, 0);
		chap_pdu(&b, 0, 0x81, 0x01, c_short, 2);
		REC(&b, 0x01, 1);
		chap_pdu(&b, 0, 0x01, 0, (const char *const[]){
			"InitiatorName=" FZ_INITIATOR_NAME,
			"TargetName=" FZ_TARGET_NAME, "AuthMethod=CHAP" }, 3);
		chap_pdu(&b, 0, 0x01, 0x20, NULL, 0);
		chap_pdu(&b, 0, 0x81, 0x01, i_bad, 2);
		seed_put("fuzz_chap", "mutual-challenge-errors", &b, 0);
		chap_pdu(&b, 0, 0x01, 0, (const char *const[]){
			"InitiatorName=" FZ_INITIATOR_NAME,
			"TargetName=" FZ_TARGET_NAME, "AuthMethod=CHAP" }, 3);
		chap_pdu(&b, 0, 0x01, 0x20, NULL, 0);
		chap_pdu(&b, 0, 0x01, 0x01, NULL, 0);
		chap_pdu(&b, 0, 0x01, 0, again, 1);
		seed_put("fuzz_chap", "chap-keys-after-done", &b, 0);
	}
	chap_login(&b, CHAP_RO_INI, FZ_TARGET_NAME, 0, 0, 0);
	REC(&b, 0x03, 0, 0);
	REC(&b, 0x03, 2, 0);
	REC(&b, 0x03, 3, 0);
	REC(&b, 0x03, 2, 1);
	seed_put("fuzz_chap", "acl-read-only", &b, 0);
	chap_login(&b, "iqn.2024-01.org.nexus:stranger", FZ_TARGET_NAME, 0, 0, 0);
	REC(&b, 0x01, 1);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET2_NAME, 0, 1, 0);
	REC(&b, 0x03, 2, 0);
	REC(&b, 0x01, 2);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET2_NAME, 0, 1, 0x08);
	seed_put("fuzz_chap", "acl-refused-target2", &b, 0);
	/* brute force: wrong secrets from two addresses, the lockout, time,
	 * then the right secret */
	for (uint8_t i = 0; i < 3; i++) {
		chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 3, 0);
		REC(&b, 0x01, i & 1);
	}
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 0, 0);
	REC(&b, 0x01, 2);
	REC(&b, 0x02, 20);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 0, 0x08);
	REC(&b, 0x03, 1, 0);
	seed_put("fuzz_chap", "lockout-then-wait", &b, 0x08);
	/* reflection: our CHAP_C is the target's */
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 0, 0x18);
	REC(&b, 0x01, 0);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 2, 0x08);
	seed_put("fuzz_chap", "reflection-wrong-secret", &b, 0);
	/* discovery with and without CHAP, then SendTargets */
	chap_login(&b, FZ_INITIATOR_NAME, NULL, 0, 2, 0);
	chap_pdu(&b, 0x04, 0x80, 0, st, 1);
	seed_put("fuzz_chap", "discovery-chap", &b, 0x01);
	{
		static const char *const disc[] = {
			"InitiatorName=" FZ_INITIATOR_NAME,
			"SessionType=Discovery", "HeaderDigest=None",
		};

		chap_pdu(&b, 0, 0x87, 0, disc, NX_ARRAY_SIZE(disc));
		chap_pdu(&b, 0x04, 0x80, 0, st, 1);
		seed_put("fuzz_chap", "discovery-open", &b, 0x00);
	}
	/* skipping the security stage, a challenge too early, time out */
	{
		static const char *const skip[] = {
			"InitiatorName=" FZ_INITIATOR_NAME,
			"TargetName=" FZ_TARGET_NAME, "SessionType=Normal",
		};
		static const char *const early[] = { "CHAP_N=" FZ_CHAP_USER,
						     "CHAP_R=0x00" };

		chap_pdu(&b, 0, 0x87, 0, skip, 3);
		REC(&b, 0x01, 3);
		chap_pdu(&b, 0, 0x01, 0x20, skip, 3);
		chap_pdu(&b, 0, 0x81, 0, early, 2);
		REC(&b, 0x01, 3);
		chap_pdu(&b, 0, 0x01, 0, skip, 3);
		REC(&b, 0x02, 80);
		seed_put("fuzz_chap", "skip-security-timeout", &b, 0x00);
	}
	free(b.d);
}

/* ---- fuzz_iser ---------------------------------------------------------------------- */

/* fuzz_iser.c kind 0 with every fix-up: iSER header flags (WSV 1, RSV 2,
 * STag selector), base offset, then the PDU (DataSegmentLength filled
 * by the harness from the record's length). */
static void iser_pdu(struct bb *b, uint8_t hdr, uint8_t voff, const uint8_t *bhs,
		     const void *data, size_t dlen)
{
	rec_begin(b);
	bb_put(b, (const uint8_t[]){ 0x00, hdr, voff, 0x0f }, 4);
	bb_put(b, bhs, NX_ISCSI_BHS_LEN);
	if (dlen > 0)
		bb_put(b, data, dlen);
}

static void iser_bhs(uint8_t *bhs, uint8_t op, uint8_t flags, uint32_t edtl,
		     const uint8_t *cdb, size_t cdb_len)
{
	memset(bhs, 0, NX_ISCSI_BHS_LEN);
	bhs[0] = op;
	bhs[1] = flags;
	nx_put_be32(bhs + 20, edtl);
	if (cdb != NULL)
		memcpy(bhs + 32, cdb, cdb_len);
}

static void iser_login(struct bb *b, bool initial_r2t)
{
	const char *kv[] = {
		"InitiatorName=" FZ_INITIATOR_NAME, "TargetName=" FZ_TARGET_NAME,
		"SessionType=Normal", "RDMAExtensions=Yes", "HeaderDigest=None",
		"DataDigest=None", initial_r2t ? "InitialR2T=Yes" : "InitialR2T=No",
		"ImmediateData=Yes", "MaxBurstLength=262144",
		"FirstBurstLength=65536", "TargetRecvDataSegmentLength=8192",
		"InitiatorRecvDataSegmentLength=8192",
	};
	struct bb keys = { 0 };
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	keys_put(&keys, kv, NX_ARRAY_SIZE(kv));
	fz_login_bhs(bhs, 0x80 | (1 << 2) | 3, 0, 0, 0, 0);
	iser_pdu(b, 0, 0, bhs, keys.d, keys.n);
	free(keys.d);
}

static void iser_scsi(struct bb *b, uint8_t hdr, uint8_t voff, uint8_t flags,
		      uint32_t edtl, const uint8_t *cdb, const void *imm,
		      size_t imm_len)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	iser_bhs(bhs, NX_ISCSI_OP_SCSI_CMD, flags, edtl, cdb, 10);
	iser_pdu(b, hdr, voff, bhs, imm, imm_len);
}

static void gen_iser(void)
{
	static const uint8_t tur[10] = { 0 };
	static const uint8_t wr8[10] = { 0x2a, 0, 0, 0, 0, 4, 0, 0, 8, 0 };
	static const uint8_t rd8[10] = { 0x28, 0, 0, 0, 0, 4, 0, 0, 8, 0 };
	static const uint8_t wr64[10] = { 0x2a, 0, 0, 0, 0, 32, 0, 0, 64, 0 };
	static const uint8_t rd64[10] = { 0x28, 0, 0, 0, 0, 32, 0, 0, 64, 0 };
	static const uint8_t wr4[10] = { 0x2a, 0, 0, 0, 0, 20, 0, 0, 4, 0 };
	static const uint8_t inq[10] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t rd_bad[10] = { 0x28, 0, 0, 0x10, 0, 0, 0, 0, 1, 0 };
	uint8_t imm[2048], bhs[NX_ISCSI_BHS_LEN];
	struct bb b = { 0 };

	for (size_t i = 0; i < sizeof(imm); i++)
		imm[i] = (uint8_t)(i * 7);
	bb_byte(&b, 0);
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 1, 0, 0xa1, 4096, wr8, NULL, 0);
	iser_scsi(&b, 2, 16, 0xc1, 4096, rd8, NULL, 0);
	iser_scsi(&b, 1, 32, 0xa1, 2048, wr4, imm, 1024);
	iser_scsi(&b, 2, 64, 0xc1, 96, inq, NULL, 0);
	iser_scsi(&b, 2, 64, 0xc1, 512, rd_bad, NULL, 0);
	iser_bhs(bhs, NX_ISCSI_OP_LOGOUT_REQ, 0x80, 0, NULL, 0);
	iser_pdu(&b, 0, 0, bhs, NULL, 0);
	seed_put("fuzz_iser", "login-io-logout", &b, 0);
	/* InitialR2T=No: immediate data + an unsolicited Data-Out, the rest
	 * by RDMA READ; big transfers; NOP-Out ping; Text; a TMF */
	iser_login(&b, false);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 1, 0, 0x21, 32768, wr64, imm, 1024);
	iser_bhs(bhs, NX_ISCSI_OP_DATA_OUT, 0x80, 0, NULL, 0);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	nx_put_be32(bhs + 40, 1024);
	rec_begin(&b);
	bb_put(&b, (const uint8_t[]){ 0x00, 0, 0, 0x1a }, 4);
	bb_put(&b, bhs, NX_ISCSI_BHS_LEN);
	bb_put(&b, imm, 1024);
	iser_scsi(&b, 2, 0, 0xc1, 32768, rd64, NULL, 0);
	iser_bhs(bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80, 0, NULL, 0);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	iser_pdu(&b, 0, 0, bhs, "ping", 4);
	iser_bhs(bhs, NX_ISCSI_OP_TEXT_REQ, 0x80, 0, NULL, 0);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	iser_pdu(&b, 0, 0, bhs, "SendTargets=All", 16);
	iser_bhs(bhs, NX_ISCSI_OP_TMF_REQ, 0x80 | 5, 0, NULL, 0);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	iser_pdu(&b, 0, 0, bhs, NULL, 0);
	seed_put("fuzz_iser", "unsolicited-nop-text-tmf", &b, 0);
	/* what the fabric does to it: a write from a deregistered region, a
	 * read into a region without remote write, a bad STag, a command
	 * without its STag, RNR, an oversize SEND, Hello, QP break */
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	REC(&b, 0x06, 0x00);
	iser_scsi(&b, 1, 0, 0xa1, 4096, wr8, NULL, 0);
	REC(&b, 0x06, 0x01);
	iser_scsi(&b, 2 | 4, 0, 0xc1, 4096, rd8, NULL, 0);
	seed_put("fuzz_iser", "remote-access-errors", &b, 0);
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 2 | 8, 0, 0xc1, 4096, rd8, NULL, 0);
	seed_put("fuzz_iser", "bad-stag", &b, 0);
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 0, 0, 0xc1, 4096, rd8, NULL, 0);
	seed_put("fuzz_iser", "read-without-stag", &b, 0);
	iser_login(&b, true);
	REC(&b, 0x02, 0x01);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 2, 0, 0xc1, 4096, rd8, NULL, 0);
	REC(&b, 0x01, 5);
	REC(&b, 0x02, 0x00);
	REC(&b, 0x05, 0x01, 0x00);
	seed_put("fuzz_iser", "rnr-oversize", &b, 0);
	REC(&b, 0x07, 0x11, 16);
	seed_put("fuzz_iser", "hello", &b, 0);
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 1, 0, 0xa1, 32768, wr64, NULL, 0);
	REC(&b, 0x04);
	REC(&b, 0x01, 1);
	seed_put("fuzz_iser", "qp-break", &b, 0);
	iser_login(&b, true);
	REC(&b, 0x81, 20);
	REC(&b, 0x81, 20);
	seed_put("fuzz_iser", "keepalive-timeout", &b, 0);
	REC(&b, 0x81, 20);
	seed_put("fuzz_iser", "login-timeout", &b, 0);
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 1, 0, 0xa1, 32768, wr64, NULL, 0);
	REC(&b, 0x03);
	seed_put("fuzz_iser", "cqe-errors-disconnect", &b, 1);
	free(b.d);
}

/* ---- fuzz_url ------------------------------------------------------------------------ */

static void gen_url(void)
{
	static const char *const urls[][2] = {
		{ "plain", "iscsi://127.0.0.1:3260/iqn.2026-11.dev.nexus:target0/1" },
		{ "chap-v6", "iscsi://user%secret-123456@[::1]:3261/iqn.2024-01.org.nexus:fuzz/0" },
		{ "noport", "iscsi://host.example/iqn.2024-01.org.nexus:fuzz/16383" },
		{ "user-only", "iscsi://user@10.0.0.1/iqn.x/2" },
	};

	for (size_t i = 0; i < NX_ARRAY_SIZE(urls); i++)
		put_file("fuzz_url", urls[i][0], urls[i][1], strlen(urls[i][1]));
}

static void gen_dicts_new(void)
{
	FILE *fp;

	fp = dict_open("fuzz_url");
	fprintf(fp, "scheme=\"iscsi://\"\nat=\"@\"\npct=\"%%\"\nv6=\"[::1]\"\n"
		    "port=\":3260\"\niqn=\"iqn.2024-01.org.nexus:fuzz\"\n"
		    "lunmax=\"/16383\"\n");
	fclose(fp);

	fp = dict_open("fuzz_xcopy");
	fprintf(fp, "xcopy=\"\\x83\"\nrcr=\"\\x84\"\nwatomic=\"\\x9c\"\n"
		    "cscd_e4=\"\\xe4\\x00\\x00\\x00\\x01\\x03\\x00\\x10\"\n"
		    "cscd_t10=\"\\xe4\\x00\\x00\\x00\\x02\\x01\\x00\\x0b\"\n"
		    "t10_id=\"NEXUS   XC0\"\nseg02=\"\\x02\\x00\\x00\\x18\"\n"
		    "seg0a=\"\\x0a\\x00\\x00\\x1c\"\nlocal=\"\\xff\\xff\"\n"
		    "bs512=\"\\x00\\x02\\x00\"\nbs4096=\"\\x00\\x10\\x00\"\n"
		    "usage_nolist=\"\\x18\"\nusage_discard=\"\\x10\"\n"
		    "naca=\"\\x04\"\n");
	fclose(fp);
	fp = dict_open("fuzz_alua");
	fprintf(fp, "rtpg=\"\\xa3\\x0a\"\nrtpg_ext=\"\\xa3\\x2a\"\n"
		    "stpg=\"\\xa4\\x0a\"\nstandby=\"\\x02\"\nunavail=\"\\x03\"\n"
		    "offline=\"\\x0e\"\ntrans=\"\\x0f\"\nlbd=\"\\x04\"\n"
		    "group1=\"\\x00\\x01\"\ngroup4=\"\\x00\\x04\"\n");
	dict_opcodes(fp, false);
	fclose(fp);
	fp = dict_open("fuzz_chap");
	dict_keys(fp);
	fprintf(fp, "chap_a=\"CHAP_A=\"\nchap_i=\"CHAP_I=\"\nchap_c=\"CHAP_C=\"\n"
		    "chap_n=\"CHAP_N=\"\nchap_r=\"CHAP_R=\"\nalgs=\"8,7,5\"\n"
		    "md5=\"5\"\nsha256=\"7\"\nsha3=\"8\"\n"
		    "ro_ini=\"iqn.2024-01.org.nexus:ro-ini\"\n"
		    "disc=\"SessionType=Discovery\"\n");
	fclose(fp);
	fp = dict_open("fuzz_iser");
	dict_keys(fp);
	dict_opcodes(fp, true);
	fprintf(fp, "iser_ctl=\"\\x10\"\niser_w=\"\\x18\"\niser_r=\"\\x14\"\n"
		    "iser_wr=\"\\x1c\"\nhello=\"\\x20\\x11\"\n"
		    "rdma=\"RDMAExtensions=Yes\"\n");
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
	gen_cdb_new();
	gen_xcopy();
	gen_alua();
	gen_chap();
	gen_iser();
	gen_url();
	gen_dicts();
	gen_dicts_new();
	printf("gen_corpus: seeds and dictionaries written under %s\n", root);
	return 0;
}
