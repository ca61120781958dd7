/*
 * explain.c - what the trace says about the target (LUs, sizes, INQUIRY
 * identity), how a CDB and an answer read, the clause behind nexus's
 * answer, and the comparison of two answers.
 *
 * Clauses are those the core cites beside its code (core/dispatch.c,
 * sbc.c, spc.c, mode.c, pr.c); one table here so the report and the
 * core speak with one voice.
 */
#include <stdio.h>
#include <string.h>

#include "replay.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* ---- configuration from the trace ----------------------------------- */

static unsigned target_of(const struct nx_trace *t, struct rp_config *cfg,
			  uint32_t conn)
{
	const char *name = t->conns[conn].login.target;

	if (name[0] == '\0')
		return 0;
	for (unsigned i = 0; i < cfg->target_count; i++)
		if (strcmp(cfg->targets[i], name) == 0)
			return i;
	if (cfg->target_count == RP_TARGETS_MAX)
		return 0;
	snprintf(cfg->targets[cfg->target_count], NX_TR_NAME_MAX, "%s", name);
	return cfg->target_count++;
}

static struct rp_lu *lu_get(struct rp_config *cfg, unsigned target,
			    uint32_t lun)
{
	for (unsigned i = 0; i < cfg->lu_count; i++)
		if (cfg->lus[i].target == target && cfg->lus[i].lun == lun)
			return &cfg->lus[i];
	if (cfg->lu_count == RP_LUS_MAX || lun > 16383)
		return NULL;
	struct rp_lu *lu = &cfg->lus[cfg->lu_count++];
	memset(lu, 0, sizeof(*lu));
	lu->target = target;
	lu->lun = lun;
	lu->block_size = 512;
	return lu;
}

/* SPC-4 4.4.1: ASCII fields, left-aligned, padded with spaces. */
static void ascii_field(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t len = n < cap - 1 ? n : cap - 1;

	for (size_t i = 0; i < len; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : ' ';
	while (len > 0 && dst[len - 1] == ' ')
		len--;
	dst[len] = '\0';
}

static void learn_from_answer(struct rp_config *cfg, unsigned target,
			      struct rp_lu *lu, const struct nx_tr_cmd *m)
{
	const uint8_t *d = m->in, *c = m->cdb;
	uint32_t n = m->in_end;

	if (!m->answered || m->status != 0 || d == NULL || m->in_hole)
		return;
	if (c[0] == 0x25 && n >= 8 && be32(d) != 0xffffffffu) {
		lu->blocks = (uint64_t)be32(d) + 1;   /* SBC-3 5.15 */
		lu->block_size = be32(d + 4);
		lu->capacity_seen = true;
	} else if (c[0] == 0x9e && (c[1] & 0x1f) == 0x10 && n >= 12) {
		lu->blocks = be64(d) + 1;             /* SBC-3 5.16 */
		lu->block_size = be32(d + 8);
		lu->capacity_seen = true;
		if (n >= 14) { /* LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT */
			lu->lbppbe = d[13] & 0x0f;
			lu->lbppbe_seen = true;
		}
	} else if (c[0] == 0x12 && !(c[1] & 1) && n >= 36 && (d[0] >> 5) == 0) {
		ascii_field(lu->vendor, sizeof(lu->vendor), d + 8, 8);
		ascii_field(lu->product, sizeof(lu->product), d + 16, 16);
		ascii_field(lu->revision, sizeof(lu->revision), d + 32, 4);
		lu->removable = d[1] & 0x80;
	} else if (c[0] == 0x12 && (c[1] & 1) && c[2] == 0x80 && n >= 4) {
		uint32_t len = d[3] < n - 4 ? d[3] : n - 4;
		ascii_field(lu->serial, sizeof(lu->serial), d + 4, len);
	} else if (c[0] == 0xa0 && n >= 8) {
		/* SPC-4 6.33: LUN list after an 8-byte header. */
		uint32_t list = be32(d);
		for (uint32_t o = 8; o + 8 <= n && o - 8 < list; o += 8) {
			uint64_t f = be64(d + o);
			if ((f >> 62) <= 1)
				lu_get(cfg, target, nx_tr_lun_number(f));
		}
	}
}

void rp_config_from_trace(const struct nx_trace *t, struct rp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->targets[0], NX_TR_NAME_MAX, "iqn.2026-11.dev.nexus:replay");
	cfg->target_count = 1;
	/* The first named target replaces the default name. */
	for (uint32_t i = 0; i < t->conns_n; i++) {
		const struct nx_tr_login *l = &t->conns[i].login;
		if (l->target[0] != '\0' && !l->discovery) {
			snprintf(cfg->targets[0], NX_TR_NAME_MAX, "%s", l->target);
			break;
		}
	}
	for (uint32_t i = 0; i < t->cmds_n; i++) {
		const struct nx_tr_cmd *m = &t->cmds[i];
		unsigned tg = target_of(t, cfg, m->conn);
		struct rp_lu *lu = lu_get(cfg, tg, nx_tr_lun_number(m->lun));

		if (lu != NULL)
			learn_from_answer(cfg, tg, lu, m);
	}
	for (unsigned i = 0; i < cfg->lu_count; i++) {
		struct rp_lu *lu = &cfg->lus[i];

		if (lu->block_size != 512 && lu->block_size != 4096)
			lu->block_size = 512;
		if (lu->blocks == 0)
			lu->blocks = (1ull << 30) / lu->block_size;
	}
}

