/*
 * mode.c - MODE SENSE(6/10) and MODE SELECT(6/10) (SPC-4 6.11-6.14) and the
 * mode pages (SPC-4 7.5, SBC-3 6.4).
 *
 * Pages: 01h read-write error recovery and 08h caching (SBC-3 6.4), 0Ah
 * control (SPC-4 7.5.8), 0Ah/01h control extension and 1Ch informational
 * exceptions control (SPC-4 7.5).
 *
 * One encoder per page writes it from an nx_mode_params.  The changeable
 * mask (PC 01b) is the same encoder fed with CHANGEABLE, a params value
 * whose changeable fields are all ones, without the page's constant bits.
 * MODE SELECT compares every byte the initiator sent with the current page
 * outside that mask, so "what MODE SENSE says is changeable" and "what
 * MODE SELECT accepts" are one definition.
 *
 * Saved values (PC 11b, SP=1) live in lu->mode_saved and, through
 * nx_persist_store, under "mode.<target>.<lun>": LU resets and nexus loss
 * restore current from saved (tmf.c), and a new LU (a restart) starts
 * with current = saved (SPC-4 7.5.1).  The blob is the pages themselves,
 * as MODE SENSE PC 11b returns them, behind a versioned header; loading
 * checks them the way MODE SELECT checks a parameter list, so a blob
 * never sets what an initiator could not.  MODE SELECT SP=1 stores before
 * it changes anything: a failed store changes neither current nor saved
 * values and the command fails (save_pages()).
 */
#include "scsi_internal.h"

#define MODE_BUF_MAX 128 /* header + long block descriptor + every page */
#define PAGE_MAX 32      /* longest page (control extension) */

struct mode_page {
	uint8_t page;
	uint8_t subpage;
	uint8_t len; /* whole page, header included */
	/* fixed: also write the page's constant (non-parameter) bits */
	void (*encode)(uint8_t *p, const struct nx_mode_params *m, bool fixed);
	/* Takes the changeable fields of p into m; returns the offset of an
	 * invalid value in p, or -1. */
	int (*decode)(const uint8_t *p, struct nx_mode_params *m);
};

/* ---- page encoders / decoders ------------------------------------------- */

/* Read-write error recovery (SBC-3 6.4): AWRE, ARRE and the retry counts
 * are kept but change nothing: a RAM/file LU never retries. */
static void enc_rwer(uint8_t *p, const struct nx_mode_params *m, bool fixed)
{
	p[2] = (uint8_t)((m->awre ? 0x80 : 0) | (m->arre ? 0x40 : 0));
	p[3] = m->read_retry;
	p[8] = m->write_retry;
}

static int dec_rwer(const uint8_t *p, struct nx_mode_params *m)
{
	m->awre = p[2] & 0x80;
	m->arre = p[2] & 0x40;
	m->read_retry = p[3];
	m->write_retry = p[8];
	return -1;
}

/* Caching (SBC-3 6.4) */
static void enc_caching(uint8_t *p, const struct nx_mode_params *m, bool fixed)
{
	p[2] = (uint8_t)((m->wce ? 0x04 : 0) | (m->rcd ? 0x01 : 0));
}

static int dec_caching(const uint8_t *p, struct nx_mode_params *m)
{
	m->wce = p[2] & 0x04;
	m->rcd = p[2] & 0x01;
	return -1;
}

/* SPC-4 7.5.8.  GLTSD=1: log parameters are never saved implicitly. */
static void enc_control(uint8_t *p, const struct nx_mode_params *m, bool fixed)
{
	p[2] = (uint8_t)(((m->tst & 0x07) << 5) | (m->d_sense ? 0x04 : 0) |
			 (fixed ? 0x02 : 0));
	p[3] = (uint8_t)((m->qerr & 0x03) << 1);
	p[4] = (uint8_t)(((m->ua_intlck_ctrl & 0x03) << 4) |
			 (m->swp ? 0x08 : 0));
	p[5] = (uint8_t)(m->tas ? 0x40 : 0);
}

