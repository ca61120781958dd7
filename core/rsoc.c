/*
 * rsoc.c - REPORT SUPPORTED OPERATION CODES (SPC-4 6.35), generated from
 * the opcode tables through nx_opcode_at(): what dispatch accepts and what
 * RSOC reports cannot drift apart, and the CDB usage data is the very mask
 * dispatch checks reserved bits with (plus the CONTROL byte's NACA bit,
 * which dispatch accepts for every command).  And REPORT SUPPORTED TASK
 * MANAGEMENT FUNCTIONS (SPC-4 6.36), which lists what core/tmf.c does.
 */
#include "scsi_internal.h"

#define RSOC_CAP 8192u       /* all-commands data with timeouts, bounded */
#define RSOC_TABLE_MAX 512u  /* loop bound over nx_opcode_at() */
#define CMD_DESC_LEN 8       /* SPC-4 6.35.2, table 270 */
#define TIMEOUTS_LEN 12      /* SPC-4 6.35.4, table 274 */

#define SUPPORT_NOT 0x01     /* SUPPORT 001b: not supported */
#define SUPPORT_STD 0x03     /* SUPPORT 011b: supported as the standard says */

/* Command timeouts descriptor (SPC-4 6.35.4): no nominal processing time
 * is indicated; 30 s is a recommended timeout no nexus command exceeds,
 * except SANITIZE and FORMAT UNIT, whose IMMED=0 forms last as long as
 * the medium takes (sanitize.c): COMMAND TIMEOUT 0, none indicated. */
static size_t put_timeouts(uint8_t *p, const struct nx_opcode_desc *op)
{
	memset(p, 0, TIMEOUTS_LEN);
	nx_put_be16(p, TIMEOUTS_LEN - 2);
	nx_put_be32(p + 8, (op->opcode == 0x48 || op->opcode == 0x04) ? 0 : 30);
	return TIMEOUTS_LEN;
}

enum nx_sense_reason nx_rsoc_parse(struct nx_task *t)
{
	/* REPORTING OPTIONS 100b-111b are reserved */
	if ((t->cdb[2] & 0x07) > 0x03)
		return nx_spc_bad_cdb(t, 2, 2);
	nx_spc_data_in(t, nx_get_be32(t->cdb + 6));
	return NX_SR_OK;
}

/* SPC-4 6.35.2: all_commands parameter data. */
static enum nx_sense_reason rsoc_all(struct nx_task *t, bool rctd)
{
	uint8_t *d = nx_alloc(RSOC_CAP);
	size_t len = 4;
	const struct nx_opcode_desc *op;

	if (d == NULL)
		return NX_SR_INSUFFICIENT_RESOURCES;
	for (size_t i = 0; i < RSOC_TABLE_MAX && (op = nx_opcode_at(i)); i++) {
		size_t need = CMD_DESC_LEN + (rctd ? TIMEOUTS_LEN : 0);
		if (len + need > RSOC_CAP)
			break; /* cannot happen with today's tables */
		uint8_t *p = d + len;
		memset(p, 0, CMD_DESC_LEN);
		p[0] = op->opcode;
		if (op->flags & NX_OP_SA) {
			nx_put_be16(p + 2, op->service_action);
			p[5] |= 0x01; /* SERVACTV */
		}
		if (rctd)
			p[5] |= 0x02; /* CTDP */
		nx_put_be16(p + 6, op->cdb_len);
		len += CMD_DESC_LEN;
		if (rctd)
			len += put_timeouts(d + len, op);
	}
	nx_put_be32(d, (uint32_t)(len - 4));
	nx_task_put_data(t, d, (uint32_t)len);
	nx_free(d);
	return NX_SR_OK;
}

/* Does any descriptor of this opcode use service actions? */
static bool opcode_has_sa(uint8_t opcode)
{
	const struct nx_opcode_desc *op;

	for (size_t i = 0; i < RSOC_TABLE_MAX && (op = nx_opcode_at(i)); i++)
		if (op->opcode == opcode && (op->flags & NX_OP_SA))
			return true;
	return false;
}

static const struct nx_opcode_desc *find_op(uint8_t opcode, bool sa,
					    uint16_t service_action)
{
	const struct nx_opcode_desc *op;

	for (size_t i = 0; i < RSOC_TABLE_MAX && (op = nx_opcode_at(i)); i++) {
		if (op->opcode != opcode)
			continue;
		if (!sa || op->service_action == service_action)
			return op;
	}
	return NULL;
}

