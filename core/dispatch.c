/*
 * dispatch.c - the SAM-5 task life: opcode lookup, CDB validation, the task
 * set with its task attribute rules (SAM-5 8.6), completion and aborts.
 *
 * Order of the checks in nx_task_setup() (first failing one answers):
 *   1. LUN -> LU; no LU and not an NX_OP_NO_LU command: 05/25/00
 *      (SPC-4 4.6.4 / SAM-5 5.10)
 *   1a. an ACA condition on the LU (SAM-5 5.9.2.3, 5.9.2.4; tmf.c): ACA
 *      ACTIVE or BUSY for a command it keeps out of the task set
 *   2. pending unit attention, unless NX_OP_UA_EXEMPT (SAM-5 5.14): it is
 *      reported (and cleared only with UA_INTLCK_CTRL 00b, SPC-4 7.5.8)
 *      before the CDB is judged, as LIO does
 *   3. opcode / service action supported: 05/20/00, or 05/24/00 pointing at
 *      the service action field (SPC-4 4.4.2; libiscsi reads field
 *      pointer 1 as "not implemented")
 *   3a. asymmetric access state of the nexus's target port group for the
 *      LU: a command its NX_OP_ALUA_* flag does not let through a standby,
 *      unavailable or transitioning port is 02/04/0B, 0C or 0A, whatever
 *      its fields say (SPC-4 5.16.2.4.4, 5.16.2.4.5, 5.16.2.5; alua.c)
 *   4. CDB length and CDB usage data: any bit outside the mask is a reserved
 *      bit -> 05/24/00 with the field pointer at it (SPC-4 4.4.2)
 *   5. ACA task attribute without an ACA condition: 05/49/00 INVALID
 *      MESSAGE ERROR (SAM-5 8.6.5).  NACA=1 in the CONTROL byte is
 *      accepted (NormACA=1): a CHECK CONDITION then establishes ACA
 *   6. sanitize in progress: 02/04/1B for all but INQUIRY, LOG SENSE,
 *      REPORT LUNS, REQUEST SENSE; after a failed one, medium access
 *      03/31/03 (SBC-4 4.11, sanitize.c); ejected removable medium and a
 *      medium command: 02/3A/00; stopped LU and a medium command:
 *      02/04/02 (SBC-3 4.20)
 *   7. write protect (read-only LU or SWP): 07/27/00 (SBC-3 4.12)
 *   8. reservations: RESERVATION CONFLICT (SPC-4 5.12.1, SPC-2 5.5.1; pr.c)
 *   9. the command's own parser (fields, LBA range, transfer length)
 *  10. task set capacity: TASK SET FULL; data buffer: BUSY when short
 *
 * Every completion with CHECK CONDITION (setup refusal or execution) goes
 * through status_effects(): ACA and QErr (tmf.c), and UA_INTLCK_CTRL 11b
 * for BUSY / TASK SET FULL / RESERVATION CONFLICT (ua.c).
 */
#include "scsi_internal.h"

#define OPCODE_TABLE_MAX 256
#define NO_INDEX 0xffff

enum task_state {
	TS_IDLE = 0, /* after nx_task_init(), or released */
	TS_SETUP,    /* in the task set, waiting for nx_task_execute() */
	TS_BLOCKED,  /* execute called, waiting for older tasks (SAM-5 8.6) */
	TS_RUNNING,  /* handler running or I/O in flight */
	TS_DONE,     /* task_done delivered (or setup refused it) */
};

enum task_flags {
	TF_IN_SET = 1u << 0,
	TF_COUNTED = 1u << 1,  /* in nexus->tasks_outstanding */
	TF_ABORT = 1u << 2,    /* aborted: no response */
	TF_TAS = 1u << 3,      /* aborted by another nexus, TAS=1 */
	TF_NACA = 1u << 4,     /* NACA=1 in the CONTROL byte (SAM-5 5.2) */
};

/* ---- the opcode index --------------------------------------------------- */

static const struct nx_opcode_desc *sorted_ops[OPCODE_TABLE_MAX];
static size_t sorted_count;
static uint16_t first_index[256];
static bool index_built;
/* The CDB usage data turned around, per descriptor in index order: the
 * reserved bits of each CDB byte (none in the opcode byte and past the
 * CDB's length; the CONTROL byte's NACA bit is valid, see check_cdb), so
 * the common case - no reserved bit set - is a few word ANDs. */
