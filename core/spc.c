/*
 * spc.c - SPC-4 commands every logical unit supports: INQUIRY and the VPD
 * pages (SPC-4 6.6, 7.8; SBC-3 6.5), REPORT LUNS (6.33), TEST UNIT READY
 * (SPC-4 6), REQUEST SENSE (6.39), and the SPC half of the opcode table.
 *
 * MODE SENSE/SELECT live in mode.c, LOG SENSE in log.c, REPORT SUPPORTED
 * OPERATION CODES in rsoc.c and REPORT/SET TARGET PORT GROUPS in alua.c;
 * their rows are here because this table is the one list of SPC
 * commands.  LOG SELECT is optional (SPC-4 6.1, the
 * commands for all device types) and not implemented: it is absent from
 * the table, so dispatch answers INVALID COMMAND OPERATION CODE and RSOC
 * does not list it.
 */
#include "scsi_internal.h"

/* Largest response any command here builds (REPORT LUNS with NX_LU_MAX
 * LUs and the W-LUN is 2 KiB): a bigger allocation length only changes
 * the residual, so the buffer the core allocates stays bounded. */
#define SPC_ALLOC_MAX 65536u

#define PDT_DIRECT_ACCESS 0x00
#define PDT_WELL_KNOWN 0x1e
#define PDT_UNKNOWN 0x1f
#define PQ_NOT_CAPABLE 0x60 /* peripheral qualifier 011b (SPC-4 6.6.2) */
#define PQ_NOT_CONNECTED 0x20 /* 001b: capable, not connected */
#define TPGS_IMPLICIT_EXPLICIT 0x30 /* TPGS 11b (SPC-4 6.6.2, 5.16.2.3) */

#define STD_INQ_LEN 96
#define VPD_HDR_LEN 4
#define VPD_83_CAP 1024

/* Version descriptors (SPC-4 6.6.2). */
#define VD_SAM5 0x00a0
#define VD_SPC4 0x0460
#define VD_SBC3 0x04c0
#define VD_ISCSI 0x0960

/* ---- helpers shared by spc.c, mode.c, log.c, rsoc.c --------------------- */

void nx_spc_data_in(struct nx_task *t, uint32_t alloc_len)
{
	nx_assert(t != NULL);
	t->data_len = NX_MIN(alloc_len, SPC_ALLOC_MAX);
	t->dir = t->data_len ? NX_DIR_READ : NX_DIR_NONE;
}

/* SPC-4 4.5.2.4.2: the field pointer names the byte and, with bit >= 0,
 * the most significant bit of the offending field. */
enum nx_sense_reason nx_spc_bad_cdb(struct nx_task *t, uint16_t byte, int bit)
{
	nx_assert(t != NULL);
	nx_assert(bit < 8);
	t->priv.field.valid = true;
	t->priv.field.in_cdb = true;
	t->priv.field.bit_valid = bit >= 0;
	t->priv.field.bit = (uint8_t)(bit >= 0 ? bit : 0);
	t->priv.field.byte = byte;
	return NX_SR_INVALID_FIELD_IN_CDB;
}

/* SPC-4 4.4.1: left-aligned ASCII, padded with spaces. */
static void put_ascii(uint8_t *dst, size_t width, const char *s)
{
	size_t n = strlen(s);

	memset(dst, ' ', width);
	memcpy(dst, s, NX_MIN(n, width));
}

static bool task_is_report_luns_wlun(const struct nx_task *t)
{
	return t->lun == NX_WLUN_REPORT_LUNS;
}

/* Byte 0 of INQUIRY data and of every VPD page (SPC-4 6.6.2). */
static uint8_t inquiry_byte0(const struct nx_task *t)
{
	/* SPC-4 5.16.2.4.5: through an unavailable port, qualifier 001b. */
	if (t->priv.lu != NULL)
		return nx_alua_unavailable(t) ? PQ_NOT_CONNECTED | PDT_DIRECT_ACCESS
					      : PDT_DIRECT_ACCESS;
	if (task_is_report_luns_wlun(t))
		return PDT_WELL_KNOWN; /* SPC-4 8.2 */
	return PQ_NOT_CAPABLE | PDT_UNKNOWN;
}

/* ---- INQUIRY: standard data (SPC-4 6.6.2) ------------------------------- */

