/*
 * fuzz_common.c - the per-input world of the fuzz targets (fuzz_common.h).
 * Platform-neutral: fuzz_plat_user.c or fuzz_plat_sim.c supplies
 * fz_platform_reset() / fz_platform_done().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"

void fz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	abort();
}

struct nx_target *fz_target_new(const char *name, uint32_t block_size,
				uint64_t bytes, bool read_only)
{
	struct nx_lu_config ram = { .lun = 0, .block_size = block_size,
				    .read_only = read_only };
	struct nx_lu_config null = { .lun = 1, .block_size = block_size };
	struct nx_target *tgt = nx_target_new(name);

	fz_check(tgt != NULL);
	fz_check(nx_target_add_lu(tgt, &ram, nx_bs_ram_new(bytes)) == 0);
	fz_check(nx_target_add_lu(tgt, &null, nx_bs_null_new(bytes)) == 0);
	return tgt;
}

uint64_t fz_pick_lun(uint8_t sel)
{
	switch (sel & 7) {
	case 5:
		return nx_lun_encode(1);
	case 6:
		return nx_lun_encode(9); /* no such LU */
	case 7:
		return NX_WLUN_REPORT_LUNS;
	default:
		return nx_lun_encode(0);
	}
}

/* ---- iSCSI ---------------------------------------------------------------- */

static void fz_send(void *ctx, const struct nx_iovec *iov, unsigned iovcnt)
{
	struct fz_iscsi *f = ctx;

	fz_check(!f->released);
	for (unsigned i = 0; i < iovcnt; i++) {
		size_t room = FZ_OUT_CAP - f->out_len;
		size_t n = iov[i].len < room ? iov[i].len : room;

		if (n > 0)
			memcpy(f->out + f->out_len, iov[i].base, n);
		f->out_len += n;
		f->out_total += iov[i].len;
	}
}

static void fz_close_cb(void *ctx)
{
	struct fz_iscsi *f = ctx;

	f->close_called = true;
}

static void fz_release(void *ctx)
{
	struct fz_iscsi *f = ctx;

	fz_check(!f->released);
	f->released = true;
}

static uint8_t fz_out_buf[FZ_OUT_CAP];

static const struct nx_iscsi_conn_ops fz_conn_ops = {
	.send = fz_send,
	.close = fz_close_cb,
};

static void fz_chap_set(struct nx_iscsi_chap *c, const char *user,
			const char *secret)
{
	snprintf(c->user, sizeof(c->user), "%s", user);
	snprintf(c->secret, sizeof(c->secret), "%s", secret);
	c->set = true;
}

void fz_iscsi_open(struct fz_iscsi *f, enum fz_auth auth)
{
	struct nx_iscsi_server_config cfg;

	memset(f, 0, sizeof(*f));
	/* one static buffer: reused by every input (out_len restarts at 0),
	 * which spares a 1 MiB allocation per execution */
	f->out = fz_out_buf;
	f->tgt = fz_target_new(FZ_TARGET_NAME, 512, FZ_LU_BYTES, false);
	f->tgt2 = fz_target_new(FZ_TARGET2_NAME, 4096, FZ_LU_BYTES, true);
	memset(&cfg, 0, sizeof(cfg));
	cfg.portals[0] = "127.0.0.1:3260";
	cfg.portals[1] = "[::1]:3260";
	cfg.portal_count = 2;
	cfg.tpgt = 1;
	cfg.targets[0].target = f->tgt;
	cfg.targets[1].target = f->tgt2;
	cfg.target_count = 2;
	if (auth == FZ_AUTH_CHAP || auth == FZ_AUTH_MUTUAL)
		fz_chap_set(&cfg.targets[0].chap, FZ_CHAP_USER, FZ_CHAP_SECRET);
	if (auth == FZ_AUTH_MUTUAL)
		fz_chap_set(&cfg.targets[0].mutual_chap, FZ_MCHAP_USER,
			    FZ_MCHAP_SECRET);
	if (auth == FZ_AUTH_ACL) {
		cfg.targets[0].acl[0] = "iqn.2024-01.org.nexus:someone-else";
		cfg.targets[0].acl_count = 1;
	}
	f->srv = nx_iscsi_server_new(&cfg);
	fz_check(f->srv != NULL);
	f->c = nx_iscsi_conn_new(f->srv, &fz_conn_ops, f, "fuzz-peer",
				 "fuzz-local");
	fz_check(f->c != NULL);
}

int fz_iscsi_feed(struct fz_iscsi *f, const uint8_t *buf, size_t len,
		  size_t chunk)
{
	int rc = 0;
	size_t off = 0;

	while (off < len && !f->close_called) {
		size_t n = chunk == 0 || chunk > len - off ? len - off : chunk;

		rc = nx_iscsi_conn_input(f->c, buf + off, n);
		off += n;
		/* rc < 0 implies close was requested (nx_iscsi.h) */
		fz_check(rc == 0 || f->close_called);
	}
	return rc;
}