/* ---- words ----------------------------------------------------------------- */

struct op_desc {
	uint8_t op;
	int16_t sa;               /* -1: none */
	const char *name;
	const char *clause;
};

static const struct op_desc ops[] = {
	{ 0x00, -1, "TEST UNIT READY", NULL },
	{ 0x03, -1, "REQUEST SENSE", "SPC-4 6.39" },
	{ 0x08, -1, "READ(6)", NULL },
	{ 0x0a, -1, "WRITE(6)", NULL },
	{ 0x12, -1, "INQUIRY", "SPC-4 6.6" },
	{ 0x15, -1, "MODE SELECT(6)", "SPC-4 6.11-6.14" },
	{ 0x1a, -1, "MODE SENSE(6)", "SPC-4 6.11-6.14" },
	{ 0x1b, -1, "START STOP UNIT", "SBC-3 5.25" },
	{ 0x1e, -1, "PREVENT ALLOW MEDIUM REMOVAL", "SBC-3 5.13" },
	{ 0x25, -1, "READ CAPACITY(10)", "SBC-3 5.15" },
	{ 0x28, -1, "READ(10)", NULL },
	{ 0x2a, -1, "WRITE(10)", NULL },
	{ 0x2e, -1, "WRITE AND VERIFY(10)", "SBC-3 5.38" },
	{ 0x2f, -1, "VERIFY(10)", "SBC-3 5.32" },
	{ 0x34, -1, "PRE-FETCH(10)", "SBC-3 5.9" },
	{ 0x35, -1, "SYNCHRONIZE CACHE(10)", "SBC-3 5.22" },
	{ 0x41, -1, "WRITE SAME(10)", "SBC-3 5.41" },
	{ 0x42, -1, "UNMAP", "SBC-3 5.28" },
	{ 0x4d, -1, "LOG SENSE", NULL },
	{ 0x55, -1, "MODE SELECT(10)", "SPC-4 6.11-6.14" },
	{ 0x5a, -1, "MODE SENSE(10)", "SPC-4 6.11-6.14" },
	{ 0x5e, -1, "PERSISTENT RESERVE IN", "SPC-4 6.15" },
	{ 0x5f, -1, "PERSISTENT RESERVE OUT", "SPC-4 6.16" },
	{ 0x83, -1, "EXTENDED COPY", NULL },
	{ 0x84, -1, "RECEIVE COPY RESULTS", NULL },
	{ 0x88, -1, "READ(16)", NULL },
	{ 0x89, -1, "COMPARE AND WRITE", "SBC-3 5.2" },
	{ 0x8a, -1, "WRITE(16)", NULL },
	{ 0x8b, -1, "ORWRITE(16)", "SBC-3 5.8" },
	{ 0x8e, -1, "WRITE AND VERIFY(16)", NULL },
	{ 0x8f, -1, "VERIFY(16)", NULL },
	{ 0x90, -1, "PRE-FETCH(16)", "SBC-3 5.10" },
	{ 0x91, -1, "SYNCHRONIZE CACHE(16)", "SBC-3 5.23" },
	{ 0x93, -1, "WRITE SAME(16)", "SBC-3 5.42" },
	{ 0x9e, 0x10, "READ CAPACITY(16)", "SBC-3 5.16" },
	{ 0x9e, 0x12, "GET LBA STATUS", "SBC-3 5.7" },
	{ 0xa0, -1, "REPORT LUNS", "SPC-4 6.33" },
	{ 0xa3, 0x0c, "REPORT SUPPORTED OPERATION CODES", "SPC-4 6.35" },
	{ 0xa3, 0x0d, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS", NULL },
	{ 0xa3, 0x0a, "REPORT TARGET PORT GROUPS", NULL },
	{ 0xa8, -1, "READ(12)", NULL },
	{ 0xaa, -1, "WRITE(12)", NULL },
	{ 0xae, -1, "WRITE AND VERIFY(12)", NULL },
	{ 0xaf, -1, "VERIFY(12)", NULL },
};

static const struct op_desc *op_find(const uint8_t *cdb)
{
	const struct op_desc *any = NULL;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (ops[i].op != cdb[0])
			continue;
		if (ops[i].sa < 0)
			return &ops[i];
		if ((cdb[1] & 0x1f) == ops[i].sa)
			return &ops[i];
		any = any ? any : &ops[i];
	}
	return NULL;
}