static void std_inquiry(struct nx_task *t)
{
	const struct nx_lu *lu = t->priv.lu;
	uint8_t d[STD_INQ_LEN];

	memset(d, 0, sizeof(d));
	d[0] = inquiry_byte0(t);
	if (lu != NULL && lu->removable)
		d[1] = 0x80;    /* RMB: removable medium */
	d[2] = 0x06;        /* VERSION: SPC-4 */
	d[3] = 0x20 | 0x10 | 0x02; /* NORMACA (SAM-5 5.9.2), HISUP, FORMAT 2 */
	d[4] = STD_INQ_LEN - 5;
	if (lu != NULL) /* TPGS (alua.c), 3PC: EXTENDED COPY (xcopy.c) */
		d[5] = TPGS_IMPLICIT_EXPLICIT | 0x08;
	d[7] = 0x02;        /* CMDQUE (SAM-5 task set management) */
	put_ascii(d + 8, 8, lu ? lu->vendor : "NEXUS");
	put_ascii(d + 16, 16, lu ? lu->product : "nexus-lu");
	put_ascii(d + 32, 4, lu ? lu->revision : "0001");
	nx_put_be16(d + 58, VD_SAM5);
	nx_put_be16(d + 60, VD_ISCSI);
	nx_put_be16(d + 62, VD_SPC4);
	if (lu != NULL)
		nx_put_be16(d + 64, VD_SBC3);
	nx_task_put_data(t, d, sizeof(d));
}

/* ---- VPD pages ----------------------------------------------------------- */

static const uint8_t vpd_pages[] = { 0x00, 0x80, 0x83, 0x86, 0x8f,
				     0xb0, 0xb1, 0xb2 };

static void vpd_header(const struct nx_task *t, uint8_t *d, uint8_t page,
		       uint16_t len)
{
	d[0] = inquiry_byte0(t);
	d[1] = page;
	nx_put_be16(d + 2, len);
}

/* Supported VPD pages (SPC-4 7.8): ascending page codes.  Without an LU
 * only 00h exists. */
static enum nx_sense_reason vpd_supported(struct nx_task *t)
{
	uint8_t d[VPD_HDR_LEN + sizeof(vpd_pages)];
	uint16_t n = t->priv.lu ? (uint16_t)sizeof(vpd_pages) : 1;

	memset(d, 0, sizeof(d));
	vpd_header(t, d, 0x00, n);
	memcpy(d + VPD_HDR_LEN, vpd_pages, n);
	nx_task_put_data(t, d, VPD_HDR_LEN + n);
	return NX_SR_OK;
}

/* Unit serial number (SPC-4 7.8) */
static enum nx_sense_reason vpd_serial(struct nx_task *t)
{
	const struct nx_lu *lu = t->priv.lu;
	uint8_t d[VPD_HDR_LEN + sizeof(lu->serial)];
	uint16_t n = (uint16_t)strlen(lu->serial);

	memset(d, 0, sizeof(d));
	vpd_header(t, d, 0x80, n);
	memcpy(d + VPD_HDR_LEN, lu->serial, n);
	nx_task_put_data(t, d, VPD_HDR_LEN + n);
	return NX_SR_OK;
}

/* One designation descriptor header (SPC-4 7.8.6). */
static size_t desig(uint8_t *p, uint8_t proto_codeset, uint8_t piv_assoc_type,
		    uint8_t len)
{
	p[0] = proto_codeset;
	p[1] = piv_assoc_type;
	p[2] = 0;
	p[3] = len;
	return 4;
}

#define CODE_SET_BINARY 0x01
#define CODE_SET_ASCII 0x02
#define CODE_SET_UTF8 0x03
#define ASSOC_LU 0x00
#define ASSOC_PORT 0x10
#define ASSOC_TARGET 0x20
#define PIV 0x80
#define PROTO_ISCSI 0x50
#define PROTO_SRP 0x40
#define SRP_ID_LEN 16

/* An SRP port name (transports/srp): "0x" + 32 hex digits of the 16-byte
 * port identifier, returned in id. */
static bool srp_port_id(const char *name, uint8_t *id)
{
	if (strncmp(name, "0x", 2) != 0 ||
	    strnlen(name, 2 + 2 * SRP_ID_LEN + 1) != 2 + 2 * SRP_ID_LEN)
		return false;
	for (unsigned i = 0; i < 2 * SRP_ID_LEN; i++) {
		char c = name[2 + i];
		int v = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return false;
		id[i / 2] = (uint8_t)(i & 1 ? id[i / 2] | v : v << 4);
	}
	return true;
}