/* QERR 10b and UA_INTLCK_CTRL 01b are reserved (SPC-4 7.5.8 tables 460,
 * 461): INVALID FIELD IN PARAMETER LIST at the byte. */
static int dec_control(const uint8_t *p, struct nx_mode_params *m)
{
	if (((p[3] >> 1) & 0x03) == 0x02)
		return 3;
	if (((p[4] >> 4) & 0x03) == 0x01)
		return 4;
	m->tst = (uint8_t)(p[2] >> 5);
	m->d_sense = p[2] & 0x04;
	m->qerr = (uint8_t)((p[3] >> 1) & 0x03);
	m->ua_intlck_ctrl = (uint8_t)((p[4] >> 4) & 0x03);
	m->swp = p[4] & 0x08;
	m->tas = p[5] & 0x40;
	return -1;
}

/* Control extension (SPC-4 7.5): nothing to report or change (no TCMOS,
 * SCSIP, IALUAE, priorities; MAXIMUM SENSE DATA LENGTH 0 = no limit). */
static void enc_control_ext(uint8_t *p, const struct nx_mode_params *m,
			    bool fixed)
{
}

static int dec_none(const uint8_t *p, struct nx_mode_params *m)
{
	return -1;
}

/* Informational exceptions control (SPC-4 7.5).  nexus never detects an
 * informational exception; the fields are kept so initiators that
 * configure them succeed. */
static void enc_iec(uint8_t *p, const struct nx_mode_params *m, bool fixed)
{
	p[2] = (uint8_t)(m->dexcpt ? 0x08 : 0);
	p[3] = (uint8_t)(m->mrie & 0x0f);
	nx_put_be32(p + 4, m->interval_timer);
	nx_put_be32(p + 8, m->report_count);
}

static int dec_iec(const uint8_t *p, struct nx_mode_params *m)
{
	uint8_t mrie = p[3] & 0x0f;

	if (mrie > 6) /* SPC-4 table 461: 7h-Fh reserved */
		return 3;
	m->dexcpt = p[2] & 0x08;
	m->mrie = mrie;
	m->interval_timer = nx_get_be32(p + 4);
	m->report_count = nx_get_be32(p + 8);
	return -1;
}

/* Ascending (page, subpage): the order MODE SENSE returns them in. */
static const struct mode_page mode_pages[] = {
	{ 0x01, 0x00, 12, enc_rwer, dec_rwer },
	{ 0x08, 0x00, 20, enc_caching, dec_caching },
	{ 0x0a, 0x00, 12, enc_control, dec_control },
	{ 0x0a, 0x01, 32, enc_control_ext, dec_none },
	{ 0x1c, 0x00, 12, enc_iec, dec_iec },
};

/* Page header (SPC-4 7.5): page_0 or sub_page format.  PS=1: every page
 * can be saved. */
static void encode_page(uint8_t *p, const struct mode_page *mp,
			const struct nx_mode_params *m, bool fixed)
{
	memset(p, 0, mp->len);
	mp->encode(p, m, fixed);
	if (mp->subpage != 0) {
		p[0] = (uint8_t)(0x80 | 0x40 | mp->page);
		p[1] = mp->subpage;
		nx_put_be16(p + 2, (uint16_t)(mp->len - 4));
	} else {
		p[0] = (uint8_t)(0x80 | mp->page);
		p[1] = (uint8_t)(mp->len - 2);
	}
}

/* The fields MODE SELECT may change: ones in each changeable field.
 * QERR (00b/01b/11b, tmf.c) and UA_INTLCK_CTRL (00b/10b/11b, ua.c) are
 * changeable; TST stays 000b (one task set per LU: dispatch.c and tmf.c
 * implement no per-nexus task sets) and TMF_ONLY 0.  WCE only with a
 * cache. */