static uint8_t reserved_bits[OPCODE_TABLE_MAX][NX_CDB_MAX];

uint16_t nx_cdb_service_action(const uint8_t *cdb, uint32_t flags)
{
	if (flags & NX_OP_SA16)
		return nx_get_be16(cdb + 8);
	if (flags & NX_OP_SA)
		return cdb[1] & 0x1f;
	return 0;
}

static bool desc_before(const struct nx_opcode_desc *a,
			const struct nx_opcode_desc *b)
{
	if (a->opcode != b->opcode)
		return a->opcode < b->opcode;
	return a->service_action < b->service_action;
}

static void index_add(const struct nx_opcode_desc *d)
{
	nx_assert(sorted_count < OPCODE_TABLE_MAX);
	size_t i = sorted_count;

	/* insertion sort: stable, deterministic, done once */
	while (i > 0 && desc_before(d, sorted_ops[i - 1])) {
		sorted_ops[i] = sorted_ops[i - 1];
		i--;
	}
	sorted_ops[i] = d;
	sorted_count++;
}

void nx_opcode_index_build(void)
{
	if (index_built)
		return;
	sorted_count = 0;
	for (size_t i = 0; i < nx_spc_opcode_count; i++)
		index_add(&nx_spc_opcodes[i]);
	for (size_t i = 0; i < nx_sbc_opcode_count; i++)
		index_add(&nx_sbc_opcodes[i]);
	for (size_t i = 0; i < 256; i++)
		first_index[i] = NO_INDEX;
	for (size_t i = sorted_count; i > 0; i--)
		first_index[sorted_ops[i - 1]->opcode] = (uint16_t)(i - 1);
	for (size_t i = 0; i < sorted_count; i++) {
		const struct nx_opcode_desc *d = sorted_ops[i];
		unsigned ctl = d->cdb_len - 1u;

		/* longer than NX_CDB_MAX: check_cdb refuses it unread */
		for (unsigned b = 1; b < d->cdb_len && b < NX_CDB_MAX; b++)
			reserved_bits[i][b] = (uint8_t)~(d->usage[b] | (b == ctl ? 0x04 : 0));
	}
	index_built = true;
}

/* The index of cdb's descriptor, NO_INDEX if unsupported. */
static uint16_t opcode_find(const uint8_t *cdb)
{
	nx_opcode_index_build();
	uint16_t i = first_index[cdb[0]];

	if (i == NO_INDEX)
		return NO_INDEX;
	for (; i < sorted_count && sorted_ops[i]->opcode == cdb[0]; i++) {
		const struct nx_opcode_desc *d = sorted_ops[i];
		if (!(d->flags & (NX_OP_SA | NX_OP_SA16)))
			return i;
		if (nx_cdb_service_action(cdb, d->flags) == d->service_action)
			return i;
	}
	return NO_INDEX;
}

const struct nx_opcode_desc *nx_opcode_lookup(const uint8_t *cdb)
{
	uint16_t i = opcode_find(cdb);

	return i == NO_INDEX ? NULL : sorted_ops[i];
}

const struct nx_opcode_desc *nx_opcode_at(size_t index)
{
	nx_opcode_index_build();
	return index < sorted_count ? sorted_ops[index] : NULL;
}

/* ---- the task set (SAM-5 8.6) ------------------------------------------- */

static bool attr_strict(const struct nx_task *t)
{
	return t->attr == NX_ATTR_ORDERED || t->attr == NX_ATTR_HEAD_OF_QUEUE;
}

/* Every change of priv.state goes through here once the task may be
 * blocked, so the LU knows whether nx_lu_kick has anything to find. */
static void task_state(struct nx_task *t, uint32_t st)
{
	struct nx_lu *lu = t->priv.lu;

	if (lu != NULL && t->priv.state == TS_BLOCKED) {
		nx_assert(lu->tasks_blocked > 0);
		lu->tasks_blocked--;
	}
	if (lu != NULL && st == TS_BLOCKED)
		lu->tasks_blocked++;
	t->priv.state = st;
}

static void set_insert(struct nx_task *t)
{
	struct nx_lu *lu = t->priv.lu;

	nx_assert(!(t->priv.flags & TF_IN_SET));
	t->priv.seq = lu->next_seq++;
	t->priv.set_prev = lu->set_tail;
	t->priv.set_next = NULL;
	if (lu->set_tail != NULL)
		lu->set_tail->priv.set_next = t;
	else
		lu->set_head = t;
	lu->set_tail = t;
	lu->set_count++;
	lu->set_strict += attr_strict(t);
	t->priv.flags |= TF_IN_SET;
}