/* iSCSI names ("iqn.", "eui.", "naa.") make the SCSI name string and port
 * identifiers iSCSI-specific: PIV=1 with protocol 5h; SRP port names
 * likewise with protocol 4h; otherwise PIV=0 and the protocol identifier
 * is reserved (SPC-4 7.8.6). */
static uint8_t proto_of(const char *name)
{
	uint8_t id[SRP_ID_LEN];

	if (!strncmp(name, "iqn.", 4) || !strncmp(name, "eui.", 4) ||
	    !strncmp(name, "naa.", 4))
		return PROTO_ISCSI;
	if (srp_port_id(name, id))
		return PROTO_SRP;
	return 0;
}

/* SCSI name string designator (SPC-4 7.8.6): null-terminated, padded to
 * a multiple of 4, at most 255 bytes. */
static size_t desig_name(uint8_t *p, uint8_t assoc, const char *name,
			 uint8_t proto)
{
	size_t n = strlen(name);
	size_t len = (n + 1 + 3) & ~(size_t)3;

	if (n == 0 || len > 252)
		return 0;
	size_t off = desig(p, (uint8_t)(proto | CODE_SET_UTF8),
			   (uint8_t)((proto ? PIV : 0) | assoc | 0x08),
			   (uint8_t)len);
	memset(p + off, 0, len);
	memcpy(p + off, name, n);
	return off + len;
}

static size_t desig_lu(const struct nx_lu *lu, uint8_t *p)
{
	size_t off = 0;
	size_t sn = strlen(lu->serial);

	/* NAA IEEE Registered Extended, built by target.c */
	off += desig(p + off, CODE_SET_BINARY, ASSOC_LU | 0x03, 16);
	memcpy(p + off, lu->naa, 16);
	off += 16;
	/* T10 vendor ID based: vendor + unit serial */
	off += desig(p + off, CODE_SET_ASCII, ASSOC_LU | 0x01,
		     (uint8_t)(8 + sn));
	put_ascii(p + off, 8, lu->vendor);
	memcpy(p + off + 8, lu->serial, sn);
	return off + 8 + sn;
}

static size_t desig_port(const struct nx_nexus *n, uint8_t *p)
{
	size_t off = 0;
	uint8_t proto = proto_of(n->target_port);
	uint16_t group;

	/* Relative target port identifier; 0 is reserved */
	if (n->rtpi != 0) {
		off += desig(p, (uint8_t)(proto | CODE_SET_BINARY),
			     (uint8_t)((proto ? PIV : 0) | ASSOC_PORT | 0x04), 4);
		p[off] = 0;
		p[off + 1] = 0;
		nx_put_be16(p + off + 2, n->rtpi);
		off += 4;
	}
	/* Target port group (SPC-4 7.8.6.8), required with TPGS != 0
	 * (SPC-4 5.16.2.7): the group of the port the command came in on. */
	if (nx_alua_port_group(n->tgt, n->rtpi, &group)) {
		off += desig(p + off, (uint8_t)(proto | CODE_SET_BINARY),
			     (uint8_t)((proto ? PIV : 0) | ASSOC_PORT | 0x05), 4);
		p[off] = 0;
		p[off + 1] = 0;
		nx_put_be16(p + off + 2, group);
		off += 4;
	}
	if (srp_port_id(n->target_port, p + off + 4)) {
		/* An SRP target port is its 16-byte identifier: an EUI-64
		 * based designator (SPC-4 7.8.6.5: IDENTIFIER EXTENSION +
		 * EUI-64, as SRP lays it out); a SCSI name string may not
		 * start with "0x" (7.8.6.11). */
		off += desig(p + off, (uint8_t)(PROTO_SRP | CODE_SET_BINARY),
			     (uint8_t)(PIV | ASSOC_PORT | 0x02), SRP_ID_LEN);
		off += SRP_ID_LEN;
	} else {
		off += desig_name(p + off, ASSOC_PORT, n->target_port, proto);
	}
	/* PIV=1 names the protocol the command came through (SPC-4 7.8.6.1):
	 * an iSCSI-format target name is not an SRP identifier, so through
	 * an SRP port it goes with PIV=0. */
	off += desig_name(p + off, ASSOC_TARGET, n->tgt->name,
			  proto == PROTO_SRP ? 0 : proto_of(n->tgt->name));
	return off;
}

/* Device identification (SPC-4 7.8.6): the LU's designators, then those
 * of the target port the command came in on (relative target port,
 * target port group, SCSI name "<target>,t,0x<TPGT>") and the target. */