static bool fz_server_idle(void *arg)
{
	return !nx_iscsi_server_busy(arg);
}

void fz_iscsi_close(struct fz_iscsi *f)
{
	nx_iscsi_conn_closed(f->c, fz_release, f);
	/* RAM and null backstores complete inline, so the transport must
	 * let go of the connection at once.  Its session may wait for a
	 * FORMAT UNIT or SANITIZE, which end from timers (on the sim
	 * platform, time passes; targets that can send those run there). */
	if (!f->released)
		fz_fail("connection not released after close");
	fz_platform_drain(fz_server_idle, f->srv);
	if (nx_iscsi_server_busy(f->srv))
		fz_fail("server still busy after its only connection closed");
	nx_iscsi_server_free(f->srv);
	nx_target_free(f->tgt);
	nx_target_free(f->tgt2);
	f->out = NULL;
}

bool fz_iscsi_next(struct fz_iscsi *f, struct fz_rpdu *p)
{
	size_t n = f->out_pos;
	uint32_t padded;

	if (f->out_len - n < NX_ISCSI_BHS_LEN)
		return false;
	memcpy(p->bhs, f->out + n, NX_ISCSI_BHS_LEN);
	n += NX_ISCSI_BHS_LEN + p->bhs[4] * 4u + (f->hd ? 4u : 0u);
	p->dsl = nx_pdu_dsl(p->bhs);
	padded = nx_iscsi_pad4(p->dsl);
	if (p->dsl > 0 && f->dd)
		padded += 4;
	if (n > f->out_len || f->out_len - n < padded)
		return false;
	p->data = f->out + n;
	f->out_pos = n + padded;
	return true;
}

size_t fz_pdu_build(uint8_t *buf, size_t cap, uint8_t *bhs,
		    const uint8_t *ahs, uint32_t ahs_len, const void *data,
		    uint32_t dlen, bool hd, bool dd)
{
	uint32_t padded = nx_iscsi_pad4(dlen);
	size_t need = NX_ISCSI_BHS_LEN + ahs_len + 4 + padded + 4;
	size_t n;

	if (need > cap || ahs_len > NX_ISCSI_AHS_MAX || (ahs_len & 3) != 0 ||
	    dlen > 0xffffff)
		return 0;
	bhs[4] = (uint8_t)(ahs_len / 4);
	nx_put_be24(bhs + 5, dlen);
	memcpy(buf, bhs, NX_ISCSI_BHS_LEN);
	if (ahs_len > 0)
		memcpy(buf + NX_ISCSI_BHS_LEN, ahs, ahs_len);
	n = NX_ISCSI_BHS_LEN + ahs_len;
	if (hd) {
		nx_iscsi_digest_put(buf + n, nx_crc32c(0, buf, n));
		n += 4;
	}
	if (dlen == 0)
		return n;
	memcpy(buf + n, data, dlen);
	memset(buf + n + dlen, 0, padded - dlen);
	if (dd)
		nx_iscsi_digest_put(buf + n + padded,
				    nx_crc32c(0, buf + n, padded));
	return n + padded + (dd ? 4 : 0);
}

void fz_login_bhs(uint8_t *bhs, uint8_t flags, uint16_t tsih, uint32_t itt,
		  uint32_t cmdsn, uint32_t exp_statsn)
{
	memset(bhs, 0, NX_ISCSI_BHS_LEN);
	bhs[0] = 0x40 | NX_ISCSI_OP_LOGIN_REQ;
	bhs[1] = flags;
	memcpy(bhs + 8, "\x80\x12\x34\x56\x78\x9a", 6); /* ISID: random type */
	nx_put_be16(bhs + 14, tsih);
	nx_put_be32(bhs + 16, itt);
	nx_put_be16(bhs + 20, 1); /* CID */
	nx_put_be32(bhs + 24, cmdsn);
	nx_put_be32(bhs + 28, exp_statsn);
}

static size_t fz_keys(char *text, size_t cap, const char *const *keys,
		      unsigned n)
{
	size_t len = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(keys[i]) + 1;

		fz_check(len + l <= cap);
		memcpy(text + len, keys[i], l);
		len += l;
	}
	return len;
}