static void set_remove(struct nx_task *t)
{
	struct nx_lu *lu = t->priv.lu;

	nx_assert(t->priv.flags & TF_IN_SET);
	nx_assert(lu->set_count > 0);
	if (t->priv.set_prev != NULL)
		t->priv.set_prev->priv.set_next = t->priv.set_next;
	else
		lu->set_head = t->priv.set_next;
	if (t->priv.set_next != NULL)
		t->priv.set_next->priv.set_prev = t->priv.set_prev;
	else
		lu->set_tail = t->priv.set_prev;
	t->priv.set_prev = t->priv.set_next = NULL;
	lu->set_count--;
	nx_assert(lu->set_strict >= (uint32_t)attr_strict(t));
	lu->set_strict -= attr_strict(t);
	t->priv.flags &= ~TF_IN_SET;
}

/* SAM-5 8.6: HEAD OF QUEUE runs at once; ORDERED waits for every older
 * task; SIMPLE waits for older ORDERED and HEAD OF QUEUE tasks.  Older
 * tasks still receiving data-out or draining an abort count too.  While
 * an ACA condition exists only the ACA task runs (SAM-5 5.9.2.2, QErr
 * 00b: the others resume when it is cleared). */
static bool runnable(const struct nx_task *t)
{
	if (t->priv.lu == NULL || t->attr == NX_ATTR_ACA)
		return true;
	if (t->priv.lu->aca_nexus != NULL)
		return false;
	if (t->attr == NX_ATTR_HEAD_OF_QUEUE)
		return true;
	/* The common case without a walk: nothing strict to wait for. */
	if (t->attr != NX_ATTR_ORDERED && t->priv.lu->set_strict == 0)
		return true;
	for (const struct nx_task *o = t->priv.lu->set_head; o != NULL && o != t;
	     o = o->priv.set_next) {
		if (t->attr == NX_ATTR_ORDERED)
			return false;
		if (o->attr == NX_ATTR_ORDERED || o->attr == NX_ATTR_HEAD_OF_QUEUE)
			return false;
	}
	return true;
}

static void task_start(struct nx_task *t)
{
	nx_assert(t->priv.op != NULL && t->priv.op->exec != NULL);
	task_state(t, TS_RUNNING);
	if (t->priv.lu != NULL)
		t->priv.lu->tasks_running++;
	enum nx_sense_reason r = t->priv.op->exec(t);
	if (r != NX_SR_ASYNC)
		nx_task_complete(t, r);
}

void nx_lu_kick(struct nx_lu *lu)
{
	if (lu->kicking) {
		lu->kick_again = true;
		return;
	}
	lu->kicking = true;
	do {
		lu->kick_again = false;
		if (lu->tasks_blocked == 0)
			break;
		for (struct nx_task *t = lu->set_head; t != NULL;
		     t = t->priv.set_next) {
			if (t->priv.state == TS_BLOCKED && runnable(t)) {
				task_start(t);
				lu->kick_again = true;
				break; /* the set may have changed */
			}
		}
	} while (lu->kick_again);
	lu->kicking = false;
}

/* ---- completion ----------------------------------------------------------- */

static void free_buffers(struct nx_task *t)
{
	if (t->priv.aux != NULL) {
		nx_free(t->priv.aux);
		t->priv.aux = NULL;
		t->priv.aux_len = 0;
	}
}

static void nexus_check_shutdown(struct nx_nexus *n)
{
	if (n->shutdown_done == NULL || n->shutdown_busy ||
	    n->tasks_outstanding != 0)
		return;
	/* TMFs still waiting on other nexuses' tasks would call back into a
	 * freed nexus: answer them now. */
	while (n->tmf_head != NULL) {
		struct nx_tmf *req = n->tmf_head;
		n->tmf_head = req->next;
		req->next = NULL;
		req->done(req);
	}
	void (*fn)(void *) = n->shutdown_done;
	n->shutdown_done = NULL;
	fn(n->shutdown_arg);
}

/* SAM-5 5.9: a command that ended with CHECK CONDITION may establish ACA
 * and, by QErr, abort others; UA_INTLCK_CTRL 11b remembers BUSY, TASK SET
 * FULL and RESERVATION CONFLICT.  Runs once the status is final, before
 * task_done (t may be released afterwards). */