static enum nx_sense_reason vpd_devid(struct nx_task *t)
{
	uint8_t *d = nx_alloc(VPD_83_CAP);
	size_t len = VPD_HDR_LEN;

	if (d == NULL)
		return NX_SR_INSUFFICIENT_RESOURCES;
	len += desig_lu(t->priv.lu, d + len);
	if (t->nexus != NULL)
		len += desig_port(t->nexus, d + len);
	nx_assert(len <= VPD_83_CAP);
	vpd_header(t, d, 0x83, (uint16_t)(len - VPD_HDR_LEN));
	nx_task_put_data(t, d, (uint32_t)len);
	nx_free(d);
	return NX_SR_OK;
}

/* Extended INQUIRY data (SPC-4 7.8) */
static enum nx_sense_reason vpd_extended(struct nx_task *t)
{
	uint8_t d[64];

	memset(d, 0, sizeof(d));
	vpd_header(t, d, 0x86, sizeof(d) - VPD_HDR_LEN);
	d[5] = 0x04 | 0x02 | 0x01; /* HEADSUP, ORDSUP, SIMPSUP */
	if (t->priv.lu->bs->write_cache)
		d[6] = 0x01;       /* V_SUP: a volatile cache exists */
	d[7] = 0x01;               /* LUICLR: shall be one */
	nx_task_put_data(t, d, sizeof(d));
	return NX_SR_OK;
}

/* Third-party Copy (SPC-4 7.8.17): built by the copy manager, xcopy.c */
static enum nx_sense_reason vpd_3pc(struct nx_task *t)
{
	uint8_t d[VPD_HDR_LEN + 128];
	size_t n = nx_xcopy_vpd_3pc(t->priv.lu, d + VPD_HDR_LEN,
				    sizeof(d) - VPD_HDR_LEN);

	vpd_header(t, d, 0x8f, (uint16_t)n);
	nx_task_put_data(t, d, (uint32_t)(VPD_HDR_LEN + n));
	return NX_SR_OK;
}

/* Block limits (SBC-3 6.5) */
static enum nx_sense_reason vpd_block_limits(struct nx_task *t)
{
	const struct nx_lu *lu = t->priv.lu;
	uint8_t d[64];

	memset(d, 0, sizeof(d));
	vpd_header(t, d, 0xb0, sizeof(d) - VPD_HDR_LEN);
	d[4] = NX_WSNZ ? 0x01 : 0x00;
	d[5] = (uint8_t)NX_CAW_MAX_BLOCKS;
	/* OPTIMAL TRANSFER LENGTH GRANULARITY: one physical block */
	nx_put_be16(d + 6, (uint16_t)(1u << lu->lbppbe));
	nx_put_be32(d + 8, NX_MAX_XFER_BYTES >> lu->block_shift);
	nx_put_be32(d + 12, (1u << 20) >> lu->block_shift);
	if (lu->bs->thin) {
		nx_put_be32(d + 20, NX_UNMAP_MAX_BLOCKS);
		nx_put_be32(d + 24, NX_UNMAP_MAX_DESC);
		/* OPTIMAL UNMAP GRANULARITY: one physical block; UGAVALID
		 * with alignment 0, as LOWEST ALIGNED LBA is 0 (RC16) */
		nx_put_be32(d + 28, 1u << lu->lbppbe);
		d[32] = 0x80;
	}
	nx_put_be64(d + 36, NX_WS_MAX_BLOCKS);
	/* SBC-4 6.6.4: WRITE ATOMIC(16) limits; no atomic boundaries
	 * (MAXIMUM ATOMIC TRANSFER LENGTH WITH ATOMIC BOUNDARY and
	 * MAXIMUM ATOMIC BOUNDARY SIZE stay 0) */
	nx_put_be32(d + 44, NX_ATOMIC_MAX_BYTES >> lu->block_shift);
	nx_put_be32(d + 48, NX_MAX(1u, NX_ATOMIC_UNIT_BYTES >> lu->block_shift));
	nx_put_be32(d + 52, NX_MAX(1u, NX_ATOMIC_UNIT_BYTES >> lu->block_shift));
	nx_task_put_data(t, d, sizeof(d));
	return NX_SR_OK;
}

/* Block device characteristics (SBC-3 6.5).  RAM and null have no
 * rotating medium (MEDIUM ROTATION RATE 0001h); a file's is unknown (0).
 * WABEREQ and WACEREQ 01b (SBC-4 6.6.2): after a BLOCK ERASE or
 * CRYPTOGRAPHIC ERASE sanitize, reads complete with GOOD status. */