/* SPC-4 6.35.3: one_command parameter data; op NULL = not supported. */
static enum nx_sense_reason rsoc_one(struct nx_task *t,
				     const struct nx_opcode_desc *op, bool rctd)
{
	uint8_t d[4 + NX_CDB_MAX + TIMEOUTS_LEN];
	size_t len = 4;

	memset(d, 0, sizeof(d));
	if (op == NULL) {
		d[1] = SUPPORT_NOT;
		nx_task_put_data(t, d, 4);
		return NX_SR_OK;
	}
	nx_assert(op->cdb_len <= NX_CDB_MAX);
	d[1] = SUPPORT_STD | (rctd ? 0x80 : 0x00); /* CTDP */
	nx_put_be16(d + 2, op->cdb_len);
	memcpy(d + 4, op->usage, op->cdb_len);
	d[4] = op->opcode; /* CDB USAGE DATA byte 0 is the opcode itself */
	d[4 + op->cdb_len - 1] |= 0x04; /* NACA (SAM-5 5.2, NORMACA=1) */
	len += op->cdb_len;
	if (rctd)
		len += put_timeouts(d + len, op);
	nx_task_put_data(t, d, (uint32_t)len);
	return NX_SR_OK;
}

/* REPORTING OPTIONS (SPC-4 6.35.1, table 268):
 * 001b: by opcode; an opcode with service actions is an error.
 * 010b: by opcode + service action; an opcode without them is an error.
 * 011b: by opcode + service action; without service actions, only a
 *       REQUESTED SERVICE ACTION of zero names the command. */
enum nx_sense_reason nx_rsoc_exec(struct nx_task *t)
{
	uint8_t options = t->cdb[2] & 0x07;
	bool rctd = t->cdb[2] & 0x80;
	uint8_t opcode = t->cdb[3];
	uint16_t sa = nx_get_be16(t->cdb + 4);
	bool has_sa;

	if (options == 0x00)
		return rsoc_all(t, rctd);
	has_sa = opcode_has_sa(opcode);
	switch (options) {
	case 0x01:
		if (has_sa)
			return nx_spc_bad_cdb(t, 3, 7);
		return rsoc_one(t, find_op(opcode, false, 0), rctd);
	case 0x02:
		/* an opcode we do not know at all is simply not supported */
		if (!has_sa && find_op(opcode, false, 0) != NULL)
			return nx_spc_bad_cdb(t, 3, 7);
		return rsoc_one(t, find_op(opcode, true, sa), rctd);
	default:
		if (!has_sa && sa != 0)
			return rsoc_one(t, NULL, rctd);
		return rsoc_one(t, find_op(opcode, has_sa, sa), rctd);
	}
}

/* ---- REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-4 6.36) ------------- */

#define RSTMF_LEN 16 /* extended format (REPD=1): 4 + 0Ch */

/* SPC-4 6.36: an allocation length below four is an error. */
enum nx_sense_reason nx_rstmf_parse(struct nx_task *t)
{
	uint32_t alloc = nx_get_be32(t->cdb + 6);

	if (alloc < 4)
		return nx_spc_bad_cdb(t, 6, 7);
	nx_spc_data_in(t, alloc);
	return NX_SR_OK;
}

/* Every function nx_tmf_submit() carries out (SAM-5 7): ATS, ATSS,
 * CACAS, CTSS, LURS, QTS in byte 0 (the obsolete TARGET RESET and WAKEUP
 * bits stay zero), QAES, QTSS, ITNRS in byte 1.  REPD=1 adds the
 * timeouts: TMFTMOV=1, no short-timeout selector, LONG TIMEOUT 300 (30 s
 * in 100 ms units, RSOC's recommended command timeout) for all. */
enum nx_sense_reason nx_rstmf_exec(struct nx_task *t)
{
	uint8_t d[RSTMF_LEN];
	bool repd = t->cdb[2] & 0x80;

	memset(d, 0, sizeof(d));
	d[0] = 0x80 | 0x40 | 0x20 | 0x10 | 0x08 | 0x04;
	d[1] = 0x04 | 0x02 | 0x01;
	if (!repd) {
		nx_task_put_data(t, d, 4);
		return NX_SR_OK;
	}
	d[3] = RSTMF_LEN - 4;
	d[4] = 0x01; /* TMFTMOV */
	nx_put_be32(d + 8, 300);
	nx_task_put_data(t, d, RSTMF_LEN);
	return NX_SR_OK;
}