struct cc_effect {
	struct nx_lu *lu;
	bool naca, aca_task;
};

static bool status_effects(struct nx_task *t, struct cc_effect *cc)
{
	cc->lu = t->priv.lu;
	cc->naca = (t->priv.flags & TF_NACA) != 0;
	cc->aca_task = t->attr == NX_ATTR_ACA;
	if (t->aborted)
		return false;
	nx_ua_after_status(t);
	return cc->lu != NULL && t->status == NX_STATUS_CHECK_CONDITION;
}

static void task_finish(struct nx_task *t)
{
	struct cc_effect cc;
	bool check_condition;
	struct nx_nexus *n = t->nexus;
	struct nx_lu *lu = t->priv.lu;
	struct nx_target *tgt = n->tgt;
	uint32_t flags = t->priv.flags;

	nx_assert(t->priv.state != TS_DONE && t->priv.state != TS_IDLE);
	if (flags & TF_ABORT) {
		t->aborted = true;
		t->xfer_len = 0;
		t->sense_len = 0;
	} else if (flags & TF_TAS) {
		t->status = NX_STATUS_TASK_ABORTED; /* SAM-5 5.6 */
		t->xfer_len = 0;
		t->sense_len = 0;
	}
	if (t->priv.state == TS_RUNNING && lu != NULL)
		lu->tasks_running--;
	if (flags & TF_IN_SET)
		set_remove(t);
	task_state(t, TS_DONE);
	free_buffers(t);
	if (flags & TF_COUNTED) {
		nx_assert(n->tasks_outstanding > 0);
		n->tasks_outstanding--;
		t->priv.flags &= ~TF_COUNTED;
	}
	check_condition = status_effects(t, &cc);
	n->ops->task_done(t); /* t may be released from here on */
	if (check_condition)
		nx_tmf_check_condition(cc.lu, n, cc.naca, cc.aca_task);
	if (lu != NULL)
		nx_lu_kick(lu);
	if (flags & (TF_ABORT | TF_TAS))
		nx_tmf_task_drained(tgt);
	nexus_check_shutdown(n);
}

void nx_task_complete(struct nx_task *t, enum nx_sense_reason reason)
{
	nx_assert(t->priv.state == TS_RUNNING);
	nx_assert(reason != NX_SR_ASYNC);
	if (reason != NX_SR_OK && reason != NX_SR_CHECK_CONDITION_SET)
		nx_task_set_sense(t, reason, NULL);
	task_finish(t);
}

void nx_task_put_data(struct nx_task *t, const void *buf, uint32_t len)
{
	uint32_t n = NX_MIN(len, t->data_len);

	nx_assert(n == 0 || t->data != NULL);
	if (n > 0)
		memcpy(t->data, buf, n);
	t->xfer_len = n;
}

/* ---- aborts (tmf.c) ------------------------------------------------------- */

bool nx_task_aborting(const struct nx_task *t)
{
	return (t->priv.flags & (TF_ABORT | TF_TAS)) != 0;
}

void nx_task_abort(struct nx_task *t, bool tas)
{
	uint32_t st = t->priv.state;

	if (st == TS_IDLE || st == TS_DONE || nx_task_aborting(t))
		return;
	t->priv.flags |= tas ? TF_TAS : TF_ABORT;
	/* Not started: nothing in the backstore, finish now.  Running: the
	 * SBC engine stops at its next step and completes it. */
	if (st == TS_SETUP || st == TS_BLOCKED)
		task_finish(t);
}

/* ---- setup ----------------------------------------------------------------- */

static enum nx_sense_reason field_error(struct nx_task *t, uint16_t byte,
					int bit)
{
	t->priv.field.valid = true;
	t->priv.field.in_cdb = true;
	t->priv.field.byte = byte;
	t->priv.field.bit_valid = bit >= 0;
	t->priv.field.bit = (uint8_t)(bit < 0 ? 0 : bit);
	return NX_SR_INVALID_FIELD_IN_CDB;
}

static int top_bit(uint8_t v)
{
	int b = 7;

	while (b > 0 && !(v & (1u << b)))
		b--;
	return b;
}

static bool opcode_known(uint8_t opcode)
{
	return first_index[opcode] != NO_INDEX;
}