static enum nx_sense_reason vpd_block_chars(struct nx_task *t)
{
	const char *name = t->priv.lu->bs->ops->name;
	uint8_t d[64];

	memset(d, 0, sizeof(d));
	vpd_header(t, d, 0xb1, sizeof(d) - VPD_HDR_LEN);
	if (name != NULL && (!strcmp(name, "ram") || !strcmp(name, "null")))
		nx_put_be16(d + 4, 0x0001);
	d[7] = 0x40 | 0x10;
	nx_task_put_data(t, d, sizeof(d));
	return NX_SR_OK;
}

/* Logical block provisioning (SBC-3 6.5): thin backstores unmap through
 * UNMAP and WRITE SAME (10/16) and read zeros afterwards (LBPRZ). */
static enum nx_sense_reason vpd_lbp(struct nx_task *t)
{
	uint8_t d[8];

	memset(d, 0, sizeof(d));
	vpd_header(t, d, 0xb2, sizeof(d) - VPD_HDR_LEN);
	if (t->priv.lu->bs->thin) {
		d[5] = 0x80 | 0x40 | 0x20 | 0x04; /* LBPU LBPWS LBPWS10 LBPRZ */
		d[6] = 0x02;                      /* thin provisioned */
	}
	nx_task_put_data(t, d, sizeof(d));
	return NX_SR_OK;
}

static enum nx_sense_reason inquiry_vpd(struct nx_task *t, uint8_t page)
{
	if (page == 0x00)
		return vpd_supported(t);
	if (t->priv.lu == NULL)
		return nx_spc_bad_cdb(t, 2, 7);
	switch (page) {
	case 0x80:
		return vpd_serial(t);
	case 0x83:
		return vpd_devid(t);
	case 0x86:
		return vpd_extended(t);
	case 0x8f:
		return vpd_3pc(t);
	case 0xb0:
		return vpd_block_limits(t);
	case 0xb1:
		return vpd_block_chars(t);
	case 0xb2:
		return vpd_lbp(t);
	default:
		return nx_spc_bad_cdb(t, 2, 7);
	}
}

/* SPC-4 6.6.1: EVPD=0 with a PAGE CODE is an error. */
static enum nx_sense_reason inquiry_parse(struct nx_task *t)
{
	if (!(t->cdb[1] & 0x01) && t->cdb[2] != 0)
		return nx_spc_bad_cdb(t, 2, 7);
	nx_spc_data_in(t, nx_get_be16(t->cdb + 3));
	return NX_SR_OK;
}

static enum nx_sense_reason inquiry_exec(struct nx_task *t)
{
	if (t->cdb[1] & 0x01)
		return inquiry_vpd(t, t->cdb[2]);
	std_inquiry(t);
	return NX_SR_OK;
}

/* ---- REPORT LUNS (SPC-4 6.33) ------------------------------------------- */

static enum nx_sense_reason report_luns_parse(struct nx_task *t)
{
	uint32_t alloc = nx_get_be32(t->cdb + 6);

	/* 00h all, 01h well known only, 02h both; others reserved */
	if (t->cdb[2] > 0x02)
		return nx_spc_bad_cdb(t, 2, 7);
	/* SPC-3 6.21 made < 16 an error; SPC-4 relaxed it to "should".
	 * Keep the error: a too-small buffer cannot even hold one LUN. */
	if (alloc < 16)
		return nx_spc_bad_cdb(t, 6, 7);
	nx_spc_data_in(t, alloc);
	return NX_SR_OK;
}

static enum nx_sense_reason report_luns_exec(struct nx_task *t)
{
	const struct nx_target *tgt = t->nexus->tgt;
	uint8_t select = t->cdb[2];
	uint32_t cap = 8 + 8 * (NX_LU_MAX + 1);
	uint8_t *d = nx_alloc(cap);
	uint32_t len = 8;

	if (d == NULL)
		return NX_SR_INSUFFICIENT_RESOURCES;
	if (select != 0x01) {
		for (unsigned i = 0; i < tgt->lu_count; i++, len += 8)
			nx_put_be64(d + len, nx_lun_encode(tgt->lus[i]->lun));
	}
	/* The W-LUN's encoding (C1h...) sorts after every flat/peripheral
	 * LUN, so appending keeps the list ascending. */
	if (select != 0x00) {
		nx_put_be64(d + len, NX_WLUN_REPORT_LUNS);
		len += 8;
	}
	nx_assert(len <= cap);
	nx_put_be32(d, len - 8);
	nx_task_put_data(t, d, len);
	nx_free(d);
	return NX_SR_OK;
}