static void changeable_params(const struct nx_lu *lu, struct nx_mode_params *m)
{
	memset(m, 0, sizeof(*m));
	m->qerr = 0x03;
	m->ua_intlck_ctrl = 0x03;
	m->d_sense = true;
	m->tas = true;
	m->swp = true;
	m->wce = lu->bs->write_cache;
	m->rcd = true;
	m->mrie = 0x0f;
	m->dexcpt = true;
	m->interval_timer = 0xffffffffu;
	m->report_count = 0xffffffffu;
	m->awre = true;
	m->arre = true;
	m->read_retry = 0xff;
	m->write_retry = 0xff;
}

/* Defaults (PC 10b).  TAS=1: tasks aborted by another I_T nexus end with
 * TASK ABORTED status, as LIO and SCST default. */
void nx_mode_defaults(struct nx_mode_params *m, const struct nx_backstore *bs)
{
	nx_assert(m != NULL && bs != NULL);
	memset(m, 0, sizeof(*m));
	m->tas = true;
	m->wce = bs->write_cache;
	m->dexcpt = true;
	m->awre = true;
	m->arre = true;
}

/* ---- MODE SENSE --------------------------------------------------------- */

enum nx_sense_reason nx_mode_sense_parse(struct nx_task *t)
{
	bool ms6 = t->cdb[0] == 0x1a;

	nx_spc_data_in(t, ms6 ? t->cdb[4] : nx_get_be16(t->cdb + 7));
	return NX_SR_OK;
}

/* SPC-4 6.11.1: page 3Fh = all pages; subpage FFh = all subpages. */
static bool page_selected(const struct mode_page *mp, uint8_t page,
			  uint8_t sub)
{
	if (page == 0x3f)
		return sub == 0xff || mp->subpage == 0;
	return mp->page == page && (sub == 0xff || mp->subpage == sub);
}

static enum nx_sense_reason check_page_code(struct nx_task *t, uint8_t page,
					    uint8_t sub)
{
	bool page_known = page == 0x3f;

	if (page == 0x3f)
		return sub == 0x00 || sub == 0xff ? NX_SR_OK
						  : nx_spc_bad_cdb(t, 3, 7);
	for (size_t i = 0; i < NX_ARRAY_SIZE(mode_pages); i++) {
		if (page_selected(&mode_pages[i], page, sub))
			return NX_SR_OK;
		page_known |= mode_pages[i].page == page;
	}
	return page_known ? nx_spc_bad_cdb(t, 3, 7) : nx_spc_bad_cdb(t, 2, 5);
}

/* SBC-3 6.4.2: short (8) or long LBA (16) block descriptor; for PC 01b
 * nothing in it is changeable. */
static size_t block_descriptor(uint8_t *p, const struct nx_lu *lu, bool llba,
			       bool zero)
{
	size_t len = llba ? 16 : 8;

	memset(p, 0, len);
	if (zero)
		return len;
	if (llba) {
		nx_put_be64(p, lu->nblocks);
		nx_put_be32(p + 12, lu->block_size);
	} else {
		nx_put_be32(p, lu->nblocks > 0xffffffffull ? 0xffffffffu
							   : (uint32_t)lu->nblocks);
		nx_put_be24(p + 5, lu->block_size);
	}
	return len;
}

static void params_for_pc(const struct nx_lu *lu, uint8_t pc,
			  struct nx_mode_params *m)
{
	switch (pc) {
	case 0:
		*m = lu->mode;
		break;
	case 1:
		changeable_params(lu, m);
		break;
	case 2:
		nx_mode_defaults(m, lu->bs);
		break;
	default:
		*m = lu->mode_saved;
		break;
	}
}

/* Mode parameter header (SPC-4 7.5); SBC-3 6.4.1 device-specific
 * parameter: WP for a read-only LU or SWP, DPOFUA (DPO and FUA honoured). */
static void mode_header(uint8_t *d, size_t len, bool ms6, bool llba,
			size_t bdl, bool wp)
{
	uint8_t dsp = (uint8_t)(0x10 | (wp ? 0x80 : 0));

	if (ms6) {
		d[0] = (uint8_t)(len - 1);
		d[2] = dsp;
		d[3] = (uint8_t)bdl;
	} else {
		nx_put_be16(d, (uint16_t)(len - 2));
		d[3] = dsp;
		d[4] = llba ? 0x01 : 0x00;
		nx_put_be16(d + 6, (uint16_t)bdl);
	}
}