/* SPC-4 4.4.2: a reserved bit set, or a field the device server does not
 * support, is INVALID FIELD IN CDB with the field pointer at it.  The
 * CONTROL byte's NACA bit (SAM-5 5.2) is valid for every command
 * (NormACA=1), so the opcode tables leave it out of their masks and it is
 * added here (and in RSOC's CDB usage data, rsoc.c). */
static enum nx_sense_reason check_cdb(struct nx_task *t, uint16_t index)
{
	const struct nx_opcode_desc *op = t->priv.op;
	const uint8_t *rsvd = reserved_bits[index];
	uint64_t any = 0;

	NX_STATIC_ASSERT(NX_CDB_MAX % 8 == 0, "whole words");
	if (op->cdb_len > NX_CDB_MAX || t->cdb_len < op->cdb_len)
		return NX_SR_INVALID_CDB_LENGTH;
	/* Words in memory order on both sides: any byte order will do. */
	for (unsigned w = 0; w < op->cdb_len; w += 8) {
		uint64_t c, r;

		memcpy(&c, t->cdb + w, sizeof(c));
		memcpy(&r, rsvd + w, sizeof(r));
		any |= c & r;
	}
	if (any == 0)
		return NX_SR_OK;
	for (unsigned i = 1; i < op->cdb_len; i++) {
		uint8_t bad = t->cdb[i] & rsvd[i];
		if (bad)
			return field_error(t, (uint16_t)i, top_bit(bad));
	}
	nx_assert(!"reserved bit not found again");
	return NX_SR_OK;
}

static enum nx_sense_reason check_unit_attention(struct nx_task *t)
{
	struct nx_ua ua;

	if (t->priv.lu == NULL)
		return NX_SR_OK;
	if (t->priv.op != NULL && (t->priv.op->flags & NX_OP_UA_EXEMPT))
		return NX_SR_OK;
	if (!nx_ua_report(t->nexus, t->priv.lu, &ua))
		return NX_SR_OK;
	nx_sense_build(t, 0x06, ua.asc, ua.ascq, NULL, false, 0);
	return NX_SR_CHECK_CONDITION_SET;
}

static enum nx_sense_reason check_unsupported(struct nx_task *t)
{
	if (!opcode_known(t->cdb[0]))
		return NX_SR_INVALID_OPCODE;
	/* The opcode exists with other service actions. */
	const struct nx_opcode_desc *any = sorted_ops[first_index[t->cdb[0]]];
	if (any->flags & NX_OP_SA16)
		field_error(t, 8, 7);
	else
		field_error(t, 1, 4);
	return NX_SR_UNSUPPORTED_SA;
}

static enum nx_sense_reason check_lu_state(struct nx_task *t)
{
	const struct nx_opcode_desc *op = t->priv.op;
	const struct nx_lu *lu = t->priv.lu;

	/* With an ACA condition the gate (nx_aca_check) already sorted ACA
	 * tasks out; here there is none to attach one to (SAM-5 8.6.5). */
	if (t->attr == NX_ATTR_ACA && (lu == NULL || lu->aca_nexus == NULL))
		return NX_SR_INVALID_MESSAGE;
	if (lu == NULL)
		return NX_SR_OK;
	enum nx_sense_reason r = nx_sanitize_check(t); /* SBC-4 4.11 */
	if (r != NX_SR_OK)
		return r;
	if ((op->flags & NX_OP_MEDIUM) && lu->medium_absent)
		return NX_SR_MEDIUM_NOT_PRESENT;
	if ((op->flags & NX_OP_MEDIUM) && lu->stopped)
		return NX_SR_NOT_READY_STOPPED;
	if ((op->flags & NX_OP_WRITES) && nx_nexus_lu_read_only(t->nexus, lu))
		return NX_SR_WRITE_PROTECTED;
	return NX_SR_OK;
}

/* CDB length from the group code (SPC-4 4.2.5.1) for an opcode nexus
 * does not know; 0 when the group has no fixed length. */
static unsigned group_cdb_len(uint8_t opcode)
{
	static const uint8_t len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };

	return len[opcode >> 5];
}

/* SAM-5 5.2: NACA is bit 2 of the CONTROL byte, the CDB's last byte. */
static bool task_naca(const struct nx_task *t)
{
	unsigned len = t->priv.op != NULL ? t->priv.op->cdb_len
					  : group_cdb_len(t->cdb[0]);

	return len != 0 && len <= t->cdb_len && len <= NX_CDB_MAX &&
	       (t->cdb[len - 1] & 0x04);
}