/* ---- TEST UNIT READY (SPC-4 6) ------------------------------------------- */

static enum nx_sense_reason tur_exec(struct nx_task *t)
{
	const struct nx_lu *lu = t->priv.lu;

	nx_assert(lu != NULL);
	/* SPC-4 6.37: no medium in a removable LU: MEDIUM NOT PRESENT */
	if (lu->medium_absent)
		return NX_SR_MEDIUM_NOT_PRESENT;
	/* SBC-3 4.20: a stopped LU needs START STOP UNIT to become ready */
	return lu->stopped ? NX_SR_NOT_READY_STOPPED : NX_SR_OK;
}

/* ---- REQUEST SENSE (SPC-4 6.39) ----------------------------------------- */

static enum nx_sense_reason request_sense_parse(struct nx_task *t)
{
	nx_spc_data_in(t, t->cdb[4]);
	return NX_SR_OK;
}

/* The condition of lu that REQUEST SENSE reports when no UA is pending:
 * a sanitize in progress with its progress indication (SBC-4 4.11.2), a
 * failed sanitize (SBC-4 4.11.3), no medium, a stopped LU (SBC-3 4.20). */
static bool lu_not_ready(const struct nx_lu *lu, uint8_t sense[3],
			 struct nx_sense_field *f)
{
	uint16_t progress;

	if (nx_sanitize_progress(lu, &progress)) {
		/* SBC-3 5.3.1: a format operation is FORMAT IN PROGRESS */
		*f = nx_sense_progress(progress);
		memcpy(sense, nx_format_in_progress(lu) ? "\x02\x04\x04"
							: "\x02\x04\x1b", 3);
	} else if (lu->sanitize_failed) {
		memcpy(sense, "\x03\x31\x03", 3);
	} else if (lu->medium_absent) {
		memcpy(sense, "\x02\x3a\x00", 3);
	} else if (lu->stopped) {
		memcpy(sense, "\x02\x04\x02", 3);
	} else {
		return false;
	}
	return true;
}

/* Status GOOD with the sense data as parameter data: a pending UA for
 * this I_T_L nexus (consumed, SAM-5 5.14), LOGICAL UNIT NOT SUPPORTED for
 * a LUN without an LU (SPC-4 6.39.1), the LU's not-ready condition, else
 * NO SENSE.  DESC picks the format. */
static enum nx_sense_reason request_sense_exec(struct nx_task *t)
{
	struct nx_lu *lu = t->priv.lu;
	bool desc = t->cdb[1] & 0x01;
	uint8_t s[3] = { 0x00, 0x00, 0x00 }; /* key, ASC, ASCQ */
	struct nx_sense_field f = { .valid = false };
	uint8_t d[NX_SENSE_MAX];
	struct nx_ua ua;

	/* The pending UA first, as for every other command through an
	 * unavailable port (dispatch.c: UAs before the ALUA gate): with
	 * UA_INTLCK_CTRL 10b/11b only REQUEST SENSE clears it (SPC-4 7.5.8
	 * table 461), so answering 05/25/00 instead would keep the I_T
	 * nexus behind it for good.  Then SPC-4 6.39: an LU reporting
	 * qualifier 001b (unavailable through this port, 5.16.2.4.5)
	 * answers as if absent. */
	if (lu != NULL && nx_ua_pop(t->nexus, lu, &ua)) {
		s[0] = 0x06;
		s[1] = ua.asc;
		s[2] = ua.ascq;
	} else if ((lu == NULL && !task_is_report_luns_wlun(t)) ||
		   nx_alua_unavailable(t)) {
		s[0] = 0x05;
		s[1] = 0x25;
	} else if (lu != NULL) {
		lu_not_ready(lu, s, &f);
	}
	size_t n = nx_sense_encode(d, sizeof(d), desc, s[0], s[1], s[2], &f,
				   false, 0);
	nx_task_put_data(t, d, (uint32_t)n);
	return NX_SR_OK;
}

/* ---- the SPC opcode table ------------------------------------------------ */

/* CONTROL byte (SAM-5 5.2): the NACA bit is valid for every command
 * (NORMACA=1) and added by dispatch.c / rsoc.c, so the masks below leave
 * it out; every other control bit is reserved. */
