/*
 * pr.c - persistent reservations (SPC-4 5.12; PERSISTENT RESERVE IN 6.15,
 * PERSISTENT RESERVE OUT 6.16) and the SPC-2 RESERVE / RELEASE commands
 * (SPC-2 5.5.1, 7.16-7.17, 7.21-7.22) with the SPC-4 5.12.3 exceptions.
 *
 * State lives per LU in struct nx_pr.  A registration names an I_T nexus
 * by its SCSI port names, not by an nx_nexus object: I_T nexus loss does
 * not remove it (SPC-4 5.12.7), and the initiator finds it again when it
 * logs in with the same ISID.  Two wildcards keep the table small:
 *   - ALL_TG_PT=1 registers the initiator port with every target port: one
 *     entry whose target port matches any (READ FULL STATUS reports it with
 *     ALL_TG_PT=1, where the RELATIVE TARGET PORT IDENTIFIER is ignored);
 *   - a format 00b iSCSI TransportID (SPC-4 7.6.4.6) names an initiator
 *     without an ISID: the entry matches every ISID of that name.
 * SRP initiator ports (transports/srp) are named "0x" + the 32 hex
 * digits of their 16-byte identifier; their TransportID is SPC-4
 * 7.6.4.5's (protocol identifier 4h, the identifier at bytes 8-23).
 *
 * Which commands a reservation blocks (SPC-4 5.12.1 table 64, SBC-3 4.17
 * table 13) is encoded in the opcode tables: NX_OP_CONFLICT_OK (allowed
 * under every type), NX_OP_PR_READ (allowed through Write Exclusive types,
 * ALLOW COMMANDS 011b for MODE SENSE and RSOC), NX_OP_PR_COND (allowed
 * only for some CDB values; pr_cond_allowed() says which), anything else
 * is the write class.  nx_pr_check() is the one place that reads them.
 *
 * Registration entries are allocated when made (at most NX_PR_REG_MAX per
 * LU; beyond that INSUFFICIENT REGISTRATION RESOURCES, 05/55/04).  With
 * APTPL the whole state is stored through nx_persist_store() after every
 * change and reloaded when the LU is created (SPC-4 5.12.4); a change whose
 * store fails is kept but answered 04/44/00, never GOOD (pr_commit()).
 */
#include "scsi_internal.h"

#define NX_PR_REG_MAX 64
#define PR_PORT_MAX (NX_NAME_MAX + 32)
#define PR_PARAM_MAX 65536u  /* largest PROUT parameter list accepted */
#define PR_HDR_LEN 8
#define PR_BASIC_LEN 24      /* PROUT basic parameter list (6.16.3) */
#define PR_FULL_DESC_LEN 24  /* READ FULL STATUS descriptor w/o TransportID */
#define PR_TID_MIN 24        /* iSCSI TransportID: 4 + at least 20 */
#define PROTO_ISCSI 0x5
#define PROTO_SRP 0x4
#define SRP_TID_LEN 24       /* SPC-4 7.6.4.5 */
#define SRP_ID_LEN 16
#define ISID_SEP ",i,0x"
#define ISID_HEX 12

/* PERSISTENT RESERVE OUT service actions (SPC-4 6.16.2, table 174) */
enum {
	SA_REGISTER = 0,
	SA_RESERVE = 1,
	SA_RELEASE = 2,
	SA_CLEAR = 3,
	SA_PREEMPT = 4,
	SA_PREEMPT_ABORT = 5,
	SA_REGISTER_IGNORE = 6,
	SA_REGISTER_MOVE = 7,
};

/* Persistent reservation types (SPC-4 6.15.3.3, table 172) */
enum {
	TYPE_NONE = 0,
	TYPE_WE = 1,
	TYPE_EA = 3,
	TYPE_WE_RO = 5,
	TYPE_EA_RO = 6,
	TYPE_WE_AR = 7,
	TYPE_EA_AR = 8,
};

/* Unit attentions of SPC-4 5.12.11 (ASC 2Ah) */
#define ASCQ_RES_PREEMPTED 0x03
#define ASCQ_RES_RELEASED 0x04
#define ASCQ_REG_PREEMPTED 0x05

struct nx_pr_reg {
	uint64_t key;
	char iport[PR_PORT_MAX]; /* "name,i,0x<isid>", or "name": any ISID */
	char tport[PR_PORT_MAX]; /* "" with all_tg_pt */
	uint16_t rtpi;
	bool all_tg_pt;
	bool any_isid;
};

struct nx_pr {
	uint32_t generation;      /* PRGENERATION (SPC-4 6.15.2) */
	bool aptpl;               /* APTPL of the last REGISTER/RAM */
	bool persisted;           /* a blob exists: keep it current */
	uint8_t type;             /* TYPE_NONE: no persistent reservation */
	struct nx_pr_reg *holder; /* NULL for all-registrants types */
	struct nx_pr_reg *reg[NX_PR_REG_MAX]; /* registration order */
	unsigned nreg;
	struct nx_nexus *spc2_holder; /* SPC-2 RESERVE holder */
	char pkey[NX_NAME_MAX + 32];  /* persistence key */
};

/* ---- names ---------------------------------------------------------------- */

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* iSCSI names and ISIDs compare case-insensitively (RFC 3722 folds names
 * to lower case; the ISID is hex). n: compare at most n characters. */
static bool name_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (lower(a[i]) != lower(b[i]))
			return false;
		if (a[i] == '\0')
			return true;
	}
	return true;
}

/* Length of the iSCSI name part of an initiator port name. */
static size_t name_part_len(const char *iport)
{
	const char *sep = strstr(iport, ISID_SEP);

	return sep ? (size_t)(sep - iport) : strlen(iport);
}

static bool reg_matches(const struct nx_pr_reg *r, const char *iport,
			const char *tport)
{
	if (!r->all_tg_pt && !name_eq(r->tport, tport, PR_PORT_MAX))
		return false;
	if (!r->any_isid)
		return name_eq(r->iport, iport, PR_PORT_MAX);
	size_t n = strlen(r->iport);
	return name_part_len(iport) == n && name_eq(r->iport, iport, n);
}

static struct nx_pr_reg *find_reg(const struct nx_pr *pr, const char *iport,
				  const char *tport)
{
	for (unsigned i = 0; i < pr->nreg; i++)
		if (reg_matches(pr->reg[i], iport, tport))
			return pr->reg[i];
	return NULL;
}

static struct nx_pr_reg *nexus_reg(const struct nx_pr *pr,
				   const struct nx_nexus *n)
{
	return find_reg(pr, n->initiator_port, n->target_port);
}