enum nx_sense_reason nx_mode_sense_exec(struct nx_task *t)
{
	const struct nx_lu *lu = t->priv.lu;
	bool ms6 = t->cdb[0] == 0x1a;
	bool dbd = t->cdb[1] & 0x08;
	bool llba = !ms6 && (t->cdb[1] & 0x10);
	uint8_t pc = t->cdb[2] >> 6, page = t->cdb[2] & 0x3f, sub = t->cdb[3];
	uint8_t d[MODE_BUF_MAX];
	struct nx_mode_params m;
	size_t len = ms6 ? 4 : 8, bdl = 0;
	enum nx_sense_reason r = check_page_code(t, page, sub);

	nx_assert(lu != NULL);
	if (r != NX_SR_OK)
		return r;
	memset(d, 0, sizeof(d));
	params_for_pc(lu, pc, &m);
	if (!dbd) {
		bdl = block_descriptor(d + len, lu, llba, pc == 1);
		len += bdl;
	}
	for (size_t i = 0; i < NX_ARRAY_SIZE(mode_pages); i++) {
		const struct mode_page *mp = &mode_pages[i];
		if (!page_selected(mp, page, sub))
			continue;
		nx_assert(len + mp->len <= sizeof(d));
		encode_page(d + len, mp, &m, pc != 1);
		len += mp->len;
	}
	mode_header(d, len, ms6, llba && !dbd, bdl,
		    nx_nexus_lu_read_only(t->nexus, lu));
	nx_task_put_data(t, d, (uint32_t)len);
	return NX_SR_OK;
}

/* ---- MODE SELECT -------------------------------------------------------- */

/* SPC-4 6.13: PF=0 (vendor-specific pages) is not supported. */
enum nx_sense_reason nx_mode_select_parse(struct nx_task *t)
{
	bool ms6 = t->cdb[0] == 0x15;
	uint32_t len = ms6 ? t->cdb[4] : nx_get_be16(t->cdb + 7);

	if (len != 0 && !(t->cdb[1] & 0x10))
		return nx_spc_bad_cdb(t, 1, 4);
	t->data_len = len;
	t->dir = len ? NX_DIR_WRITE : NX_DIR_NONE;
	return NX_SR_OK;
}

static enum nx_sense_reason bad_param(struct nx_task *t, size_t byte, int bit)
{
	t->priv.field.valid = true;
	t->priv.field.in_cdb = false;
	t->priv.field.bit_valid = bit >= 0;
	t->priv.field.bit = (uint8_t)(bit >= 0 ? bit : 0);
	t->priv.field.byte = (uint16_t)byte;
	return NX_SR_INVALID_FIELD_IN_PARAM;
}

static int top_bit(uint8_t v)
{
	int bit = 7;

	while (bit > 0 && !(v & (1u << bit)))
		bit--;
	return bit;
}

/* SBC-3 6.4.2 in MODE SELECT: the block size cannot change and neither
 * can the capacity (NUMBER OF LOGICAL BLOCKS 0 = unchanged). */
static enum nx_sense_reason check_block_desc(struct nx_task *t, size_t off,
					     bool llba)
{
	const struct nx_lu *lu = t->priv.lu;
	const uint8_t *p = t->data + off;
	uint64_t nb = llba ? nx_get_be64(p) : nx_get_be32(p);
	uint32_t bl = llba ? nx_get_be32(p + 12) : nx_get_be24(p + 5);
	uint64_t cur = llba || lu->nblocks <= 0xffffffffull ? lu->nblocks
							    : 0xffffffffull;

	if (nb != 0 && nb != cur)
		return bad_param(t, off, 7);
	if (bl != lu->block_size)
		return bad_param(t, off + (llba ? 12 : 5), 7);
	return NX_SR_OK;
}