/* True when every byte of t->data is written before anything reads or
 * sends it, so nx_buf_alloc()'s undefined contents never escape:
 *  - data-out: the transport fills t->data[0 .. data_len) before
 *    nx_task_execute() (nx_scsi.h), or the task never executes;
 *  - READ(6/10/12/16) (SBC-3 5.11-5.14): read_step() (sbc.c) sets
 *    xfer_len only after the backstore filled all data_len bytes (a thin
 *    RAM region and a short file read come back as zeros).
 * Everything else (INQUIRY, MODE SENSE, ...) builds its data in a zeroed
 * buffer and relies on that. */
static bool data_fully_written(const struct nx_task *t)
{
	switch (t->cdb[0]) {
	case 0x08: case 0x28: case 0xa8: case 0x88:
		return t->dir == NX_DIR_READ;
	default:
		return t->dir == NX_DIR_WRITE;
	}
}

static enum nx_sense_reason setup_checks(struct nx_task *t)
{
	struct nx_nexus *n = t->nexus;
	uint64_t lun;
	enum nx_sense_reason r;
	uint16_t index;

	if (n->shut_down)
		return NX_SR_BUSY;
	if (nx_lun_decode(t->lun, &lun) && lun != NX_WLUN_REPORT_LUNS)
		t->priv.lu = nx_target_find_lu(n->tgt, lun);
	index = opcode_find(t->cdb);
	t->priv.op = index == NO_INDEX ? NULL : sorted_ops[index];
	if (t->priv.lu == NULL &&
	    (t->priv.op == NULL || !(t->priv.op->flags & NX_OP_NO_LU)))
		return NX_SR_LU_NOT_SUPPORTED;
	if (task_naca(t))
		t->priv.flags |= TF_NACA;
	r = nx_aca_check(t, (t->priv.flags & TF_NACA) != 0);
	if (r != NX_SR_OK)
		return r;
	r = check_unit_attention(t);
	if (r != NX_SR_OK)
		return r;
	if (t->priv.op == NULL)
		return check_unsupported(t);
	r = nx_alua_check(t); /* SPC-4 5.16.2.4, 5.16.2.5 (alua.c) */
	if (r == NX_SR_OK)
		r = check_cdb(t, index);
	if (r == NX_SR_OK)
		r = check_lu_state(t);
	if (r == NX_SR_OK)
		r = nx_pr_check(t); /* SPC-4 5.12.1 table 64 (pr.c) */
	if (r == NX_SR_OK && t->priv.op->parse != NULL)
		r = t->priv.op->parse(t);
	if (r != NX_SR_OK)
		return r;
	if (t->data_len > NX_MAX_XFER_BYTES)
		return NX_SR_INVALID_FIELD_IN_CDB;
	if (t->priv.lu != NULL && t->priv.lu->set_count >= NX_TASK_SET_MAX)
		return NX_SR_TASK_SET_FULL;
	if (t->data_len > 0) {
		t->data = nx_buf_alloc(t->data_len);
		if (t->data == NULL)
			return NX_SR_BUSY;
		t->priv.data_owned = true;
		if (!data_fully_written(t))
			memset(t->data, 0, t->data_len);
	}
	return NX_SR_OK;
}

/* nx_task_init clears everything but sense[]: its bytes count only up to
 * sense_len (cleared), and every writer (sense.c) fills what it reports,
 * so a command that ends without sense never touches that cache line.
 * Between sense[] and priv there is nothing but padding. */
NX_STATIC_ASSERT(offsetof(struct nx_task, priv) -
		 (offsetof(struct nx_task, sense) + NX_SENSE_MAX) < 8 &&
		 offsetof(struct nx_task, priv) + sizeof(struct nx_task_priv) ==
		 sizeof(struct nx_task),
		 "nx_task_init's two clears must cover every field");

void nx_task_init(struct nx_task *t, struct nx_nexus *n)
{
	nx_assert(t != NULL && n != NULL);
	memset(t, 0, offsetof(struct nx_task, sense));
	memset(&t->priv, 0, sizeof(t->priv));
	t->nexus = n;
	t->attr = NX_ATTR_SIMPLE;
}

static void drop_data(struct nx_task *t)
{
	if (t->priv.data_owned && t->data != NULL)
		nx_buf_free(t->data);
	t->data = NULL;
	t->priv.data_owned = false;
}