static void copy_name(char *dst, const char *src)
{
	size_t n = NX_MIN(strlen(src), (size_t)PR_PORT_MAX - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- reservation state ---------------------------------------------------- */

static bool type_valid(uint8_t type)
{
	return type == TYPE_WE || type == TYPE_EA || type == TYPE_WE_RO ||
	       type == TYPE_EA_RO || type == TYPE_WE_AR || type == TYPE_EA_AR;
}

static bool type_all_reg(uint8_t type)
{
	return type == TYPE_WE_AR || type == TYPE_EA_AR;
}

/* Registrants-only and all-registrants types (SPC-4 5.12.11.2: their
 * release is reported to the other registrants). */
static bool type_registrants(uint8_t type)
{
	return type == TYPE_WE_RO || type == TYPE_EA_RO || type_all_reg(type);
}

/* SPC-4 5.12.10: with an all-registrants type every registrant holds the
 * reservation; otherwise the one I_T nexus that made it. */
static bool reg_is_holder(const struct nx_pr *pr, const struct nx_pr_reg *r)
{
	if (pr->type == TYPE_NONE || r == NULL)
		return false;
	return type_all_reg(pr->type) || pr->holder == r;
}

static void res_set(struct nx_pr *pr, struct nx_pr_reg *r, uint8_t type)
{
	nx_assert(type_valid(type));
	pr->type = type;
	pr->holder = type_all_reg(type) ? NULL : r;
}

static void res_clear(struct nx_pr *pr)
{
	pr->type = TYPE_NONE;
	pr->holder = NULL;
}

/* ---- unit attentions: only to the nexuses the clause names ---------------- */

/* Every live I_T nexus that r names, except `except`. */
static void ua_to_reg(struct nx_lu *lu, const struct nx_pr_reg *r,
		      const struct nx_nexus *except, uint8_t ascq)
{
	for (struct nx_nexus *n = lu->tgt->nexus_head; n != NULL; n = n->next)
		if (n != except &&
		    reg_matches(r, n->initiator_port, n->target_port))
			nx_ua_establish(n, lu, 0x2a, ascq);
}

/* Every live registered I_T nexus except `except`. */
static void ua_to_registered(struct nx_lu *lu, const struct nx_nexus *except,
			     uint8_t ascq)
{
	for (struct nx_nexus *n = lu->tgt->nexus_head; n != NULL; n = n->next)
		if (n != except && nexus_reg(lu->pr, n) != NULL)
			nx_ua_establish(n, lu, 0x2a, ascq);
}

/* ---- registrations ---------------------------------------------------------- */

static struct nx_pr_reg *reg_add(struct nx_pr *pr, uint64_t key,
				 const char *iport, bool any_isid,
				 const char *tport, uint16_t rtpi, bool all_tg_pt)
{
	nx_assert(key != 0);
	if (pr->nreg >= NX_PR_REG_MAX)
		return NULL;
	struct nx_pr_reg *r = nx_alloc(sizeof(*r));
	if (r == NULL)
		return NULL;
	r->key = key;
	copy_name(r->iport, iport);
	copy_name(r->tport, all_tg_pt ? "" : tport);
	r->rtpi = rtpi;
	r->all_tg_pt = all_tg_pt;
	r->any_isid = any_isid;
	pr->reg[pr->nreg++] = r;
	return r;
}

/* Removes r; a reservation it held goes with it (SPC-4 5.12.11.2). For
 * an all-registrants type the reservation ends with the last registrant.
 * Returns whether a reservation was released. */
static bool reg_remove(struct nx_pr *pr, struct nx_pr_reg *r)
{
	unsigned i = 0;
	bool released = false;

	while (i < pr->nreg && pr->reg[i] != r)
		i++;
	nx_assert(i < pr->nreg);
	memmove(&pr->reg[i], &pr->reg[i + 1],
		(pr->nreg - i - 1) * sizeof(pr->reg[0]));
	pr->reg[--pr->nreg] = NULL;
	if (pr->holder == r ||
	    (type_all_reg(pr->type) && pr->nreg == 0)) {
		res_clear(pr);
		released = true;
	}
	nx_free(r);
	return released;
}

static void reg_remove_all(struct nx_pr *pr)
{
	for (unsigned i = 0; i < pr->nreg; i++) {
		nx_free(pr->reg[i]);
		pr->reg[i] = NULL;
	}
	pr->nreg = 0;
	res_clear(pr);
}

/* ---- APTPL: the state as a blob (SPC-4 5.12.4) ------------------------------ */

#define BLOB_MAGIC 0x4e585052u /* "NXPR" */
#define BLOB_VERSION 1
#define BLOB_HDR 16
#define BLOB_REG_FIXED 15
#define BLOB_MAX (BLOB_HDR + NX_PR_REG_MAX * (BLOB_REG_FIXED + 2 * PR_PORT_MAX))

static size_t put_str(uint8_t *p, const char *s)
{
	uint16_t n = (uint16_t)strlen(s);

	nx_put_be16(p, n);
	memcpy(p + 2, s, n);
	return 2u + n;
}

/* Layout: magic, version, aptpl, type, holder index (FFFFh none), nreg,
 * generation (unused: PRGENERATION restarts at 0), then per registration
 * key, flags, rtpi, iport, tport (16-bit length + bytes). */
static size_t blob_encode(const struct nx_pr *pr, uint8_t *b)
{
	uint16_t holder = 0xffff;
	size_t off = BLOB_HDR;

	for (unsigned i = 0; i < pr->nreg; i++)
		if (pr->reg[i] == pr->holder)
			holder = (uint16_t)i;
	nx_put_be32(b, BLOB_MAGIC);
	b[4] = BLOB_VERSION;
	b[5] = pr->aptpl;
	b[6] = pr->type;
	b[7] = 0;
	nx_put_be16(b + 8, holder);
	nx_put_be16(b + 10, (uint16_t)pr->nreg);
	nx_put_be32(b + 12, pr->generation);
	for (unsigned i = 0; i < pr->nreg; i++) {
		const struct nx_pr_reg *r = pr->reg[i];
		nx_put_be64(b + off, r->key);
		b[off + 8] = (uint8_t)(r->all_tg_pt | r->any_isid << 1);
		nx_put_be16(b + off + 9, r->rtpi);
		off += 11;
		off += put_str(b + off, r->iport);
		off += put_str(b + off, r->tport);
	}
	nx_assert(off <= BLOB_MAX);
	return off;
}

static bool get_str(const uint8_t *b, size_t len, size_t *off, char *dst)
{
	uint16_t n;

	if (!nx_get_be16_at(b, len, *off, &n) || n >= PR_PORT_MAX ||
	    len - *off - 2 < n)
		return false;
	memcpy(dst, b + *off + 2, n);
	dst[n] = '\0';
	*off += 2u + n;
	return true;
}

static bool blob_reg(struct nx_pr *pr, const uint8_t *b, size_t len,
		     size_t *off, struct nx_pr_reg *tmp)
{
	uint64_t key;
	uint16_t rtpi;

	if (!nx_get_be64_at(b, len, *off, &key) || key == 0 ||
	    !nx_get_be16_at(b, len, *off + 9, &rtpi))
		return false;
	uint8_t flags = b[*off + 8];
	*off += 11;
	if (!get_str(b, len, off, tmp->iport) || !get_str(b, len, off, tmp->tport))
		return false;
	return reg_add(pr, key, tmp->iport, flags & 2, tmp->tport, rtpi,
		       flags & 1) != NULL;
}

/* A stored blob is outside input: every field is checked, a bad one
 * discards the whole state (logged), never an assert. */
static bool blob_decode(struct nx_pr *pr, const uint8_t *b, size_t len,
			struct nx_pr_reg *tmp)
{
	uint32_t magic;
	uint16_t holder, nreg;
	size_t off = BLOB_HDR;

	if (!nx_get_be32_at(b, len, 0, &magic) || magic != BLOB_MAGIC ||
	    len < BLOB_HDR || b[4] != BLOB_VERSION)
		return false;
	holder = nx_get_be16(b + 8);
	nreg = nx_get_be16(b + 10);
	if (!b[5] || nreg > NX_PR_REG_MAX)
		return false; /* APTPL was turned off: nothing survives */
	for (unsigned i = 0; i < nreg; i++)
		if (!blob_reg(pr, b, len, &off, tmp))
			return false;
	pr->aptpl = true;
	if (b[6] == TYPE_NONE)
		return true;
	if (!type_valid(b[6]) || (!type_all_reg(b[6]) && holder >= nreg) ||
	    nreg == 0)
		return false;
	res_set(pr, type_all_reg(b[6]) ? NULL : pr->reg[holder], b[6]);
	return true;
}

static void pr_load(struct nx_lu *lu)
{
	struct nx_pr *pr = lu->pr;
	size_t len = 0;
	uint8_t *b = nx_alloc(BLOB_MAX);
	struct nx_pr_reg *tmp = nx_alloc(sizeof(*tmp));

	if (b != NULL && tmp != NULL &&
	    nx_persist_load(pr->pkey, b, BLOB_MAX, &len) == NX_OK) {
		pr->persisted = true;
		if (len > BLOB_MAX || !blob_decode(pr, b, len, tmp)) {
			if (b[5])
				nx_log(NX_LOG_WARN, "pr: %s: bad APTPL state "
				       "discarded", pr->pkey);
			reg_remove_all(pr);
			pr->aptpl = false;
		}
	}
	nx_free(tmp);
	nx_free(b);
}

/* After every change: with APTPL the stored state follows; once APTPL is
 * turned off one more store records that nothing is to be preserved.
 *
 * A store that fails (or no memory to encode) must not end in GOOD: the
 * initiator would believe the change survives a power loss (5.12.4) while
 * the stored state is the previous one (nx_persist_store is atomic).  The
 * change has been made and stays made ("apply and report"): the service
 * actions are uninterrupted series of actions whose unit attentions and,
 * for PREEMPT AND ABORT, aborted tasks (5.12.11.4) reach other I_T
 * nexuses before this point and cannot be taken back; LIO does the same
 * (core_scsi3_emulate_pro_register() returns what
 * core_scsi3_update_and_write_aptpl() answers after the registration is
 * made).  The sense is HARDWARE ERROR / INTERNAL TARGET FAILURE
 * (04/44/00), as for a failed MODE SELECT SP=1 (mode.c save_pages(): why
 * not LIO's NOT READY / 08h/00h).  Not INSUFFICIENT REGISTRATION RESOURCES
 * (05/55/04): 5.12.7 gives it to a REGISTER refused for want of room, with
 * no registration made, and ILLEGAL REQUEST blames the request.  The next
 * change that stores successfully stores the whole state, this one
 * included; READ KEYS / READ RESERVATION show what is in effect. */
static enum nx_sense_reason pr_commit(struct nx_lu *lu)
{
	struct nx_pr *pr = lu->pr;
	int rc = NX_ENOMEM;

	if (!pr->aptpl && !pr->persisted)
		return NX_SR_OK;
	uint8_t *b = nx_alloc(BLOB_MAX);
	if (b != NULL) {
		size_t len = blob_encode(pr, b);
		rc = nx_persist_store(pr->pkey, b, len);
		nx_free(b);
	}
	if (rc != NX_OK) {
		nx_lu_persist_failed(lu, pr->pkey, rc);
		return NX_SR_INTERNAL_FAILURE;
	}
	pr->persisted = true;
	return NX_SR_OK;
}

/* ---- LU life cycle and resets -------------------------------------------- */

int nx_pr_lu_init(struct nx_lu *lu)
{
	nx_assert(lu != NULL && lu->pr == NULL);
	lu->pr = nx_alloc(sizeof(*lu->pr));
	if (lu->pr == NULL)
		return NX_ENOMEM;
	nx_snprintf(lu->pr->pkey, sizeof(lu->pr->pkey), "pr.%s.%llu",
		    lu->tgt->name, (unsigned long long)lu->lun);
	pr_load(lu);
	return NX_OK;
}

void nx_pr_lu_free(struct nx_lu *lu)
{
	if (lu->pr == NULL)
		return;
	reg_remove_all(lu->pr);
	nx_free(lu->pr);
	lu->pr = NULL;
}

/* SPC-2 5.5.1: a reset or the holder's I_T nexus loss ends an SPC-2
 * reservation; persistent reservations survive both (SPC-4 5.12.1).
 * n == NULL: whoever holds it. */
void nx_pr_spc2_reset(struct nx_lu *lu, const struct nx_nexus *n)
{
	if (lu->pr != NULL && (n == NULL || lu->pr->spc2_holder == n))
		lu->pr->spc2_holder = NULL;
}

/* ---- the conflict table (SPC-4 5.12.1 table 64, SBC-3 table 13) ---------- */

/* Rows whose answer depends on the CDB: PREVENT ALLOW MEDIUM REMOVAL with
 * PREVENT 00b, START STOP UNIT with START=1 and POWER CONDITION 0h are
 * allowed; other values are write class. */
static bool pr_cond_allowed(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case 0x1e:
		return (cdb[4] & 0x03) == 0;
	case 0x1b:
		return (cdb[4] & 0xf1) == 0x01;
	default:
		return false;
	}
}

/* Out of line: only a registered reservation asks it, and inlined it made
 * nx_pr_check (every command) save and restore a frame.  (__noinline__:
 * the kernel defines noinline as a macro.) */
__attribute__((__noinline__)) static bool
pr_allows(const struct nx_pr *pr, const struct nx_task *t)
{
	uint32_t fl = t->priv.op->flags;
	const struct nx_pr_reg *r = nexus_reg(pr, t->nexus);
	bool read = fl & NX_OP_PR_READ;

	if ((fl & NX_OP_CONFLICT_OK) ||
	    ((fl & NX_OP_PR_COND) && pr_cond_allowed(t->cdb)))
		return true;
	if (reg_is_holder(pr, r))
		return true;
	switch (pr->type) {
	case TYPE_WE:
		return read;
	case TYPE_WE_RO:
	case TYPE_WE_AR:
		return read || r != NULL;
	case TYPE_EA_RO:
	case TYPE_EA_AR:
		return r != NULL;
	default: /* TYPE_EA */
		return false;
	}
}

enum nx_sense_reason nx_pr_check(const struct nx_task *t)
{
	const struct nx_lu *lu = t->priv.lu;

	if (lu == NULL || lu->pr == NULL)
		return NX_SR_OK;
	const struct nx_pr *pr = lu->pr;
	/* SPC-2 5.5.1: only the holder's commands run, but for the ones every
	 * reservation lets through (INQUIRY, REQUEST SENSE, ...). */
	if (pr->spc2_holder != NULL && pr->spc2_holder != t->nexus &&
	    !(t->priv.op->flags & NX_OP_CONFLICT_OK))
		return NX_SR_RESERVATION_CONFLICT;
	if (pr->type != TYPE_NONE && !pr_allows(pr, t))
		return NX_SR_RESERVATION_CONFLICT;
	return NX_SR_OK;
}

/* ---- sense helpers ------------------------------------------------------- */

static enum nx_sense_reason bad_param(struct nx_task *t, uint16_t byte,
				      int bit)
{
	t->priv.field.valid = true;
	t->priv.field.in_cdb = false;
	t->priv.field.bit_valid = bit >= 0;
	t->priv.field.bit = (uint8_t)(bit >= 0 ? bit : 0);
	t->priv.field.byte = byte;
	return NX_SR_INVALID_FIELD_IN_PARAM;
}

/* ASCs sense.c's table has no reason for (SPC-4 6.16.2 and 5.12.7). */
static enum nx_sense_reason pr_sense(struct nx_task *t, uint8_t asc,
				     uint8_t ascq)
{
	nx_sense_build(t, 0x05, asc, ascq, NULL, false, 0);
	return NX_SR_CHECK_CONDITION_SET;
}

#define INSUFFICIENT_REG_RESOURCES(t) pr_sense(t, 0x55, 0x04)
#define INVALID_RELEASE(t) pr_sense(t, 0x26, 0x04)

/* SPC-3 5.6.3 / SPC-4 5.12.3: while an SPC-2 reservation exists every
 * PERSISTENT RESERVE IN / OUT conflicts, whoever sends it. */
static bool spc2_blocks_pr(const struct nx_task *t)
{
	return t->priv.lu->pr->spc2_holder != NULL;
}

/* ---- PERSISTENT RESERVE IN (SPC-4 6.15) ---------------------------------- */

static enum nx_sense_reason prin_parse(struct nx_task *t)
{
	nx_spc_data_in(t, nx_get_be16(t->cdb + 7));
	return NX_SR_OK;
}

static enum nx_sense_reason prin_put(struct nx_task *t, uint8_t *d,
				     uint32_t len)
{
	nx_task_put_data(t, d, len);
	nx_free(d);
	return NX_SR_OK;
}

/* 6.15.2 READ KEYS: ADDITIONAL LENGTH is the full list's, whatever the
 * allocation length truncates. */
static enum nx_sense_reason prin_read_keys(struct nx_task *t)
{
	const struct nx_pr *pr = t->priv.lu->pr;
	uint8_t *d = nx_alloc(PR_HDR_LEN + 8 * NX_PR_REG_MAX);

	if (d == NULL)
		return NX_SR_INSUFFICIENT_RESOURCES;
	nx_put_be32(d, pr->generation);
	nx_put_be32(d + 4, 8 * pr->nreg);
	for (unsigned i = 0; i < pr->nreg; i++)
		nx_put_be64(d + PR_HDR_LEN + 8 * i, pr->reg[i]->key);
	return prin_put(t, d, PR_HDR_LEN + 8 * pr->nreg);
}

/* 6.15.3 READ RESERVATION: the key is 0 for all-registrants types. */
static enum nx_sense_reason prin_read_reservation(struct nx_task *t)
{
	const struct nx_pr *pr = t->priv.lu->pr;
	uint8_t d[PR_HDR_LEN + 16];

	memset(d, 0, sizeof(d));
	nx_put_be32(d, pr->generation);
	if (pr->type == TYPE_NONE) {
		nx_task_put_data(t, d, PR_HDR_LEN);
		return NX_SR_OK;
	}
	nx_put_be32(d + 4, 16);
	if (pr->holder != NULL)
		nx_put_be64(d + 8, pr->holder->key);
	d[21] = pr->type; /* SCOPE 0h: LU_SCOPE */
	nx_task_put_data(t, d, sizeof(d));
	return NX_SR_OK;
}

/* 6.15.4 REPORT CAPABILITIES: CRH (5.12.3 exceptions), SIP_C, ATP_C,
 * PTPL_C; TMV with ALLOW COMMANDS 011b (TEST UNIT READY through every
 * type; MODE SENSE, RSOC ... through Write Exclusive types); all six
 * types. */
static enum nx_sense_reason prin_report_caps(struct nx_task *t)
{
	uint8_t d[8];

	memset(d, 0, sizeof(d));
	nx_put_be16(d, sizeof(d));
	d[2] = 0x10 | 0x08 | 0x04 | 0x01;
	d[3] = (uint8_t)(0x80 | 0x30 | (t->priv.lu->pr->aptpl ? 0x01 : 0));
	d[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02; /* WR_EX_AR EX_AC_RO WR_EX_RO
						  * EX_AC WR_EX */
	d[5] = 0x01;                             /* EX_AC_AR */
	nx_task_put_data(t, d, sizeof(d));
	return NX_SR_OK;
}

static int hex_val(char c);

/* An SRP port name, "0x" + 32 hex digits: its identifier in id. */
static bool srp_port_id(const char *name, uint8_t id[SRP_ID_LEN])
{
	if (name[0] != '0' || name[1] != 'x' ||
	    strnlen(name, 2 + 2 * SRP_ID_LEN + 1) != 2 + 2 * SRP_ID_LEN)
		return false;
	for (unsigned i = 0; i < SRP_ID_LEN; i++) {
		int hi = hex_val(name[2 + 2 * i]), lo = hex_val(name[3 + 2 * i]);

		if (hi < 0 || lo < 0)
			return false;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* iSCSI TransportID (SPC-4 7.6.4.6): format 01b when the port name has
 * an ISID, 00b otherwise; null-terminated, padded to a multiple of 4 and
 * at least 20 bytes of name.  SRP ports get theirs (7.6.4.5). */
static uint32_t put_tid(uint8_t *p, const struct nx_pr_reg *r)
{
	size_t n = strlen(r->iport);
	uint8_t id[SRP_ID_LEN];

	if (srp_port_id(r->iport, id)) {
		memset(p, 0, SRP_TID_LEN);
		p[0] = PROTO_SRP; /* FORMAT CODE 00b */
		memcpy(p + 8, id, SRP_ID_LEN);
		return SRP_TID_LEN;
	}
	size_t padded = NX_MAX((n + 1 + 3) & ~(size_t)3, (size_t)20);
	bool isid = !r->any_isid && strstr(r->iport, ISID_SEP) != NULL;

	memset(p, 0, 4 + padded);
	p[0] = (uint8_t)((isid ? 0x40 : 0x00) | PROTO_ISCSI);
	nx_put_be16(p + 2, (uint16_t)padded);
	memcpy(p + 4, r->iport, n);
	return (uint32_t)(4 + padded);
}

/* 6.15.5 READ FULL STATUS: one descriptor per registration. */
static enum nx_sense_reason prin_read_full(struct nx_task *t)
{
	const struct nx_pr *pr = t->priv.lu->pr;
	uint32_t cap = PR_HDR_LEN +
		       NX_PR_REG_MAX * (PR_FULL_DESC_LEN + 4 + PR_PORT_MAX + 4);
	uint8_t *d = nx_alloc(cap);
	uint32_t off = PR_HDR_LEN;

	if (d == NULL)
		return NX_SR_INSUFFICIENT_RESOURCES;
	nx_put_be32(d, pr->generation);
	for (unsigned i = 0; i < pr->nreg; i++) {
		const struct nx_pr_reg *r = pr->reg[i];
		uint8_t *p = d + off;
		nx_put_be64(p, r->key);
		p[12] = (uint8_t)((r->all_tg_pt ? 0x02 : 0) |
				  (reg_is_holder(pr, r) ? 0x01 : 0));
		if (reg_is_holder(pr, r))
			p[13] = pr->type;
		nx_put_be16(p + 18, r->all_tg_pt ? 0 : r->rtpi);
		uint32_t tl = put_tid(p + PR_FULL_DESC_LEN, r);
		nx_put_be32(p + 20, tl);
		off += PR_FULL_DESC_LEN + tl;
		nx_assert(off <= cap);
	}
	nx_put_be32(d + 4, off - PR_HDR_LEN);
	return prin_put(t, d, off);
}

/* ---- PERSISTENT RESERVE OUT (SPC-4 6.16) --------------------------------- */

struct prout {
	uint64_t rk;         /* RESERVATION KEY */
	uint64_t sark;       /* SERVICE ACTION RESERVATION KEY */
	bool spec_i_pt;
	bool all_tg_pt;
	bool aptpl;
	uint8_t type;
	uint8_t scope;
	struct nx_pr_reg *self; /* the issuing I_T nexus's registration */
};

enum nx_sense_reason nx_pr_out_parse(struct nx_task *t)
{
	uint32_t len = nx_get_be32(t->cdb + 5);

	if (len > PR_PARAM_MAX)
		return NX_SR_PARAM_LIST_LENGTH;
	t->data_len = len;
	t->dir = len ? NX_DIR_WRITE : NX_DIR_NONE;
	return NX_SR_OK;
}

/* Decodes the basic parameter list (6.16.3) and checks its length:
 * exactly 24 bytes unless SPEC_I_PT (REGISTER only) or REGISTER AND MOVE
 * (its own layout, 6.16.4). */
static enum nx_sense_reason prout_decode(struct nx_task *t, uint8_t sa,
					 struct prout *p)
{
	const uint8_t *d = t->data;

	memset(p, 0, sizeof(*p));
	if (t->data_len < PR_BASIC_LEN)
		return NX_SR_PARAM_LIST_LENGTH;
	p->rk = nx_get_be64(d);
	p->sark = nx_get_be64(d + 8);
	p->type = t->cdb[2] & 0x0f;
	p->scope = t->cdb[2] >> 4;
	p->self = nexus_reg(t->priv.lu->pr, t->nexus);
	if (sa == SA_REGISTER_MOVE) {
		p->aptpl = d[17] & 0x01;
		return NX_SR_OK;
	}
	p->spec_i_pt = d[20] & 0x08;
	p->all_tg_pt = d[20] & 0x04;
	p->aptpl = d[20] & 0x01;
	if (p->spec_i_pt && sa != SA_REGISTER)
		return bad_param(t, 20, 3); /* 6.16.3: REGISTER only */
	if (!p->spec_i_pt && t->data_len != PR_BASIC_LEN)
		return NX_SR_PARAM_LIST_LENGTH;
	return NX_SR_OK;
}

/* SCOPE must be LU_SCOPE and TYPE one of table 172 (6.16.2). */
static enum nx_sense_reason check_scope_type(struct nx_task *t,
					     const struct prout *p)
{
	if (p->scope != 0)
		return nx_spc_bad_cdb(t, 2, 7);
	if (!type_valid(p->type))
		return nx_spc_bad_cdb(t, 2, 3);
	return NX_SR_OK;
}

/* ---- TransportIDs (SPC-4 7.6.4.6) ---------------------------------------- */

struct tid {
	char iport[PR_PORT_MAX];
	bool any_isid;
	uint32_t len; /* bytes the TransportID occupies */
};

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f');
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* SPC-4 7.6.4.5: FORMAT CODE 00b, the 16-byte INITIATOR PORT IDENTIFIER
 * at bytes 8-23; named like the SRP transport names the port. */
static bool tid_parse_srp(const uint8_t *p, uint32_t avail, struct tid *tid)
{
	static const char hex[] = "0123456789abcdef";

	if (avail < SRP_TID_LEN || p[0] != PROTO_SRP)
		return false;
	tid->iport[0] = '0';
	tid->iport[1] = 'x';
	for (unsigned i = 0; i < SRP_ID_LEN; i++) {
		tid->iport[2 + 2 * i] = hex[p[8 + i] >> 4];
		tid->iport[3 + 2 * i] = hex[p[8 + i] & 0x0f];
	}
	tid->iport[2 + 2 * SRP_ID_LEN] = '\0';
	tid->any_isid = false;
	tid->len = SRP_TID_LEN;
	return true;
}

/* Parses the iSCSI or SRP TransportID at p[0 .. avail); false if it is
 * neither (other protocols, reserved formats, lengths, a missing
 * terminator). */
static bool tid_parse(const uint8_t *p, uint32_t avail, struct tid *tid)
{
	uint16_t al;

	if (avail > 0 && (p[0] & 0x0f) == PROTO_SRP)
		return tid_parse_srp(p, avail, tid);
	if (avail < PR_TID_MIN || (p[0] & 0x0f) != PROTO_ISCSI ||
	    (p[0] & 0x30) != 0 || !nx_get_be16_at(p, avail, 2, &al))
		return false;
	uint8_t fmt = p[0] >> 6;
	if (fmt > 1 || al < 20 || (al & 3) != 0 || al > avail - 4)
		return false;
	const char *s = (const char *)p + 4;
	size_t n = strnlen(s, al);
	if (n == 0 || n == al || n >= PR_PORT_MAX)
		return false;
	memcpy(tid->iport, s, n);
	tid->iport[n] = '\0';
	tid->len = 4u + al;
	tid->any_isid = fmt == 0;
	const char *sep = strstr(tid->iport, ISID_SEP);
	if (fmt == 0)
		return sep == NULL && n < NX_NAME_MAX;
	/* Format 01b names an initiator port: "name,i,0x<ISID>" (7.6.4.6
	 * table 512); without the separator it is malformed.  An ISID is 6
	 * bytes: up to 12 hex digits (initiators send 12). */
	if (sep == NULL || sep == tid->iport)
		return false;
	size_t hex = strlen(sep) - 5;
	if (hex == 0 || hex > ISID_HEX)
		return false;
	for (size_t i = 0; i < hex; i++)
		if (!is_hex(sep[5 + i]))
			return false;
	for (char *c = tid->iport; *c; c++)
		*c = lower(*c); /* stored like the transport's port names */
	return true;
}

/* ---- REGISTER / REGISTER AND IGNORE EXISTING KEY (SPC-4 5.12.7) ---------- */

static bool tid_matches_reg(const struct nx_pr_reg *r, const struct tid *tid,
			    const char *tport, bool all_tg_pt)
{
	/* the same initiator port(s) and an overlapping set of target ports */
	if (!all_tg_pt && !r->all_tg_pt && !name_eq(r->tport, tport, PR_PORT_MAX))
		return false;
	if (!tid->any_isid && !r->any_isid)
		return name_eq(r->iport, tid->iport, PR_PORT_MAX);
	size_t a = name_part_len(r->iport), b = name_part_len(tid->iport);
	return a == b && name_eq(r->iport, tid->iport, a);
}

/* SPEC_I_PT (6.16.3): the TransportIDs first, all checked before any is
 * registered: a bad one or one naming a registered I_T nexus is INVALID
 * FIELD IN PARAMETER LIST and nothing is registered.  Names the target has
 * never seen register too: the initiator finds them when it logs in. */
static enum nx_sense_reason spec_i_pt_check(struct nx_task *t,
					    const struct prout *p,
					    unsigned *count)
{
	const struct nx_pr *pr = t->priv.lu->pr;
	uint32_t tdl, off = 28;
	struct tid tid;

	if (t->data_len < 28)
		return NX_SR_PARAM_LIST_LENGTH;
	tdl = nx_get_be32(t->data + 24);
	if (tdl != t->data_len - 28)
		return NX_SR_PARAM_LIST_LENGTH;
	*count = 0;
	while (off < t->data_len) {
		if (!tid_parse(t->data + off, t->data_len - off, &tid))
			return bad_param(t, (uint16_t)NX_MIN(off, 0xffffu), 7);
		for (unsigned i = 0; i < pr->nreg; i++)
			if (tid_matches_reg(pr->reg[i], &tid, t->nexus->target_port,
					    p->all_tg_pt))
				return bad_param(t, (uint16_t)NX_MIN(off, 0xffffu), 7);
		off += tid.len;
		(*count)++;
	}
	return NX_SR_OK;
}

static void spec_i_pt_apply(struct nx_task *t, const struct prout *p)
{
	struct nx_pr *pr = t->priv.lu->pr;
	const struct nx_nexus *n = t->nexus;
	uint32_t off = 28;
	struct tid tid;

	while (off < t->data_len) {
		bool ok = tid_parse(t->data + off, t->data_len - off, &tid);
		nx_assert(ok);
		off += tid.len;
		/* the issuer (registered just before) or a duplicate */
		bool dup = false;
		for (unsigned i = 0; i < pr->nreg && !dup; i++)
			dup = tid_matches_reg(pr->reg[i], &tid, n->target_port,
					      p->all_tg_pt);
		if (dup)
			continue;
		struct nx_pr_reg *r = reg_add(pr, p->sark, tid.iport,
					      tid.any_isid, n->target_port,
					      n->rtpi, p->all_tg_pt);
		nx_assert(r != NULL); /* room was checked */
	}
}

/* ALL_TG_PT=1 registers the initiator port through every target port
 * (6.16.3).  If it is registered through one of them already, that I_T
 * nexus would hold two reservation keys: refused like a SPEC_I_PT
 * TransportID naming a registered I_T nexus (fuzz/regressions/fuzz_pr/
 * all-tg-pt-overlap). */
static bool iport_registered(const struct nx_pr *pr, const char *iport)
{
	struct tid self = { .any_isid = false };

	copy_name(self.iport, iport);
	for (unsigned i = 0; i < pr->nreg; i++)
		if (tid_matches_reg(pr->reg[i], &self, "", true))
			return true;
	return false;
}

static enum nx_sense_reason register_new(struct nx_task *t,
					 const struct prout *p)
{
	struct nx_pr *pr = t->priv.lu->pr;
	const struct nx_nexus *n = t->nexus;
	unsigned extra = 0;

	if (p->all_tg_pt && iport_registered(pr, n->initiator_port))
		return bad_param(t, 20, 2);
	if (p->spec_i_pt) {
		enum nx_sense_reason r = spec_i_pt_check(t, p, &extra);
		if (r != NX_SR_OK)
			return r;
	}
	if (pr->nreg + 1 + extra > NX_PR_REG_MAX)
		return INSUFFICIENT_REG_RESOURCES(t);
	if (reg_add(pr, p->sark, n->initiator_port, false, n->target_port,
		    n->rtpi, p->all_tg_pt) == NULL)
		return INSUFFICIENT_REG_RESOURCES(t);
	if (p->spec_i_pt)
		spec_i_pt_apply(t, p);
	return NX_SR_OK;
}

/* A registered I_T nexus: a new key, or SARK 0 unregisters it, releasing
 * a reservation it held; for registrants-only types the other registrants
 * hear RESERVATIONS RELEASED (5.12.11.2.3). */
static void register_change(struct nx_task *t, const struct prout *p)
{
	struct nx_lu *lu = t->priv.lu;
	struct nx_pr *pr = lu->pr;
	uint8_t type = pr->type;

	if (p->sark != 0) {
		p->self->key = p->sark;
		return;
	}
	if (reg_remove(pr, p->self) && type_registrants(type))
		ua_to_registered(lu, t->nexus, ASCQ_RES_RELEASED);
}

static enum nx_sense_reason prout_register_common(struct nx_task *t,
						  const struct prout *p,
						  bool ignore_key)
{
	struct nx_pr *pr = t->priv.lu->pr;

	if (p->self == NULL) {
		if (!ignore_key && p->rk != 0)
			return NX_SR_RESERVATION_CONFLICT;
		if (p->sark != 0) {
			enum nx_sense_reason r = register_new(t, p);
			if (r != NX_SR_OK)
				return r;
		}
	} else {
		if (!ignore_key && p->rk != p->self->key)
			return NX_SR_RESERVATION_CONFLICT;
		if (p->spec_i_pt)
			return nx_spc_bad_cdb(t, 1, 4); /* 5.12.7: registered */
		register_change(t, p);
	}
	/* 6.15.2: every REGISTER that completes counts, a no-op included;
	 * APTPL follows the last successful one (5.12.4). */
	pr->generation++;
	pr->aptpl = p->aptpl;
	return NX_SR_OK;
}

/* ---- RESERVE / RELEASE (SPC-4 5.12.9, 5.12.11.2) ------------------------- */

static enum nx_sense_reason prout_reserve(struct nx_task *t,
					  const struct prout *p)
{
	struct nx_pr *pr = t->priv.lu->pr;
	enum nx_sense_reason r;

	if (p->self == NULL || p->rk != p->self->key)
		return NX_SR_RESERVATION_CONFLICT;
	r = check_scope_type(t, p);
	if (r != NX_SR_OK)
		return r;
	if (pr->type == TYPE_NONE) {
		res_set(pr, p->self, p->type);
		return NX_SR_OK;
	}
	/* Held already: the holder asking for the same type is a no-op,
	 * anything else conflicts (5.12.9). */
	if (reg_is_holder(pr, p->self) && pr->type == p->type)
		return NX_SR_OK;
	return NX_SR_RESERVATION_CONFLICT;
}

static enum nx_sense_reason prout_release(struct nx_task *t,
					  const struct prout *p)
{
	struct nx_lu *lu = t->priv.lu;
	struct nx_pr *pr = lu->pr;

	if (p->self == NULL || p->rk != p->self->key)
		return NX_SR_RESERVATION_CONFLICT;
	/* No reservation, or held by another: GOOD, nothing changes. */
	if (!reg_is_holder(pr, p->self))
		return NX_SR_OK;
	if (p->scope != 0 || p->type != pr->type)
		return INVALID_RELEASE(t); /* 05/26/04 */
	uint8_t type = pr->type;
	res_clear(pr);
	if (type_registrants(type))
		ua_to_registered(lu, t->nexus, ASCQ_RES_RELEASED);
	return NX_SR_OK;
}

/* ---- CLEAR (SPC-4 5.12.11.2.6) ------------------------------------------- */

static enum nx_sense_reason prout_clear(struct nx_task *t,
					const struct prout *p)
{
	struct nx_lu *lu = t->priv.lu;

	if (p->self == NULL || p->rk != p->self->key)
		return NX_SR_RESERVATION_CONFLICT;
	ua_to_registered(lu, t->nexus, ASCQ_RES_PREEMPTED);
	reg_remove_all(lu->pr);
	lu->pr->generation++;
	return NX_SR_OK;
}

/* ---- PREEMPT / PREEMPT AND ABORT (SPC-4 5.12.11.4) ----------------------- */

/* Live I_T nexuses a registration names: PREEMPT AND ABORT aborts their
 * tasks on this LU through the TMF machinery (tas per the control mode
 * page, SAM-5 5.6). */
static void abort_reg_tasks(struct nx_lu *lu, const struct nx_pr_reg *r,
			    const struct nx_nexus *issuer)
{
	for (struct nx_nexus *n = lu->tgt->nexus_head; n != NULL; n = n->next)
		if (n != issuer &&
		    reg_matches(r, n->initiator_port, n->target_port))
			nx_tmf_abort_nexus_tasks(lu, n);
}

/* Removes every registration with key sark except the issuer's; each
 * removed one hears REGISTRATIONS PREEMPTED (e in 5.12.11.4.3).  Returns
 * how many carried the key (the issuer's included). */
static unsigned preempt_key(struct nx_task *t, const struct prout *p,
			    bool all, bool abort)
{
	struct nx_lu *lu = t->priv.lu;
	struct nx_pr *pr = lu->pr;
	unsigned matched = 0, i = 0;

	while (i < pr->nreg) {
		struct nx_pr_reg *r = pr->reg[i];
		if (r == p->self || (!all && r->key != p->sark)) {
			matched += r->key == p->sark;
			i++;
			continue;
		}
		matched++;
		ua_to_reg(lu, r, t->nexus, ASCQ_REG_PREEMPTED);
		if (abort)
			abort_reg_tasks(lu, r, t->nexus);
		reg_remove(pr, r);
	}
	return matched;
}

/* The reservation is preempted: remove, release, re-reserve for the
 * issuer with the CDB's TYPE; a changed type is RESERVATIONS RELEASED for
 * the registrants left (f in 5.12.11.4.3). */
static void preempt_reservation(struct nx_task *t, const struct prout *p,
				bool all, bool abort)
{
	struct nx_lu *lu = t->priv.lu;
	struct nx_pr *pr = lu->pr;
	uint8_t old = pr->type;

	preempt_key(t, p, all, abort);
	res_set(pr, p->self, p->type);
	if (old != p->type)
		ua_to_registered(lu, t->nexus, ASCQ_RES_RELEASED);
}

static enum nx_sense_reason preempt_common(struct nx_task *t,
					   const struct prout *p, bool abort)
{
	struct nx_pr *pr = t->priv.lu->pr;

	if (p->self == NULL || p->rk != p->self->key)
		return NX_SR_RESERVATION_CONFLICT;
	if (pr->type != TYPE_NONE && type_all_reg(pr->type) && p->sark == 0) {
		enum nx_sense_reason r = check_scope_type(t, p);
		if (r != NX_SR_OK)
			return r;
		preempt_reservation(t, p, true, abort); /* 5.12.11.4.3 AR */
		return NX_SR_OK;
	}
	if (p->sark == 0)
		return bad_param(t, 8, 7); /* 5.12.11.4.1: SARK 0 */
	if (pr->holder != NULL && pr->holder->key == p->sark) {
		enum nx_sense_reason r = check_scope_type(t, p);
		if (r != NX_SR_OK)
			return r;
		preempt_reservation(t, p, false, abort);
		return NX_SR_OK;
	}
	/* Only registrations go (5.12.11.4.4); none carrying the key is a
	 * conflict. */
	if (preempt_key(t, p, false, abort) == 0)
		return NX_SR_RESERVATION_CONFLICT;
	return NX_SR_OK;
}

static enum nx_sense_reason prout_preempt_sa(struct nx_task *t,
					     const struct prout *p, bool abort)
{
	enum nx_sense_reason r = preempt_common(t, p, abort);

	if (r == NX_SR_OK)
		t->priv.lu->pr->generation++;
	return r;
}

/* ---- REGISTER AND MOVE (SPC-4 5.12.8) ------------------------------------ */

/* The target port a RELATIVE TARGET PORT IDENTIFIER names: the issuer's,
 * or one a live I_T nexus or a registration uses. */
static const char *rtpi_port(const struct nx_task *t, uint16_t rtpi)
{
	const struct nx_pr *pr = t->priv.lu->pr;

	if (t->nexus->rtpi == rtpi)
		return t->nexus->target_port;
	for (const struct nx_nexus *n = t->nexus->tgt->nexus_head; n; n = n->next)
		if (n->rtpi == rtpi)
			return n->target_port;
	for (unsigned i = 0; i < pr->nreg; i++)
		if (!pr->reg[i]->all_tg_pt && pr->reg[i]->rtpi == rtpi)
			return pr->reg[i]->tport;
	return NULL;
}

static enum nx_sense_reason move_check(struct nx_task *t,
				       const struct prout *p)
{
	const struct nx_pr *pr = t->priv.lu->pr;

	if (p->self == NULL || p->rk != p->self->key)
		return NX_SR_RESERVATION_CONFLICT;
	if (!reg_is_holder(pr, p->self) || type_all_reg(pr->type))
		return NX_SR_RESERVATION_CONFLICT;
	if (p->sark == 0)
		return bad_param(t, 8, 7);
	return check_scope_type(t, p);
}

static enum nx_sense_reason prout_register_move(struct nx_task *t,
						const struct prout *p)
{
	struct nx_pr *pr = t->priv.lu->pr;
	enum nx_sense_reason r = move_check(t, p);
	struct tid tid;

	if (r != NX_SR_OK)
		return r;
	uint32_t tdl = nx_get_be32(t->data + 20);
	if (tdl > t->data_len - PR_BASIC_LEN)
		return NX_SR_PARAM_LIST_LENGTH;
	if (!tid_parse(t->data + PR_BASIC_LEN, tdl, &tid) || tid.any_isid)
		return bad_param(t, PR_BASIC_LEN, 7);
	const char *tport = rtpi_port(t, nx_get_be16(t->data + 18));
	if (tport == NULL)
		return bad_param(t, 18, 7);
	/* moving to itself is not a move (5.12.8) */
	if (reg_matches(p->self, tid.iport, tport))
		return bad_param(t, PR_BASIC_LEN, 7);
	struct nx_pr_reg *dst = find_reg(pr, tid.iport, tport);
	if (dst == NULL)
		dst = reg_add(pr, p->sark, tid.iport, false, tport,
			      nx_get_be16(t->data + 18), false);
	if (dst == NULL)
		return INSUFFICIENT_REG_RESOURCES(t);
	dst->key = p->sark;
	res_set(pr, dst, p->type);
	if (t->data[17] & 0x02) /* UNREG */
		reg_remove(pr, p->self);
	pr->generation++;
	pr->aptpl = p->aptpl;
	return NX_SR_OK;
}

/* ---- PROUT dispatch ------------------------------------------------------ */

enum nx_sense_reason nx_pr_out_exec(struct nx_task *t)
{
	uint8_t sa = t->cdb[1] & 0x1f;
	struct prout p;
	enum nx_sense_reason r;

	if (spc2_blocks_pr(t))
		return NX_SR_RESERVATION_CONFLICT;
	r = prout_decode(t, sa, &p);
	if (r != NX_SR_OK)
		return r;
	switch (sa) {
	case SA_REGISTER:
	case SA_REGISTER_IGNORE:
		r = prout_register_common(t, &p, sa == SA_REGISTER_IGNORE);
		break;
	case SA_RESERVE:
		r = prout_reserve(t, &p);
		break;
	case SA_RELEASE:
		r = prout_release(t, &p);
		break;
	case SA_CLEAR:
		r = prout_clear(t, &p);
		break;
	case SA_PREEMPT:
	case SA_PREEMPT_ABORT:
		r = prout_preempt_sa(t, &p, sa == SA_PREEMPT_ABORT);
		break;
	default:
		nx_assert(sa == SA_REGISTER_MOVE); /* the table has no other */
		r = prout_register_move(t, &p);
		break;
	}
	if (r == NX_SR_OK)
		r = pr_commit(t->priv.lu);
	return r;
}

/* ---- SPC-2 RESERVE / RELEASE (SPC-2 7.21-7.22, 7.16-7.17) ---------------- */

static bool is_pr_holder(const struct nx_task *t)
{
	const struct nx_pr *pr = t->priv.lu->pr;

	return reg_is_holder(pr, nexus_reg(pr, t->nexus));
}

/* SPC-4 5.12.3 (CRH=1): with registrations present RESERVE conflicts,
 * except from the persistent reservation holder, for whom it is a GOOD
 * no-op.  Otherwise SPC-2: the holder may reserve again; anyone else
 * conflicts. */
enum nx_sense_reason nx_spc2_reserve_exec(struct nx_task *t)
{
	struct nx_pr *pr = t->priv.lu->pr;

	if (pr->nreg != 0)
		return is_pr_holder(t) ? NX_SR_OK : NX_SR_RESERVATION_CONFLICT;
	if (pr->spc2_holder != NULL && pr->spc2_holder != t->nexus)
		return NX_SR_RESERVATION_CONFLICT;
	pr->spc2_holder = t->nexus;
	return NX_SR_OK;
}

/* SPC-4 5.12.3: with registrations present RELEASE conflicts except from
 * the holder (a GOOD no-op).  SPC-2 7.17: RELEASE from a non-holder is
 * GOOD and changes nothing. */
enum nx_sense_reason nx_spc2_release_exec(struct nx_task *t)
{
	struct nx_pr *pr = t->priv.lu->pr;

	if (pr->nreg != 0)
		return is_pr_holder(t) ? NX_SR_OK : NX_SR_RESERVATION_CONFLICT;
	if (pr->spc2_holder == t->nexus)
		pr->spc2_holder = NULL;
	return NX_SR_OK;
}

/* ---- PRIN service action dispatch --------------------------------------- */

enum nx_sense_reason nx_pr_in_parse(struct nx_task *t)
{
	return prin_parse(t);
}

/* Service actions 00h-03h have rows in nx_spc_opcodes[]; others never get
 * here (dispatch answers 05/24/00 at the service action). */
enum nx_sense_reason nx_pr_in_exec(struct nx_task *t)
{
	if (spc2_blocks_pr(t))
		return NX_SR_RESERVATION_CONFLICT;
	switch (t->cdb[1] & 0x1f) {
	case 0x00:
		return prin_read_keys(t);
	case 0x01:
		return prin_read_reservation(t);
	case 0x02:
		return prin_report_caps(t);
	default:
		nx_assert((t->cdb[1] & 0x1f) == 0x03);
		return prin_read_full(t);
	}
}