static const struct mode_page *find_page(uint8_t page, uint8_t sub)
{
	for (size_t i = 0; i < NX_ARRAY_SIZE(mode_pages); i++)
		if (mode_pages[i].page == page && mode_pages[i].subpage == sub)
			return &mode_pages[i];
	return NULL;
}

/* SPC-4 6.11 / 7.5: from byte `from` of page p on, a bit outside the
 * changeable mask must equal the page encoded from *m; then the changeable
 * fields are taken into *m.  Returns -1, or the offset in p of the first
 * bad byte with *bit its highest differing bit (-1: an invalid value).
 * MODE SELECT starts after the page header (PS is reserved there and
 * ignored); a stored blob is checked from byte 0. */
static int page_take(const struct nx_lu *lu, const uint8_t *p,
		     const struct mode_page *mp, size_t from,
		     struct nx_mode_params *m, int *bit)
{
	uint8_t cur[PAGE_MAX], mask[PAGE_MAX];
	struct nx_mode_params ch;

	nx_assert(mp->len <= PAGE_MAX && from < mp->len);
	changeable_params(lu, &ch);
	encode_page(cur, mp, m, true);
	encode_page(mask, mp, &ch, false);
	memset(mask, 0, mp->subpage ? 4 : 2); /* the header is not a field */
	for (size_t i = from; i < mp->len; i++) {
		uint8_t diff = (uint8_t)((p[i] ^ cur[i]) & ~mask[i]);
		if (diff) {
			*bit = top_bit(diff);
			return (int)i;
		}
	}
	*bit = -1;
	return mp->decode(p, m);
}

static enum nx_sense_reason apply_page(struct nx_task *t, size_t off,
				       const struct mode_page *mp,
				       struct nx_mode_params *staged)
{
	int bit;
	int bad = page_take(t->priv.lu, t->data + off, mp, mp->subpage ? 4 : 2,
			    staged, &bit);

	return bad < 0 ? NX_SR_OK : bad_param(t, off + (size_t)bad, bit);
}

/* One page at off: header, length, then apply_page().  *plen gets its
 * length.  A page cut short by the parameter list length is a PARAMETER
 * LIST LENGTH ERROR (SPC-4 6.13). */
static enum nx_sense_reason select_page(struct nx_task *t, size_t off,
					struct nx_mode_params *staged,
					size_t *plen)
{
	const uint8_t *p = t->data + off;
	size_t avail = t->data_len - off;
	bool spf = p[0] & 0x40;
	uint8_t sub;
	size_t len;

	if (avail < 2 || (spf && avail < 4))
		return NX_SR_PARAM_LIST_LENGTH;
	sub = spf ? p[1] : 0;
	len = spf ? (size_t)nx_get_be16(p + 2) + 4 : (size_t)p[1] + 2;
	const struct mode_page *mp = find_page(p[0] & 0x3f, sub);
	if (mp == NULL || (spf != (mp->subpage != 0)))
		return bad_param(t, off + (spf ? 1 : 0), spf ? 7 : 5);
	if (len != mp->len)
		return bad_param(t, off + (spf ? 2 : 1), 7);
	if (len > avail)
		return NX_SR_PARAM_LIST_LENGTH;
	*plen = len;
	return apply_page(t, off, mp, staged);
}

static size_t encode_all(uint8_t *d, const struct nx_mode_params *m)
{
	size_t len = 0;

	for (size_t i = 0; i < NX_ARRAY_SIZE(mode_pages); i++) {
		encode_page(d + len, &mode_pages[i], m, true);
		len += mode_pages[i].len;
	}
	return len;
}

/* ---- saved values through nx_persist_* ---------------------------------- */

/* Blob (big-endian): magic "NXMP", version, reserved 0, length of the
 * pages, then every page of mode_pages[] in order, as encode_all()
 * writes them.  A new page or field is a new version. */