static bool lba_cmd(uint8_t op, uint64_t *lba, uint32_t *n, const uint8_t *c)
{
	switch (op) {
	case 0x08: case 0x0a:
		*lba = (uint64_t)(c[1] & 0x1f) << 16 | (uint32_t)c[2] << 8 | c[3];
		*n = c[4] ? c[4] : 256;   /* SBC-3 5.10: 0 means 256 */
		return true;
	case 0x28: case 0x2a: case 0x2e: case 0x2f: case 0x34: case 0x35:
	case 0x41:
		*lba = be32(c + 2);
		*n = (uint32_t)(c[7] << 8 | c[8]);
		return true;
	case 0xa8: case 0xaa: case 0xae: case 0xaf:
		*lba = be32(c + 2);
		*n = be32(c + 6);
		return true;
	case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x8e: case 0x8f:
	case 0x90: case 0x91: case 0x93:
		*lba = be64(c + 2);
		*n = op == 0x89 ? c[13] : be32(c + 10);
		return true;
	default:
		return false;
	}
}

void rp_cdb_describe(const uint8_t *c, uint16_t len, char *buf, size_t cap)
{
	const struct op_desc *d = op_find(c);
	uint64_t lba;
	uint32_t n;
	int o;

	if (d != NULL)
		o = snprintf(buf, cap, "%s", d->name);
	else
		o = snprintf(buf, cap, "opcode %02Xh", c[0]);
	if (o < 0 || (size_t)o >= cap)
		return;
	if (lba_cmd(c[0], &lba, &n, c))
		snprintf(buf + o, cap - (size_t)o, " lba=%llu blocks=%u",
			 (unsigned long long)lba, n);
	else if (c[0] == 0x12)
		snprintf(buf + o, cap - (size_t)o, " evpd=%u page=%02Xh alloc=%u",
			 c[1] & 1, c[2], (unsigned)(c[3] << 8 | c[4]));
	else if (c[0] == 0x1a)
		snprintf(buf + o, cap - (size_t)o, " dbd=%u page=%02Xh/%02Xh alloc=%u",
			 (c[1] >> 3) & 1, c[2] & 0x3f, c[3], c[4]);
	else if (c[0] == 0x5a)
		snprintf(buf + o, cap - (size_t)o, " page=%02Xh/%02Xh alloc=%u",
			 c[2] & 0x3f, c[3], (unsigned)(c[7] << 8 | c[8]));
	else if (c[0] == 0x5e || c[0] == 0x5f)
		snprintf(buf + o, cap - (size_t)o, " sa=%02Xh", c[1] & 0x1f);
	else if (c[0] == 0x9e && len >= 16)
		snprintf(buf + o, cap - (size_t)o, " lba=%llu alloc=%u",
			 (unsigned long long)be64(c + 2), be32(c + 10));
}

const char *rp_status_name(uint8_t s)
{
	switch (s) {
	case 0x00: return "GOOD";
	case 0x02: return "CHECK CONDITION";
	case 0x04: return "CONDITION MET";
	case 0x08: return "BUSY";
	case 0x18: return "RESERVATION CONFLICT";
	case 0x28: return "TASK SET FULL";
	case 0x30: return "ACA ACTIVE";
	case 0x40: return "TASK ABORTED";
	default: return "status ?";
	}
}