uint8_t *nx_task_take_data(struct nx_task *t)
{
	uint8_t *d = t->priv.data_owned ? t->data : NULL;

	nx_assert(t->priv.state == TS_DONE);
	if (d != NULL) {
		t->data = NULL;
		t->priv.data_owned = false;
	}
	return d;
}

bool nx_task_setup(struct nx_task *t)
{
	nx_assert(t->nexus != NULL);
	nx_assert(t->priv.state == TS_IDLE);
	t->status = NX_STATUS_GOOD;
	enum nx_sense_reason r = setup_checks(t);
	if (r != NX_SR_OK) {
		struct cc_effect cc;
		if (r != NX_SR_CHECK_CONDITION_SET)
			nx_task_set_sense(t, r, NULL);
		drop_data(t);
		t->data_len = 0;
		t->dir = NX_DIR_NONE;
		t->priv.state = TS_DONE;
		if (status_effects(t, &cc))
			nx_tmf_check_condition(cc.lu, t->nexus, cc.naca,
					       cc.aca_task);
		return false;
	}
	if (t->priv.lu != NULL)
		set_insert(t);
	t->nexus->tasks_outstanding++;
	t->priv.flags |= TF_COUNTED;
	t->priv.state = TS_SETUP;
	return true;
}

void nx_task_execute(struct nx_task *t)
{
	/* DONE: aborted while its data-out was arriving. */
	if (t->priv.state == TS_DONE)
		return;
	nx_assert(t->priv.state == TS_SETUP);
	if (runnable(t)) {
		task_start(t);
		return;
	}
	task_state(t, TS_BLOCKED);
}

void nx_task_release(struct nx_task *t)
{
	uint32_t st = t->priv.state;

	nx_assert(st != TS_RUNNING);
	if (st == TS_SETUP || st == TS_BLOCKED) {
		/* The transport gave up on a task it never completed. */
		struct nx_nexus *n = t->nexus;
		struct nx_lu *lu = t->priv.lu;
		if (t->priv.flags & TF_IN_SET)
			set_remove(t);
		if (t->priv.flags & TF_COUNTED)
			n->tasks_outstanding--;
		t->priv.flags = 0;
		task_state(t, TS_DONE);
		if (lu != NULL)
			nx_lu_kick(lu);
		nexus_check_shutdown(n);
	}
	free_buffers(t);
	drop_data(t);
	t->priv.state = TS_IDLE;
}

void nx_task_fail(struct nx_task *t, uint8_t key, uint8_t asc, uint8_t ascq)
{
	uint32_t st = t->priv.state;

	nx_assert(st != TS_RUNNING);
	if (st == TS_DONE)
		return;
	nx_sense_build(t, key, asc, ascq, NULL, false, 0);
	if (st == TS_IDLE) {
		t->priv.state = TS_DONE;
		t->nexus->ops->task_done(t);
		return;
	}
	task_finish(t);
}

/* ---- I_T nexus loss (SAM-5 6.3.4) ---------------------------------------- */

static struct nx_task *first_live_task(struct nx_nexus *n)
{
	struct nx_target *tgt = n->tgt;

	for (unsigned i = 0; i < tgt->lu_count; i++)
		for (struct nx_task *t = tgt->lus[i]->set_head; t != NULL;
		     t = t->priv.set_next)
			if (t->nexus == n && !nx_task_aborting(t))
				return t;
	return NULL;
}

void nx_nexus_shutdown(struct nx_nexus *n, void (*done)(void *arg), void *arg)
{
	nx_assert(n != NULL && done != NULL);
	nx_assert(n->shutdown_done == NULL);
	n->shutdown_done = done;
	n->shutdown_arg = arg;
	n->shutdown_busy = true;
	n->shut_down = true;
	/* Bounded: each pass aborts one task, and no new task can enter. */
	for (struct nx_task *t; (t = first_live_task(n)) != NULL;)
		nx_task_abort(t, false);
	nx_aca_nexus_loss(n->tgt, n); /* SAM-5 5.9.2.5 */
	/* SBC-3 5.13: nexus loss releases its medium removal prevention. */
	for (unsigned i = 0; i < n->tgt->lu_count; i++)
		nx_prevent_release(n->tgt->lus[i], n);
	n->shutdown_busy = false;
	nexus_check_shutdown(n);
}

void nx_lu_reset_state(struct nx_lu *lu)
{
	nx_prevent_release(lu, NULL);
}