#define MODE_BLOB_MAGIC 0x4e584d50u
#define MODE_BLOB_VERSION 1
#define MODE_BLOB_HDR 8
#define MODE_BLOB_MAX (MODE_BLOB_HDR + MODE_BUF_MAX)
#define MODE_KEY_MAX (NX_NAME_MAX + 32)

static void mode_key(const struct nx_lu *lu, char *key)
{
	nx_snprintf(key, MODE_KEY_MAX, "mode.%s.%llu", lu->tgt->name,
		    (unsigned long long)lu->lun);
}

static size_t blob_encode(uint8_t *b, const struct nx_mode_params *m)
{
	size_t n = encode_all(b + MODE_BLOB_HDR, m);

	nx_assert(MODE_BLOB_HDR + n <= MODE_BLOB_MAX);
	nx_put_be32(b, MODE_BLOB_MAGIC);
	b[4] = MODE_BLOB_VERSION;
	b[5] = 0;
	nx_put_be16(b + 6, (uint16_t)n);
	return MODE_BLOB_HDR + n;
}

/* A stored blob is outside input: header, length and every page are
 * checked (page_take() from byte 0: page code, length, PS and every bit
 * outside the changeable mask as the defaults have them, and the values
 * MODE SELECT refuses).  Returns whether *m holds the saved values. */
static bool blob_decode(const struct nx_lu *lu, const uint8_t *b, size_t len,
			struct nx_mode_params *m)
{
	uint32_t magic;
	uint16_t plen;
	size_t off = MODE_BLOB_HDR;
	int bit;

	if (!nx_get_be32_at(b, len, 0, &magic) || magic != MODE_BLOB_MAGIC ||
	    !nx_get_be16_at(b, len, 6, &plen) || b[4] != MODE_BLOB_VERSION ||
	    b[5] != 0 || len != MODE_BLOB_HDR + (size_t)plen)
		return false;
	nx_mode_defaults(m, lu->bs);
	for (size_t i = 0; i < NX_ARRAY_SIZE(mode_pages); i++) {
		const struct mode_page *mp = &mode_pages[i];
		if (len - off < mp->len || page_take(lu, b + off, mp, 0, m, &bit) >= 0)
			return false;
		off += mp->len;
	}
	return off == len;
}

void nx_lu_persist_failed(struct nx_lu *lu, const char *key, int err)
{
	if (nx_log_limit_pass(&lu->persist_log, NX_LOG_ERR, nx_clock_ns()) ==
	    NX_LOG_LIMIT_LOG)
		nx_log(NX_LOG_ERR, "%s: persist store failed (%d): the command "
		       "fails", key, err);
}

/* SPC-4 7.5.1: after power on the current values are the saved ones.  No
 * blob: the defaults.  A bad or unreadable one: the defaults, logged once
 * here (and replaced by the next SP=1). */
void nx_mode_lu_init(struct nx_lu *lu)
{
	char key[MODE_KEY_MAX];
	uint8_t b[MODE_BLOB_MAX];
	struct nx_mode_params m;
	size_t len = 0;
	int rc;

	nx_assert(lu != NULL && lu->tgt != NULL && lu->bs != NULL);
	nx_log_limit_init(&lu->persist_log, "persist store failures");
	nx_mode_defaults(&lu->mode_saved, lu->bs);
	mode_key(lu, key);
	rc = nx_persist_load(key, b, sizeof(b), &len);
	if (rc == NX_OK && len <= sizeof(b) && blob_decode(lu, b, len, &m))
		lu->mode_saved = m;
	else if (rc != NX_ENOENT)
		nx_log(NX_LOG_WARN, "mode: %s: saved mode pages %s (%d, %zu "
		       "bytes): defaults used", key,
		       rc == NX_OK ? "invalid" : "unreadable", rc, len);
	lu->mode = lu->mode_saved;
}