void rp_sense_triplet(const uint8_t *s, uint16_t len, uint8_t *key,
		      uint8_t *asc, uint8_t *ascq)
{
	*key = *asc = *ascq = 0;
	if (len >= 4 && (s[0] & 0x7f) >= 0x72) {      /* SPC-4 4.5.2 */
		*key = s[1] & 0x0f;
		*asc = s[2];
		*ascq = s[3];
	} else if (len >= 3) {                         /* SPC-4 4.5.3 */
		*key = s[2] & 0x0f;
		*asc = len > 12 ? s[12] : 0;
		*ascq = len > 13 ? s[13] : 0;
	}
}

const char *rp_sense_key_name(uint8_t key)
{
	static const char *const n[16] = {
		"NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR",
		"HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION",
		"DATA PROTECT", "BLANK CHECK", "VENDOR SPECIFIC", "COPY ABORTED",
		"ABORTED COMMAND", "key 0Ch", "VOLUME OVERFLOW", "MISCOMPARE",
		"COMPLETED" };
	return n[key & 0x0f];
}

const char *rp_asc_name(uint8_t asc, uint8_t ascq)
{
	static const struct { uint8_t asc, ascq; const char *n; } t[] = {
		{ 0x04, 0x02, "LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED" },
		{ 0x1a, 0x00, "PARAMETER LIST LENGTH ERROR" },
		{ 0x1d, 0x00, "MISCOMPARE DURING VERIFY OPERATION" },
		{ 0x20, 0x00, "INVALID COMMAND OPERATION CODE" },
		{ 0x21, 0x00, "LOGICAL BLOCK ADDRESS OUT OF RANGE" },
		{ 0x24, 0x00, "INVALID FIELD IN CDB" },
		{ 0x25, 0x00, "LOGICAL UNIT NOT SUPPORTED" },
		{ 0x26, 0x00, "INVALID FIELD IN PARAMETER LIST" },
		{ 0x26, 0x02, "PARAMETER VALUE INVALID" },
		{ 0x27, 0x00, "WRITE PROTECTED" },
		{ 0x29, 0x00, "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED" },
		{ 0x29, 0x01, "POWER ON OCCURRED" },
		{ 0x29, 0x02, "SCSI BUS RESET OCCURRED" },
		{ 0x29, 0x03, "BUS DEVICE RESET FUNCTION OCCURRED" },
		{ 0x29, 0x07, "I_T NEXUS LOSS OCCURRED" },
		{ 0x2a, 0x01, "MODE PARAMETERS CHANGED" },
		{ 0x2a, 0x03, "RESERVATIONS PREEMPTED" },
		{ 0x2a, 0x04, "RESERVATIONS RELEASED" },
		{ 0x2a, 0x05, "REGISTRATIONS PREEMPTED" },
		{ 0x2a, 0x09, "CAPACITY DATA HAS CHANGED" },
		{ 0x3f, 0x0e, "REPORTED LUNS DATA HAS CHANGED" },
		{ 0x47, 0x05, "PROTOCOL SERVICE CRC ERROR" },
		{ 0x49, 0x00, "INVALID MESSAGE ERROR" },
		{ 0x4e, 0x00, "OVERLAPPED COMMANDS ATTEMPTED" },
		{ 0x53, 0x02, "MEDIUM REMOVAL PREVENTED" },
		{ 0x55, 0x03, "INSUFFICIENT RESOURCES" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].asc == asc && t[i].ascq == ascq)
			return t[i].n;
	return "";
}

/* SBC-3 / SPC-4 commands that change the medium or what it holds (data,
 * provisioning, format, firmware), with or without data-out. */