size_t fz_login_pdu(uint8_t *buf, size_t cap, bool hd, bool dd)
{
	const char *keys[] = {
		"InitiatorName=" FZ_INITIATOR_NAME, "TargetName=" FZ_TARGET_NAME,
		"SessionType=Normal",
		hd ? "HeaderDigest=CRC32C" : "HeaderDigest=None",
		dd ? "DataDigest=CRC32C" : "DataDigest=None",
		"InitialR2T=No", "ImmediateData=Yes",
		"MaxRecvDataSegmentLength=65536", "FirstBurstLength=65536",
		"MaxBurstLength=262144", "MaxOutstandingR2T=4",
	};
	char text[1024];
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	size_t len = fz_keys(text, sizeof(text), keys, NX_ARRAY_SIZE(keys));

	/* T, CSG operational (1), NSG full feature (3): RFC 7143 6.3 lets
	 * the security stage be skipped. */
	fz_login_bhs(bhs, 0x80 | (1 << 2) | 3, 0, 0x1000, 1, 0);
	/* login PDUs never carry digests (RFC 7143 13.1) */
	return fz_pdu_build(buf, cap, bhs, NULL, 0, text, (uint32_t)len, false,
			    false);
}

bool fz_iscsi_login(struct fz_iscsi *f, bool hd, bool dd)
{
	uint8_t buf[2048];
	size_t n = fz_login_pdu(buf, sizeof(buf), hd, dd);
	struct fz_rpdu p;

	fz_check(n > 0);
	fz_iscsi_feed(f, buf, n, 0);
	if (!fz_iscsi_next(f, &p) || p.bhs[0] != NX_ISCSI_OP_LOGIN_RSP ||
	    (p.bhs[1] & 0x83) != 0x83 || nx_get_be16(p.bhs + 36) != 0)
		return false;
	f->hd = hd;
	f->dd = dd;
	return true;
}

/* ---- core ------------------------------------------------------------------ */

static void fz_task_done(struct nx_task *t)
{
	struct fz_core *fc = nx_nexus_ctx(t->nexus);

	fc->done_calls++;
}

static const struct nx_nexus_ops fz_nexus_ops = { .task_done = fz_task_done };

void fz_core_open(struct fz_core *fc, uint32_t block_size, uint64_t bytes,
		  bool read_only)
{
	static const char *const iports[2] = {
		FZ_INITIATOR_NAME ",i,0x801234567890",
		"iqn.2024-01.org.nexus:other,i,0x800000000001",
	};

	memset(fc, 0, sizeof(*fc));
	fc->tgt = fz_target_new(FZ_TARGET_NAME, block_size, bytes, read_only);
	for (unsigned i = 0; i < 2; i++)
		fz_core_add_nexus(fc, iports[i], FZ_TARGET_NAME ",t,0x1",
				  (uint16_t)(i + 1));
}

unsigned fz_core_add_nexus(struct fz_core *fc, const char *initiator_port,
			   const char *target_port, uint16_t rtpi)
{
	unsigned i = fc->nexus_count;

	fz_check(i < FZ_NEXUS_MAX);
	fc->nexus[i] = nx_nexus_new(fc->tgt, initiator_port, target_port, rtpi,
				    &fz_nexus_ops, fc);
	fz_check(fc->nexus[i] != NULL);
	fc->nexus_count++;
	return i;
}

static void fz_drained(void *arg)
{
	bool *done = arg;

	*done = true;
}

void fz_core_close(struct fz_core *fc)
{
	for (unsigned i = 0; i < fc->nexus_count; i++) {
		bool drained = false;

		nx_nexus_shutdown(fc->nexus[i], fz_drained, &drained);
		/* every task completed inline: nothing may be left */
		if (!drained)
			fz_fail("nexus %u not drained at shutdown", i);
		nx_nexus_free(fc->nexus[i]);
	}
	nx_target_free(fc->tgt);
}

static void fz_task_check(const struct nx_task *t)
{
	fz_check(t->sense_len <= NX_SENSE_MAX);
	fz_check(t->xfer_len <= t->data_len || t->xfer_len == 0);
	if (t->status == NX_STATUS_CHECK_CONDITION)
		fz_check(t->sense_len >= 8);
	/* touch every data-in byte: ASan catches a short buffer */
	if (t->xfer_len > 0) {
		volatile uint8_t sum = 0;

		fz_check(t->data != NULL);
		for (uint32_t i = 0; i < t->xfer_len; i++)
			sum ^= t->data[i];
		(void)sum;
	}
}

static void fz_sense_codes(const struct nx_task *t, uint8_t *asc,
			   uint8_t *ascq)
{
	bool desc = (t->sense[0] & 0x7f) >= 0x72;

	*asc = *ascq = 0;
	if (desc && t->sense_len >= 4) {
		*asc = t->sense[2];
		*ascq = t->sense[3];
	} else if (!desc && t->sense_len >= 14) {
		*asc = t->sense[12];
		*ascq = t->sense[13];
	}
}

struct fz_wait {
	const struct fz_core *fc;
	unsigned calls;
};

static bool fz_task_ended(void *arg)
{
	const struct fz_wait *w = arg;

	return w->fc->done_calls != w->calls;
}