/* MODE SELECT SP=1 (SPC-4 6.13): the device server "shall save to a
 * nonvolatile vendor specific location all the saveable mode pages".  The
 * store comes first; if it fails nothing changes and the command ends with
 * HARDWARE ERROR / INTERNAL TARGET FAILURE (04/44/00): SPC-4 has no code of
 * its own for a failed save, and 4.5.6 defines HARDWARE ERROR as
 * a nonrecoverable failure the device server detected while performing the
 * command.  Not SAVING PARAMETERS NOT SUPPORTED (05/39/00): saving is
 * supported (PS=1) and an initiator told otherwise stops trying; not an
 * ILLEGAL REQUEST at all: the request was valid.  LIO has no saved pages to
 * compare (spc_emulate_modeselect ignores SP); for its own failed APTPL
 * file LIO answers LOGICAL UNIT COMMUNICATION FAILURE, mapped to NOT READY
 * so that Solaris retries, which repeats a store that fails. */
static enum nx_sense_reason save_pages(struct nx_lu *lu,
				       const struct nx_mode_params *m)
{
	char key[MODE_KEY_MAX];
	uint8_t b[MODE_BLOB_MAX];
	size_t len = blob_encode(b, m);
	int rc;

	mode_key(lu, key);
	rc = nx_persist_store(key, b, len);
	if (rc == NX_OK)
		return NX_SR_OK;
	nx_lu_persist_failed(lu, key, rc);
	return NX_SR_INTERNAL_FAILURE;
}

/* All pages are validated into a copy first: a bad page changes nothing.
 * Mode parameters overview (SPC-4 7.5.1): a change of mode parameters
 * shared by several I_T nexuses gives every I_T nexus but this one a
 * MODE PARAMETERS CHANGED unit attention. */
static void commit(struct nx_task *t, const struct nx_mode_params *staged)
{
	struct nx_lu *lu = t->priv.lu;
	uint8_t before[MODE_BUF_MAX], after[MODE_BUF_MAX];
	size_t n = encode_all(before, &lu->mode);

	nx_assert(n <= sizeof(before));
	encode_all(after, staged);
	lu->mode = *staged;
	if (t->cdb[1] & 0x01) /* SP */
		lu->mode_saved = *staged;
	if (memcmp(before, after, n) != 0)
		nx_ua_establish_all(lu->tgt, lu, t->nexus, 0x2a, 0x01);
}

static enum nx_sense_reason select_header(struct nx_task *t, size_t *off)
{
	bool ms6 = t->cdb[0] == 0x15;
	size_t hdr = ms6 ? 4 : 8;
	const uint8_t *d = t->data;

	if (t->data_len < hdr)
		return NX_SR_PARAM_LIST_LENGTH;
	bool llba = !ms6 && (d[4] & 0x01);
	size_t bdl = ms6 ? d[3] : nx_get_be16(d + 6);
	if (bdl != 0 && bdl != (llba ? 16u : 8u))
		return bad_param(t, ms6 ? 3 : 6, 7);
	if (hdr + bdl > t->data_len)
		return NX_SR_PARAM_LIST_LENGTH;
	*off = hdr + bdl;
	return bdl ? check_block_desc(t, hdr, llba) : NX_SR_OK;
}

enum nx_sense_reason nx_mode_select_exec(struct nx_task *t)
{
	struct nx_lu *lu = t->priv.lu;
	struct nx_mode_params staged;
	size_t off = 0, plen = 0;
	enum nx_sense_reason r;

	nx_assert(lu != NULL);
	if (t->data_len == 0)
		return NX_SR_OK; /* SPC-4 6.11: not an error */
	r = select_header(t, &off);
	if (r != NX_SR_OK)
		return r;
	staged = lu->mode;
	/* bounded: every page is >= 2 bytes of a <= 64 KiB list */
	while (off < t->data_len) {
		r = select_page(t, off, &staged, &plen);
		if (r != NX_SR_OK)
			return r;
		off += plen;
	}
	if (t->cdb[1] & 0x01) { /* SP */
		r = save_pages(lu, &staged);
		if (r != NX_SR_OK)
			return r;
	}
	commit(t, &staged);
	return NX_SR_OK;
}