const char *rp_writes_medium(const uint8_t *c, bool data_out)
{
	static const struct { uint8_t op; const char *name; } w[] = {
		{ 0x04, "FORMAT UNIT" }, { 0x0a, "WRITE(6)" },
		{ 0x2a, "WRITE(10)" }, { 0x2e, "WRITE AND VERIFY(10)" },
		{ 0x3b, "WRITE BUFFER" }, { 0x3f, "WRITE LONG(10)" },
		{ 0x41, "WRITE SAME(10)" }, { 0x42, "UNMAP" },
		{ 0x48, "SANITIZE" }, { 0x83, "EXTENDED COPY / token copy" },
		{ 0x89, "COMPARE AND WRITE" }, { 0x8a, "WRITE(16)" },
		{ 0x8b, "ORWRITE(16)" }, { 0x8e, "WRITE AND VERIFY(16)" },
		{ 0x93, "WRITE SAME(16)" }, { 0x9a, "WRITE STREAM(16)" },
		{ 0x9c, "WRITE ATOMIC(16)" }, { 0xaa, "WRITE(12)" },
		{ 0xae, "WRITE AND VERIFY(12)" },
	};
	/* Data-out that only sets parameters or reservations. */
	static const uint8_t params[] = { 0x15, 0x1d, 0x4c, 0x55, 0x5f, 0xa4,
					  0xb5 };
	uint16_t sa = (uint16_t)(c[8] << 8 | c[9]);

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (w[i].op == c[0])
			return w[i].name;
	if (c[0] == 0x9f && (c[1] & 0x1f) == 0x11)
		return "WRITE LONG(16)";
	/* SBC-3 5.37 ff.: variable-length WRITE(32), WRITE AND VERIFY(32),
	 * WRITE SAME(32), ORWRITE(32), WRITE SCATTERED(32). */
	if (c[0] == 0x7f && ((sa >= 0x000b && sa <= 0x000e) || sa == 0x0011))
		return "WRITE(32) family";
	for (size_t i = 0; i < sizeof(params); i++)
		if (params[i] == c[0])
			return NULL;
	return data_out ? "a command with data-out" : NULL;
}

/* Clause behind nexus's answer: the sense code's rule, then the
 * command's own clause. */
const char *rp_clause(const uint8_t *cdb, const struct rp_answer *a)
{
	static char buf[256];
	const struct op_desc *d = op_find(cdb);
	const char *cmd = d && d->clause ? d->clause : NULL;
	const char *why = NULL;
	uint8_t key, asc, ascq;

	if (!a->present)
		return NULL;
	rp_sense_triplet(a->sense, a->sense_len, &key, &asc, &ascq);
	if (a->status == 0x18)
		why = "SPC-4 5.12: a persistent reservation held by another "
		      "I_T nexus conflicts";
	else if (a->status != 0x02)
		why = NULL;
	else if (key == 0x06 && asc == 0x2a && ascq == 0x04)
		why = "SPC-4 5.12.11.2.3: releasing a registrants-only "
		      "reservation establishes RESERVATIONS RELEASED for the "
		      "other registered I_T nexuses";
	else if (key == 0x06 && asc == 0x2a && ascq == 0x05)
		why = "SPC-4 5.12.11.4.3: every I_T nexus whose registration a "
		      "PREEMPT removed hears REGISTRATIONS PREEMPTED (2Ah/05h)";
	else if (key == 0x06)
		why = "SAM-5 5.14: a pending unit attention is reported to the "
		      "first command of the I_T nexus (SAM-5 6.3 for 29h)";
	else if (asc == 0x21 && cdb[0] == 0x9e && (cdb[1] & 0x1f) == 0x12)
		why = "SBC-3 5.7: STARTING LOGICAL BLOCK ADDRESS beyond the "
		      "last LBA -> LBA OUT OF RANGE";
	else if (asc == 0x21)
		why = "SBC-3 4.5: LBA + length beyond the capacity -> LBA OUT "
		      "OF RANGE";
	else if (asc == 0x20)
		why = "SPC-4 4.4.2: operation code not supported";
	else if (asc == 0x24)
		why = "SPC-4 4.4.2: reserved bit or unsupported value in the "
		      "CDB (field pointer in the sense data)";
	else if (asc == 0x25)
		why = "SPC-4 4.6.4 / SAM-5 5.10: no such logical unit";
	else if (asc == 0x26 || asc == 0x1a)
		why = "parameter list rejected";
	else if (asc == 0x04)
		why = "SBC-3 4.20: the logical unit is stopped";
	else if (asc == 0x27)
		why = "SBC-3 4.12: write protected";
	else if (asc == 0x49)
		why = "SAM-5 8.6.5: ACA task attribute without ACA";
	if (why && cmd)
		snprintf(buf, sizeof(buf), "%s; %s %s", why, d->name, cmd);
	else if (why)
		snprintf(buf, sizeof(buf), "%s", why);
	else if (cmd)
		snprintf(buf, sizeof(buf), "%s %s", d->name, cmd);
	else
		return NULL;
	return buf;
}

/* The captured target reported a unit attention where nexus had none
 * pending for that I_T nexus: the clause that says who must hear it. */