void fz_core_run(struct fz_core *fc, struct fz_cmd *cmd)
{
	struct nx_task *t = calloc(1, sizeof(*t));
	unsigned before = fc->done_calls;

	fz_check(t != NULL && cmd->nexus < fc->nexus_count);
	nx_task_init(t, fc->nexus[cmd->nexus]);
	t->lun = cmd->lun;
	fz_check(cmd->cdb_len <= NX_CDB_MAX);
	memcpy(t->cdb, cmd->cdb, cmd->cdb_len);
	t->cdb_len = cmd->cdb_len;
	t->tag = ++fc->tag;
	t->attr = cmd->attr;
	t->expected_len = cmd->expected_len;
	cmd->setup_ok = nx_task_setup(t);
	if (cmd->setup_ok) {
		if (t->dir == NX_DIR_WRITE && t->data_len > 0) {
			size_t n = NX_MIN((size_t)t->data_len, cmd->dout_len);

			fz_check(t->data != NULL);
			if (n > 0)
				memcpy(t->data, cmd->dout, n);
		}
		nx_task_execute(t);
		if (fc->done_calls == before) /* a FORMAT UNIT or SANITIZE */
			fz_platform_drain(fz_task_ended,
					  &(struct fz_wait){ fc, before });
		if (fc->done_calls != before + 1)
			fz_fail("task_done called %u times for opcode %02x",
				fc->done_calls - before, cmd->cdb[0]);
	} else if (fc->done_calls != before) {
		fz_fail("task_done called for a task setup refused");
	}
	fz_task_check(t);
	cmd->status = t->status;
	cmd->sense_key = t->sense_len > 2 ? (t->sense[0] & 0x7f) == 0x72 ||
						    (t->sense[0] & 0x7f) == 0x73
						    ? t->sense[1] & 0x0f
						    : t->sense[2] & 0x0f
					  : 0;
	fz_sense_codes(t, &cmd->asc, &cmd->ascq);
	cmd->xfer_len = t->xfer_len;
	if (getenv("FZ_DEBUG") != NULL)
		fprintf(stderr, "fz: nexus %u op %02x len %u -> setup %d status %02x key %x xfer %u\n",
			cmd->nexus, cmd->cdb[0], cmd->cdb_len, cmd->setup_ok,
			cmd->status, cmd->sense_key, cmd->xfer_len);
	if (cmd->din != NULL && t->xfer_len > 0)
		memcpy(cmd->din, t->data, NX_MIN((size_t)t->xfer_len, cmd->din_cap));
	nx_task_release(t);
	free(t);
}

struct fz_tmf {
	struct nx_tmf req;
	unsigned done_calls;
};

static void fz_tmf_done(struct nx_tmf *req)
{
	struct fz_tmf *m = req->priv;

	m->done_calls++;
}

void fz_core_tmf(struct fz_core *fc, unsigned idx, enum nx_tmf_fn fn,
		 uint64_t lun, uint64_t ref_tag)
{
	struct fz_tmf m;

	memset(&m, 0, sizeof(m));
	m.req.fn = fn;
	m.req.lun = lun;
	m.req.ref_tag = ref_tag;
	m.req.done = fz_tmf_done;
	m.req.priv = &m;
	nx_tmf_submit(fc->nexus[idx % fc->nexus_count], &m.req);
	/* no task is ever outstanding here, so the TMF completes inline */
	if (m.done_calls != 1)
		fz_fail("TMF %d done called %u times", fn, m.done_calls);
}

void fz_core_clear_ua(struct fz_core *fc)
{
	static const uint8_t tur[6] = { 0 };

	/* SAM-5 5.14: the first command of each nexus reports the power-on
	 * UA (and clears it); a second TUR proves it is gone */
	for (unsigned i = 0; i < fc->nexus_count * 2; i++) {
		for (unsigned k = 0; k < 2; k++) {
			struct fz_cmd cmd;

			memset(&cmd, 0, sizeof(cmd));
			cmd.nexus = i / 2;
			cmd.lun = fz_pick_lun(i & 1 ? 5 : 0); /* RAM, null */
			cmd.cdb = tur;
			cmd.cdb_len = sizeof(tur);
			fz_core_run(fc, &cmd);
		}
	}
}

void fz_records(const uint8_t *data, size_t size, unsigned max,
		void (*fn)(void *arg, const uint8_t *d, size_t n), void *arg)
{
	const uint8_t *end = data + size;

	for (unsigned i = 0; i < max && data < end; i++) {
		const uint8_t *sep = memmem(data, (size_t)(end - data), FZ_SEP,
					    FZ_SEP_LEN);
		const uint8_t *rec_end = sep != NULL ? sep : end;

		if (rec_end > data)
			fn(arg, data, (size_t)(rec_end - data));
		data = sep != NULL ? sep + FZ_SEP_LEN : end;
	}
}