#define CTL 0x00
#define UA_FREE (NX_OP_NO_LU | NX_OP_UA_EXEMPT | NX_OP_CONFLICT_OK)
/* Allowed in every asymmetric access state (SPC-4 5.16.2.4.4, 5.16.2.4.5,
 * 5.16.2.5); ALUA_SB: in standby only (5.16.2.4.4). */
#define ALUA_ALL (NX_OP_ALUA_STANDBY | NX_OP_ALUA_UNAVAIL | NX_OP_ALUA_TRANS)
#define ALUA_SB NX_OP_ALUA_STANDBY
#define PRIN_ROW(sa, name)                                                  \
	{ 0x5e, sa, 10, NX_OP_SA | NX_OP_CONFLICT_OK | ALUA_SB, name,       \
	  { 0xff, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, CTL },    \
	  nx_pr_in_parse, nx_pr_in_exec }
#define PROUT_ROW(sa, name)                                                 \
	{ 0x5f, sa, 10, NX_OP_SA | NX_OP_CONFLICT_OK | ALUA_SB, name,       \
	  { 0xff, 0x1f, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, CTL },    \
	  nx_pr_out_parse, nx_pr_out_exec }

#define RCR_ROW(sa, name)                                                   \
	{ 0x84, sa, 16, NX_OP_SA | NX_OP_PR_READ, name,                     \
	  { 0xff, 0x1f, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     \
	    0xff, 0xff, 0xff, 0xff, 0x00, CTL },                            \
	  nx_rcr_parse, nx_rcr_exec }

/* Sorted by (opcode, service action).  Usage masks per SPC-4 6.x CDB
 * tables: a 1 marks a bit the device server evaluates. */