const char *rp_ua_clause(const struct rp_answer *cap, const struct rp_answer *nx)
{
	uint8_t ck, ca, cq, nk, na, nq;

	if (!cap->present || !nx->present || cap->status != 0x02)
		return NULL;
	rp_sense_triplet(cap->sense, cap->sense_len, &ck, &ca, &cq);
	rp_sense_triplet(nx->sense, nx->sense_len, &nk, &na, &nq);
	if (ck != 0x06 || (nx->status == 0x02 && nk == 0x06))
		return NULL;
	if (ca == 0x2a && cq == 0x04)
		return "SPC-4 5.12.11.2: RESERVATIONS RELEASED is for the other "
		       "registrants of a registrants-only reservation, never "
		       "for the I_T nexus that released it; nexus had no unit "
		       "attention pending for this I_T nexus (SAM-5 5.14)";
	return "SAM-5 5.14: nexus had no unit attention pending for this "
	       "I_T nexus";
}

const char *rp_tmf_name(uint8_t fn)
{
	static const char *const n[] = {
		"?", "ABORT TASK", "ABORT TASK SET", "CLEAR ACA",
		"CLEAR TASK SET", "LOGICAL UNIT RESET", "TARGET WARM RESET",
		"TARGET COLD RESET", "TASK REASSIGN", "QUERY TASK",
		"QUERY TASK SET", "I_T NEXUS RESET", "QUERY ASYNCHRONOUS EVENT" };
	return fn < sizeof(n) / sizeof(n[0]) ? n[fn] : "function ?";
}

const char *rp_tmf_rsp_name(uint8_t r)
{
	static const char *const n[] = {
		"FUNCTION COMPLETE", "TASK DOES NOT EXIST", "LUN DOES NOT EXIST",
		"TASK STILL ALLEGIANT", "TASK REASSIGNMENT NOT SUPPORTED",
		"FUNCTION NOT SUPPORTED", "AUTHORIZATION FAILED",
		"FUNCTION SUCCEEDED" };
	if (r == 255)
		return "FUNCTION REJECTED";
	return r < sizeof(n) / sizeof(n[0]) ? n[r] : "response ?";
}

/* ---- comparison --------------------------------------------------------- */

unsigned rp_compare(const struct rp_answer *cap, const struct rp_answer *nx,
		    bool no_data, uint32_t *first_diff)
{
	unsigned diff = 0;
	uint8_t k1, a1, q1, k2, a2, q2;

	*first_diff = UINT32_MAX;
	if (!cap->present)
		return 0;
	if (!nx->present || cap->rejected != nx->rejected ||
	    cap->response != nx->response || cap->status != nx->status)
		return RP_D_STATUS;
	if (cap->rejected)
		return cap->reject_reason != nx->reject_reason ? RP_D_STATUS : 0;
	if (cap->status == 0x02) {
		rp_sense_triplet(cap->sense, cap->sense_len, &k1, &a1, &q1);
		rp_sense_triplet(nx->sense, nx->sense_len, &k2, &a2, &q2);
		if (k1 != k2 || a1 != a2 || q1 != q2)
			diff |= RP_D_SENSE;
	}
	/* RFC 7143 11.4.5: the residual count is meaningful with U or O. */
	if ((cap->flags & 0x06) != (nx->flags & 0x06) ||
	    ((cap->flags & 0x06) && cap->residual != nx->residual))
		diff |= RP_D_RESIDUAL;
	if (no_data || cap->data_unreliable || cap->status != 0x00)
		return diff;
	uint32_t n = cap->data_len < nx->data_len ? cap->data_len : nx->data_len;
	for (uint32_t i = 0; i < n; i++)
		if (cap->data[i] != nx->data[i]) {
			*first_diff = i;
			return diff | RP_D_DATA;
		}
	if (cap->data_len != nx->data_len) {
		*first_diff = n;
		diff |= RP_D_DATA;
	}
	return diff;
}

/* ---- R2T sequences --------------------------------------------------------- */

/* RFC 7143 11.4.5.1: U reports the bytes the target did not want; GOOD
 * means everything wanted moved. */
void rp_r2t_outcome(const struct rp_answer *a, uint32_t edtl,
		    struct rp_r2ts *r)
{
	r->complete = a->present && !a->rejected && a->response == 0 &&
		      a->status == 0x00;
	r->want = edtl;
	if ((a->flags & 0x02) && a->residual <= edtl)
		r->want = edtl - a->residual;
}

unsigned rp_compare_r2t(const struct rp_r2ts *cap, const struct rp_r2ts *nx)
{
	return nx_tr_r2t_same(cap->r2t, cap->n, nx->r2t, nx->n) ? 0 : RP_D_R2T;
}