const struct nx_opcode_desc nx_spc_opcodes[] = {
	{ 0x00, 0, 6, NX_OP_CONFLICT_OK, "TEST UNIT READY",
	  { 0xff, 0x00, 0x00, 0x00, 0x00, CTL }, NULL, tur_exec },
	{ 0x03, 0, 6, UA_FREE | ALUA_ALL, "REQUEST SENSE",
	  { 0xff, 0x01, 0x00, 0x00, 0xff, CTL },
	  request_sense_parse, request_sense_exec },
	{ 0x12, 0, 6, UA_FREE | ALUA_ALL, "INQUIRY",
	  { 0xff, 0x01, 0xff, 0xff, 0xff, CTL }, inquiry_parse, inquiry_exec },
	{ 0x15, 0, 6, ALUA_SB, "MODE SELECT(6)",
	  { 0xff, 0x11, 0x00, 0x00, 0xff, CTL },
	  nx_mode_select_parse, nx_mode_select_exec },
	/* SPC-2 RESERVE/RELEASE (pr.c): no third-party or extent
	 * reservations, so those bits are reserved here. */
	{ 0x16, 0, 6, NX_OP_CONFLICT_OK, "RESERVE(6)",
	  { 0xff, 0x00, 0x00, 0x00, 0x00, CTL }, NULL, nx_spc2_reserve_exec },
	{ 0x17, 0, 6, NX_OP_CONFLICT_OK, "RELEASE(6)",
	  { 0xff, 0x00, 0x00, 0x00, 0x00, CTL }, NULL, nx_spc2_release_exec },
	/* MODE SENSE and RSOC: read class under persistent reservations
	 * (REPORT CAPABILITIES ALLOW COMMANDS 011b, SPC-4 6.15.4). */
	{ 0x1a, 0, 6, NX_OP_PR_READ | ALUA_SB, "MODE SENSE(6)",
	  { 0xff, 0x08, 0xff, 0xff, 0xff, CTL },
	  nx_mode_sense_parse, nx_mode_sense_exec },
	/* PPC and SP unsupported: reserved here (SPC-4 6.7) */
	{ 0x4d, 0, 10, NX_OP_CONFLICT_OK | ALUA_SB, "LOG SENSE",
	  { 0xff, 0x00, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, CTL },
	  nx_log_sense_parse, nx_log_sense_exec },
	{ 0x55, 0, 10, ALUA_SB, "MODE SELECT(10)",
	  { 0xff, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, CTL },
	  nx_mode_select_parse, nx_mode_select_exec },
	{ 0x56, 0, 10, NX_OP_CONFLICT_OK, "RESERVE(10)",
	  { 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, CTL },
	  NULL, nx_spc2_reserve_exec },
	{ 0x57, 0, 10, NX_OP_CONFLICT_OK, "RELEASE(10)",
	  { 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, CTL },
	  NULL, nx_spc2_release_exec },
	{ 0x5a, 0, 10, NX_OP_PR_READ | ALUA_SB, "MODE SENSE(10)",
	  { 0xff, 0x18, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, CTL },
	  nx_mode_sense_parse, nx_mode_sense_exec },
	/* PERSISTENT RESERVE IN / OUT (pr.c, SPC-4 6.15, 6.16): allowed
	 * under every persistent reservation type (table 64); PROUT's own
	 * rules decide per service action. */
	PRIN_ROW(0x00, "PERSISTENT RESERVE IN (READ KEYS)"),
	PRIN_ROW(0x01, "PERSISTENT RESERVE IN (READ RESERVATION)"),
	PRIN_ROW(0x02, "PERSISTENT RESERVE IN (REPORT CAPABILITIES)"),
	PRIN_ROW(0x03, "PERSISTENT RESERVE IN (READ FULL STATUS)"),
	PROUT_ROW(0x00, "PERSISTENT RESERVE OUT (REGISTER)"),
	PROUT_ROW(0x01, "PERSISTENT RESERVE OUT (RESERVE)"),
	PROUT_ROW(0x02, "PERSISTENT RESERVE OUT (RELEASE)"),
	PROUT_ROW(0x03, "PERSISTENT RESERVE OUT (CLEAR)"),
	PROUT_ROW(0x04, "PERSISTENT RESERVE OUT (PREEMPT)"),
	PROUT_ROW(0x05, "PERSISTENT RESERVE OUT (PREEMPT AND ABORT)"),
	PROUT_ROW(0x06, "PERSISTENT RESERVE OUT (REGISTER AND IGNORE EXISTING KEY)"),
	PROUT_ROW(0x07, "PERSISTENT RESERVE OUT (REGISTER AND MOVE)"),
	/* EXTENDED COPY (LID1) and RECEIVE COPY RESULTS (xcopy.c, SPC-4
	 * 6.4, 6.18): write class and read class under persistent
	 * reservations (table 64); the copy's own targets are checked per
	 * segment. */
	{ 0x83, 0x00, 16, NX_OP_SA | NX_OP_MEDIUM, "EXTENDED COPY(LID1)",
	  { 0xff, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
	    0xff, 0xff, 0xff, 0x00, CTL },
	  nx_xcopy_parse, nx_xcopy_exec },
	RCR_ROW(0x00, "RECEIVE COPY STATUS(LID1)"),
	RCR_ROW(0x03, "RECEIVE COPY OPERATING PARAMETERS"),
	RCR_ROW(0x04, "RECEIVE COPY FAILURE DETAILS(LID1)"),
		{ 0xa0, 0, 12, UA_FREE | ALUA_ALL, "REPORT LUNS",
	  { 0xff, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00,
	    CTL },
	  report_luns_parse, report_luns_exec },
	/* REPORT / SET TARGET PORT GROUPS (alua.c, SPC-4 6.37, 6.45):
	 * RTPG is allowed under every reservation (SPC-4 table 64). */
	{ 0xa3, 0x0a, 12, NX_OP_SA | NX_OP_CONFLICT_OK | ALUA_ALL,
	  "REPORT TARGET PORT GROUPS",
	  { 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00,
	    CTL },
	  nx_alua_rtpg_parse, nx_alua_rtpg_exec },
	{ 0xa3, 0x0c, 12, NX_OP_SA | NX_OP_PR_READ,
	  "REPORT SUPPORTED OPERATION CODES",
	  { 0xff, 0x1f, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00,
	    CTL },
	  nx_rsoc_parse, nx_rsoc_exec },
	{ 0xa3, 0x0d, 12, NX_OP_SA | NX_OP_CONFLICT_OK,
	  "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS",
	  { 0xff, 0x1f, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00,
	    CTL },
	  nx_rstmf_parse, nx_rstmf_exec },
	{ 0xa4, 0x0a, 12, NX_OP_SA | NX_OP_ALUA_STANDBY | NX_OP_ALUA_UNAVAIL,
	  "SET TARGET PORT GROUPS",
	  { 0xff, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00,
	    CTL },
	  nx_alua_stpg_parse, nx_alua_stpg_exec },
};

const size_t nx_spc_opcode_count = NX_ARRAY_SIZE(nx_spc_opcodes);
