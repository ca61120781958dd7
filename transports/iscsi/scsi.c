/*
 * scsi.c - SCSI Command, Data-Out, R2T, Data-In and SCSI Response
 * (RFC 7143 11.3 - 11.8).
 *
 * A command's life in the transport:
 *   SCSI Command -> nx_task_init/setup -> [immediate data, unsolicited
 *   Data-Out up to FirstBurstLength, then R2Ts of at most MaxBurstLength,
 *   at most MaxOutstandingR2T at a time] -> nx_task_execute ->
 *   task_done -> Data-In (status in the last one when there is no sense)
 *   or SCSI Response -> nx_task_release.
 *
 * DataPDUInOrder and DataSequenceInOrder are Yes (login.c answers Yes, and
 * both are OR-negotiated, RFC 7143 13.19/13.20), so every sequence is
 * checked for exact Buffer Offset and DataSN continuity.  A Buffer Offset
 * or length violation breaks the framing of the data phase: Reject and
 * end the connection.  A DataSN gap only means an earlier Data-Out was
 * lost (RFC 7143 7.9 -> 7.8): without recovery R2Ts (ERL 0) the task is
 * terminated with CHECK CONDITION, PROTOCOL SERVICE CRC ERROR once its
 * outstanding data is in; nothing is written and the connection lives.
 *
 * EDTL versus the CDB's transfer length (RFC 7143 11.4.5.1, whose
 * residuals follow FCP-4's FCP_DL rules): reads move min(produced, EDTL)
 * bytes and report the difference as overflow or underflow.  A write
 * that asks for less than EDTL stores the CDB's length and reports
 * underflow.  A write that asks for more (SPDTL > EDTL) is, per the
 * FCP_DL field of FCP-4's FCP_CMND IU: a) processed
 * with only EDTL bytes transferred, when it writes logical blocks and EDTL
 * ends on a block boundary (the TRANSFER LENGTH is cut to EDTL's blocks);
 * b) otherwise answered with CHECK CONDITION, ILLEGAL REQUEST, INVALID
 * FIELD IN COMMAND INFORMATION UNIT, nothing transferred.  Both report
 * residual overflow SPDTL - EDTL.
 *
 * With a datamover (iSER, nx_iscsi.h) the data moves outside the PDU
 * stream: Data-In becomes one put_data, each R2T a get_data, and the
 * command is held in NX_CMD_DONE until the datamover has let go of its
 * buffer (nx_iscsi_dm_done).
 */
#include "conn_internal.h"

static struct nx_iscsi_cmd *cmd_of(struct nx_task *t)
{
	return (struct nx_iscsi_cmd *)((char *)t - offsetof(struct nx_iscsi_cmd, task));
}

/* ---- responses -------------------------------------------------------------- */

void nx_iscsi_send_status(struct nx_iscsi_conn *c, uint32_t itt, uint8_t status)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	nx_iscsi_bhs_init(bhs, NX_ISCSI_OP_SCSI_RSP, NX_ISCSI_F);
	bhs[3] = status;
	nx_put_be32(bhs + 16, itt);
	nx_put_be32(bhs + 24, nx_iscsi_conn_next_statsn(c));
	nx_iscsi_conn_fill_sn(c, bhs);
	nx_iscsi_conn_send_pdu(c, bhs, NULL, 0);
}

/* RFC 7143 11.4.5: O/U flags and the Residual Count. */
static void cmd_residual(const struct nx_iscsi_cmd *cmd, uint8_t *flags,
			 uint32_t *count)
{
	const struct nx_task *t = &cmd->task;
	uint32_t expected = cmd->edtl, actual = 0;

	if (!cmd->setup_failed && t->dir == NX_DIR_READ) {
		expected = (cmd->pdu_flags & NX_ISCSI_CMD_R) ? cmd->edtl : 0;
		actual = t->xfer_len;
	} else if (!cmd->setup_failed &&
		   (t->dir == NX_DIR_WRITE || cmd->truncated)) {
		/* A cut write still reports what its CDB asked for. */
		expected = (cmd->pdu_flags & NX_ISCSI_CMD_W) ? cmd->edtl : 0;
		actual = cmd->truncated ? cmd->spdtl : t->data_len;
	}
	*flags = 0;
	*count = 0;
	if (actual > expected) {
		*flags = NX_ISCSI_RSP_O;
		*count = actual - expected;
	} else if (actual < expected) {
		*flags = NX_ISCSI_RSP_U;
		*count = expected - actual;
	}
}

static void send_scsi_rsp(struct nx_iscsi_cmd *cmd, struct nx_iscsi_conn *c,
			  uint8_t rflags, uint32_t resid, uint32_t exp_datasn)
{
	const struct nx_task *t = &cmd->task;
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	uint8_t sense[2 + NX_SENSE_MAX];
	uint32_t dlen = 0;

	nx_iscsi_bhs_init(bhs, NX_ISCSI_OP_SCSI_RSP, NX_ISCSI_F | rflags);
	bhs[2] = 0; /* Command Completed at Target */
	bhs[3] = t->status;
	nx_put_be32(bhs + 16, cmd->itt);
	nx_put_be32(bhs + 24, nx_iscsi_conn_next_statsn(c));
	nx_iscsi_conn_fill_sn(c, bhs);
	nx_put_be32(bhs + 36, exp_datasn);
	nx_put_be32(bhs + 44, resid);
	if (t->sense_len > 0) {
		/* RFC 7143 11.4.7: SenseLength (2 bytes) + sense data. */
		uint8_t n = NX_MIN(t->sense_len, (uint8_t)NX_SENSE_MAX);

		nx_put_be16(sense, n);
		memcpy(sense + 2, t->sense, n);
		dlen = 2u + n;
	}
	nx_iscsi_conn_send_pdu(c, bhs, dlen > 0 ? sense : NULL, dlen);
}

static void datain_release(void *buf, bool ok)
{
	(void)ok;
	nx_buf_free(buf);
}

/* Data-In PDUs of at most the initiator's MaxRecvDataSegmentLength, in
 * sequences of at most MaxBurstLength (F ends each sequence, RFC 7143
 * 11.7.1); with_status puts the status in the last one (S bit, 11.7.4).
 * lent (the task's buffer, taken from the core) is lent to the embedder
 * and freed after the last PDU has left; otherwise data is copied.
 * Returns the number of PDUs sent (the response's ExpDataSN). */
static uint32_t send_datain(struct nx_iscsi_cmd *cmd, struct nx_iscsi_conn *c,
			    const uint8_t *data, uint8_t *lent, uint32_t total,
			    bool with_status, uint8_t rflags, uint32_t resid)
{
	const struct nx_task *t = &cmd->task;
	uint32_t mrdsl = c->params.max_recv_dsl_initiator;
	uint32_t burst = NX_MAX(cmd->sess->params.max_burst_length, 512u);
	uint32_t off = 0, datasn = 0;
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	nx_assert(total > 0 && data != NULL);
	while (off < total) {
		uint64_t seq_end = ((uint64_t)(off / burst) + 1) * burst;
		uint32_t len = (uint32_t)NX_MIN((uint64_t)total, seq_end) - off;
		bool last;

		len = NX_MIN(len, mrdsl);
		last = off + len == total;
		nx_iscsi_bhs_init(bhs, NX_ISCSI_OP_DATA_IN,
				  (last || off + len == seq_end) ? NX_ISCSI_F : 0);
		if (last && with_status) {
			bhs[1] |= NX_ISCSI_DATAIN_S | rflags;
			bhs[3] = t->status;
			nx_put_be32(bhs + 24, nx_iscsi_conn_next_statsn(c));
			nx_put_be32(bhs + 44, resid);
		}
		nx_put_be32(bhs + 16, cmd->itt);
		nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
		nx_iscsi_conn_fill_sn(c, bhs);
		nx_put_be32(bhs + 36, datasn++);
		nx_put_be32(bhs + 40, off);
		if (lent != NULL)
			nx_iscsi_conn_send_pdu_lent(c, bhs, data + off, len,
						    last ? datain_release : NULL,
						    lent);
		else
			nx_iscsi_conn_send_pdu(c, bhs, data + off, len);
		off += len;
	}
	return datasn;
}

static void cmd_send_response(struct nx_iscsi_cmd *cmd, struct nx_iscsi_conn *c)
{
	struct nx_task *t = &cmd->task;
	uint32_t total = 0, resid, exp_datasn = cmd->r2tsn;
	uint8_t rflags;
	bool collapse;

	cmd_residual(cmd, &rflags, &resid);
	if (!cmd->setup_failed && t->dir == NX_DIR_READ &&
	    (cmd->pdu_flags & NX_ISCSI_CMD_R))
		total = NX_MIN(NX_MIN(t->xfer_len, cmd->edtl), t->data_len);
	/* RFC 7143 11.7.4: status may ride on the last Data-In only when
	 * the command did not end in an exception (no sense data). */
	collapse = total > 0 && t->sense_len == 0 && c->dm == NULL &&
		   (t->status == NX_STATUS_GOOD ||
		    t->status == NX_STATUS_CONDITION_MET);
	if (total > 0 && c->dm != NULL) {
		/* RFC 7145 7.3.5: Put_Data (RDMA WRITE), then the status in
		 * a SCSI Response; no Data-In PDU went out (ExpDataSN 0). */
		cmd->dm_busy++;
		c->dm->put_data(c->ctx, cmd, &cmd->dm_tags, t->data, 0, total);
		exp_datasn = 0;
	} else if (total > 0) {
		const uint8_t *data = t->data;
		uint8_t *lent = nx_iscsi_conn_can_lend(c) ?
				nx_task_take_data(t) : NULL;

		nx_assert(total <= t->data_len && data != NULL);
		exp_datasn = send_datain(cmd, c, data, lent, total, collapse,
					 rflags, resid);
	}
	if (!collapse)
		send_scsi_rsp(cmd, c, rflags, resid, exp_datasn);
}

/* The task's buffer may go unless the datamover still moves it. */
static void cmd_release(struct nx_iscsi_cmd *cmd)
{
	if (cmd->dm_busy > 0) {
		cmd->state = NX_CMD_DONE;
		return;
	}
	nx_task_release(&cmd->task);
	nx_iscsi_cmd_free(cmd);
}

/* Completion from the core (maybe inside nx_task_execute), or of a task
 * whose setup failed. */
static void cmd_finish(struct nx_iscsi_cmd *cmd)
{
	struct nx_iscsi_conn *c = cmd->conn;

	if (c != NULL)
		nx_iscsi_conn_get(c);
	if (!cmd->task.aborted && c != NULL && nx_iscsi_conn_live(c))
		cmd_send_response(cmd, c);
	cmd_release(cmd);
	if (c != NULL)
		nx_iscsi_conn_put(c);
}

/* Also reached for a command still in its Data-Out phase: the core knows
 * a task from nx_task_setup() on and may end it there (a TMF or I_T nexus
 * loss aborts it; TAS answers TASK ABORTED).  Its late Data-Out PDUs then
 * find no command and are dropped. */
void nx_iscsi_task_done(struct nx_task *t)
{
	struct nx_iscsi_cmd *cmd = cmd_of(t);

	nx_assert(cmd->state != NX_CMD_FREE);
	cmd_finish(cmd);
}

void nx_iscsi_cmd_abort_local(struct nx_iscsi_cmd *cmd)
{
	nx_assert(cmd->state == NX_CMD_DATA);
	cmd->task.aborted = true;
	cmd_release(cmd);
}

unsigned nx_iscsi_scsi_abort_data_phase(struct nx_iscsi_session *s,
					const struct nx_iscsi_conn *conn,
					bool lun_match, uint64_t lun)
{
	unsigned i, n = 0;

	for (i = 0; i < s->cmd_slots; i++) {
		struct nx_iscsi_cmd *cmd = nx_iscsi_cmd_at(s, i);

		if (cmd->state != NX_CMD_DATA)
			continue;
		if ((conn != NULL && cmd->conn != conn) ||
		    (lun_match && cmd->task.lun != lun))
			continue;
		nx_iscsi_cmd_abort_local(cmd);
		n++;
	}
	return n;
}

/* ---- the data-out phase ------------------------------------------------------ */

static void cmd_store(struct nx_iscsi_cmd *cmd, uint32_t off,
		      const uint8_t *data, uint32_t len)
{
	uint32_t n;

	if (off >= cmd->want || len == 0)
		return; /* beyond what the CDB moves: discarded */
	n = NX_MIN(len, cmd->want - off);
	nx_assert(cmd->task.data != NULL && cmd->want <= cmd->task.data_len);
	memcpy(cmd->task.data + off, data, n);
}

static void cmd_data_complete(struct nx_iscsi_cmd *cmd)
{
	if (cmd->setup_failed) {
		cmd_finish(cmd);
		return;
	}
	cmd->state = NX_CMD_CORE;
	if (cmd->data_error) {
		/* RFC 7143 7.8 b) 2 (reached through 7.9): terminate the
		 * task, PROTOCOL SERVICE CRC ERROR (11.4.7.2), nothing
		 * written. */
		nx_task_fail(&cmd->task, 0x0b, 0x47, 0x05);
		return;
	}
	if (cmd->overflow_fail) {
		/* SPDTL > EDTL on a write: INVALID FIELD IN COMMAND
		 * INFORMATION UNIT (05/0E/03), nothing written. */
		nx_task_fail(&cmd->task, 0x05, 0x0e, 0x03);
		return;
	}
	nx_task_execute(&cmd->task);
}

static void send_r2t(struct nx_iscsi_cmd *cmd, struct nx_iscsi_r2t *r)
{
	struct nx_iscsi_conn *c = cmd->conn;
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	if (c->dm != NULL) {
		/* RFC 7145 7.3.6: no R2T on the wire; Get_Data (RDMA READ)
		 * brings the bytes straight into the task's buffer. */
		cmd->r2tsn++;
		cmd->dm_busy++;
		c->dm->get_data(c->ctx, cmd, &cmd->dm_tags, r->ttt,
				cmd->task.data + r->offset, r->offset, r->len);
		return;
	}
	nx_iscsi_bhs_init(bhs, NX_ISCSI_OP_R2T, NX_ISCSI_F);
	nx_put_be64(bhs + 8, cmd->task.lun);
	nx_put_be32(bhs + 16, cmd->itt);
	nx_put_be32(bhs + 20, r->ttt);
	/* RFC 7143 11.8.3: StatSN of an R2T is the next one, not advanced. */
	nx_put_be32(bhs + 24, nx_iscsi_conn_cur_statsn(c));
	nx_iscsi_conn_fill_sn(c, bhs);
	nx_put_be32(bhs + 36, cmd->r2tsn++);
	nx_put_be32(bhs + 40, r->offset);
	nx_put_be32(bhs + 44, r->len);
	nx_iscsi_conn_send_pdu(c, bhs, NULL, 0);
}

/* Solicits what is still missing, MaxOutstandingR2T at a time. */
static void cmd_send_r2ts(struct nx_iscsi_cmd *cmd)
{
	const struct nx_iscsi_params *p = &cmd->sess->params;
	unsigned max_out = NX_MIN(NX_MAX((unsigned)p->max_outstanding_r2t, 1u),
				  NX_ISCSI_R2T_MAX);
	uint32_t burst = NX_MAX(p->max_burst_length, 512u);
	unsigned i;

	for (i = 0; i < NX_ISCSI_R2T_MAX && cmd->r2t_count < max_out &&
		    cmd->r2t_next < cmd->want; i++) {
		struct nx_iscsi_r2t *r = &cmd->r2t[i];

		if (r->used)
			continue;
		r->used = true;
		r->offset = cmd->r2t_next;
		r->len = NX_MIN(burst, cmd->want - cmd->r2t_next);
		r->got = 0;
		r->datasn = 0;
		r->ttt = (uint32_t)(cmd->sess->ttt_seq++ & 0x7fff) << 16 | cmd->idx;
		cmd->r2t_next += r->len;
		cmd->r2t_count++;
		send_r2t(cmd, r);
	}
}

/* A doomed task (data_error) solicits nothing more: it ends as soon as
 * the sequences already under way are complete (RFC 7143 7.8: "wait to
 * receive all the data ... for all outstanding R2Ts"). */
static void cmd_data_progress(struct nx_iscsi_cmd *cmd)
{
	if (cmd->unsol_open)
		return;
	if (!cmd->data_error && cmd->conn != NULL &&
	    nx_iscsi_conn_live(cmd->conn))
		cmd_send_r2ts(cmd);
	if (cmd->r2t_count == 0 &&
	    (cmd->r2t_next >= cmd->want || cmd->data_error))
		cmd_data_complete(cmd);
}

/* RFC 7143 7.9: a Data-Out whose DataSN is not the next one implies that
 * an earlier one was lost (digest error), to be handled as in 7.8.  ERL 0
 * has no recovery R2T, so the task will end in CHECK CONDITION; the PDU
 * itself is well framed and the data phase goes on. */
static void cmd_datasn_error(struct nx_iscsi_cmd *cmd, struct nx_iscsi_conn *c,
			     uint32_t got, uint32_t want)
{
	if (!cmd->data_error)
		NX_ISCSI_LOG(c->srv, NX_ILOG_CMD, NX_LOG_WARN,
			     "iscsi %s: ITT 0x%08x Data-Out DataSN %u, "
			     "expected %u: task terminated", c->peer, cmd->itt,
			     got, want);
	cmd->data_error = true;
}

static void data_out_unsol(struct nx_iscsi_cmd *cmd, struct nx_iscsi_conn *c,
			   const struct nx_iscsi_pdu *pdu)
{
	uint32_t datasn = nx_get_be32(pdu->bhs + 36);
	uint32_t off = nx_get_be32(pdu->bhs + 40);

	if (!cmd->unsol_open) {
		nx_iscsi_reject_drop(c, pdu->bhs, NX_ISCSI_REJECT_PROTOCOL,
				     "unsolicited Data-Out not expected");
		return;
	}
	if (off != cmd->unsol_next || off > cmd->unsol_limit ||
	    pdu->data_len > cmd->unsol_limit - off) {
		nx_iscsi_reject_drop(c, pdu->bhs, NX_ISCSI_REJECT_PROTOCOL,
				     "unsolicited Data-Out offset/length");
		return;
	}
	if (datasn != cmd->unsol_datasn)
		cmd_datasn_error(cmd, c, datasn, cmd->unsol_datasn);
	cmd_store(cmd, off, pdu->data, pdu->data_len);
	cmd->unsol_next += pdu->data_len;
	cmd->unsol_datasn++;
	if (pdu->bhs[1] & NX_ISCSI_F) {
		cmd->unsol_open = false;
		cmd->r2t_next = NX_MAX(cmd->r2t_next, cmd->unsol_next);
		cmd_data_progress(cmd);
	}
}

static void data_out_sol(struct nx_iscsi_cmd *cmd, struct nx_iscsi_conn *c,
			 const struct nx_iscsi_pdu *pdu, uint32_t ttt)
{
	uint32_t datasn = nx_get_be32(pdu->bhs + 36);
	uint32_t off = nx_get_be32(pdu->bhs + 40);
	struct nx_iscsi_r2t *r = NULL;
	unsigned i;

	for (i = 0; i < NX_ISCSI_R2T_MAX && r == NULL; i++) {
		if (cmd->r2t[i].used && cmd->r2t[i].ttt == ttt)
			r = &cmd->r2t[i];
	}
	nx_assert(r != NULL); /* nx_iscsi_cmd_find_ttt matched it */
	if (off != r->offset + r->got || pdu->data_len > r->len - r->got ||
	    ((pdu->bhs[1] & NX_ISCSI_F) && pdu->data_len != r->len - r->got)) {
		nx_iscsi_reject_drop(c, pdu->bhs, NX_ISCSI_REJECT_PROTOCOL,
				     "solicited Data-Out offset/length");
		return;
	}
	if (datasn != r->datasn)
		cmd_datasn_error(cmd, c, datasn, r->datasn);
	cmd_store(cmd, off, pdu->data, pdu->data_len);
	r->got += pdu->data_len;
	r->datasn++;
	if (r->got == r->len) {
		r->used = false;
		cmd->r2t_count--;
		cmd_data_progress(cmd);
	}
}

void nx_iscsi_data_out_rx(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu,
			  bool ddigest_ok)
{
	struct nx_iscsi_session *s = c->sess;
	uint32_t itt = nx_pdu_itt(pdu);
	uint32_t ttt = nx_get_be32(pdu->bhs + 20);
	struct nx_iscsi_cmd *cmd;

	if (!ddigest_ok) {
		/* RFC 7143 7.8: at ERL 0 the lost data cannot be asked
		 * for again (no recovery R2T): reject, end the connection. */
		nx_iscsi_reject_drop(c, pdu->bhs, NX_ISCSI_REJECT_DATA_DIGEST,
				     "Data-Out data digest error");
		return;
	}
	cmd = ttt == NX_ISCSI_RSVD_TAG ? nx_iscsi_cmd_find_itt(s, itt)
				       : nx_iscsi_cmd_find_ttt(s, ttt);
	if (c->dm != NULL && ttt != NX_ISCSI_RSVD_TAG) {
		/* RFC 7145 7.3.4: solicited data moves by RDMA READ; a
		 * solicited Data-Out PDU is a protocol error. */
		nx_iscsi_reject_drop(c, pdu->bhs, NX_ISCSI_REJECT_PROTOCOL,
				     "solicited Data-Out over iSER");
		return;
	}
	if (cmd == NULL || cmd->itt != itt || cmd->state != NX_CMD_DATA) {
		/* The task already ended (aborted, or answered early): its
		 * late data is dropped, like LIO's dump of the payload. */
		nx_log(NX_LOG_DEBUG, "iscsi %s: Data-Out for unknown ITT 0x%08x TTT 0x%08x",
		       c->peer, itt, ttt);
		return;
	}
	if (cmd->conn != c) {
		/* Connection allegiance (RFC 7143 3.2.4): a task's data
		 * travels on the connection that carried its command. */
		nx_iscsi_reject_drop(c, pdu->bhs, NX_ISCSI_REJECT_PROTOCOL,
				     "Data-Out on another connection");
		return;
	}
	if (ttt == NX_ISCSI_RSVD_TAG)
		data_out_unsol(cmd, c, pdu);
	else
		data_out_sol(cmd, c, pdu, ttt);
}

/* ---- the SCSI Command PDU -------------------------------------------------- */

/* Validates what the transport itself must (RFC 7143 11.3); returns a
 * Reject reason or 0. */
static int cmd_check(const struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu,
		     struct nx_iscsi_ahs_info *ahs)
{
	const struct nx_iscsi_params *p = &c->sess->params;
	uint8_t flags = pdu->bhs[1];
	uint32_t edtl = nx_get_be32(pdu->bhs + 20);
	int err;

	err = nx_iscsi_ahs_parse(pdu->ahs, pdu->ahs_len, ahs);
	if (err != 0)
		return err;
	/* Bidirectional commands (R and W, or a bidi AHS) are not
	 * supported: "Command not supported" (11.17.1). */
	if (((flags & NX_ISCSI_CMD_R) && (flags & NX_ISCSI_CMD_W)) || ahs->bidi)
		return NX_ISCSI_REJECT_CMD_NOT_SUPPORTED;
	if (16u + ahs->ext_cdb_len > NX_CDB_MAX || (flags & NX_ISCSI_CMD_ATTR) > 4)
		return NX_ISCSI_REJECT_INVALID_PDU_FIELD;
	if (pdu->data_len > 0 &&
	    (!(flags & NX_ISCSI_CMD_W) || !p->immediate_data ||
	     pdu->data_len > edtl || pdu->data_len > p->first_burst_length))
		return NX_ISCSI_REJECT_PROTOCOL;
	/* F = 0 announces unsolicited Data-Out: only for writes and only
	 * with InitialR2T=No (13.10). */
	if (!(flags & NX_ISCSI_F) && (!(flags & NX_ISCSI_CMD_W) || p->initial_r2t))
		return NX_ISCSI_REJECT_PROTOCOL;
	return 0;
}

static void cmd_task_init(struct nx_iscsi_cmd *cmd, const struct nx_iscsi_pdu *pdu,
			  const struct nx_iscsi_ahs_info *ahs)
{
	/* RFC 7143 11.3.1.3 ATTR: untagged, simple, ordered, HoQ, ACA. */
	static const enum nx_task_attr attr_map[5] = {
		NX_ATTR_SIMPLE, NX_ATTR_SIMPLE, NX_ATTR_ORDERED,
		NX_ATTR_HEAD_OF_QUEUE, NX_ATTR_ACA,
	};
	struct nx_task *t = &cmd->task;

	nx_task_init(t, cmd->sess->nexus);
	t->lun = nx_get_be64(pdu->bhs + 8);
	memcpy(t->cdb, pdu->bhs + 32, 16);
	if (ahs->ext_cdb_len > 0)
		memcpy(t->cdb + 16, ahs->ext_cdb, ahs->ext_cdb_len);
	t->cdb_len = (uint8_t)(16 + ahs->ext_cdb_len);
	t->tag = cmd->itt;
	t->attr = attr_map[pdu->bhs[1] & NX_ISCSI_CMD_ATTR];
	t->expected_len = cmd->edtl;
}

/* SBC-3 WRITE(10/12/16) and WRITE AND VERIFY(10/12/16): the TRANSFER
 * LENGTH field counts logical blocks; returns its width in bytes
 * (0: another CDB).  WRITE(6) is left out: its 0 means 256 blocks, so it
 * cannot say "none". */
static unsigned cdb_block_len_field(const uint8_t *cdb, unsigned *off)
{
	switch (cdb[0]) {
	case 0x2a: case 0x2e:
		*off = 7;
		return 2;
	case 0xaa: case 0xae:
		*off = 6;
		return 4;
	case 0x8a: case 0x8e:
		*off = 10;
		return 4;
	default:
		return 0;
	}
}

/* SPDTL > EDTL on a write, FCP-4 FCP_DL case a): "process the command normally
 * except that data beyond the FCP_DL count shall not be requested or
 * transferred".  Possible for a block write whose EDTL ends on a block
 * boundary: the task is set up again with the TRANSFER LENGTH cut to
 * EDTL's blocks.  Returns false when only b) remains. */
static bool cmd_truncate_write(struct nx_iscsi_cmd *cmd,
			       const struct nx_iscsi_pdu *pdu,
			       const struct nx_iscsi_ahs_info *ahs, uint32_t edtl_w)
{
	struct nx_task *t = &cmd->task;
	unsigned off = 0, width = cdb_block_len_field(t->cdb, &off);
	uint32_t blocks, bs;

	if (width == 0)
		return false;
	blocks = width == 2 ? nx_get_be16(t->cdb + off) : nx_get_be32(t->cdb + off);
	if (blocks == 0 || t->data_len % blocks != 0)
		return false;
	bs = t->data_len / blocks;
	if (edtl_w % bs != 0)
		return false;
	/* Not executed yet: the core gives the task up and takes it
	 * anew (a pending UA would already have failed the first setup). */
	nx_task_release(t);
	cmd_task_init(cmd, pdu, ahs);
	if (width == 2)
		nx_put_be16(t->cdb + off, (uint16_t)(edtl_w / bs));
	else
		nx_put_be32(t->cdb + off, edtl_w / bs);
	cmd->setup_failed = !nx_task_setup(t);
	return true;
}

/* A write that asks for more than EDTL: FCP-4 FCP_DL case a) or b). */
static void cmd_fit_edtl(struct nx_iscsi_cmd *cmd, const struct nx_iscsi_pdu *pdu,
			 const struct nx_iscsi_ahs_info *ahs)
{
	const struct nx_task *t = &cmd->task;
	uint32_t edtl_w = (cmd->pdu_flags & NX_ISCSI_CMD_W) ? cmd->edtl : 0;

	if (cmd->setup_failed || t->dir != NX_DIR_WRITE || t->data_len <= edtl_w)
		return;
	cmd->spdtl = t->data_len;
	if (cmd_truncate_write(cmd, pdu, ahs, edtl_w))
		cmd->truncated = true;
	else
		cmd->overflow_fail = true;
}

/* What the data-out phase must move, from the CDB (t->dir/data_len) and
 * the PDU (W bit, EDTL, F bit, immediate data). */
static void cmd_plan_data(struct nx_iscsi_cmd *cmd, const struct nx_iscsi_pdu *pdu)
{
	const struct nx_iscsi_params *p = &cmd->sess->params;
	const struct nx_task *t = &cmd->task;
	bool w = (cmd->pdu_flags & NX_ISCSI_CMD_W) != 0;
	uint32_t edtl_w = w ? cmd->edtl : 0;

	if (!cmd->setup_failed && t->dir == NX_DIR_WRITE && !cmd->overflow_fail) {
		nx_assert(t->data_len <= edtl_w); /* cmd_fit_edtl */
		cmd->want = t->data_len;
	}
	cmd->unsol_next = pdu->data_len;
	cmd->unsol_limit = w ? NX_MIN(cmd->edtl, p->first_burst_length) : 0;
	cmd->unsol_open = !(cmd->pdu_flags & NX_ISCSI_F) &&
			  cmd->unsol_next < cmd->unsol_limit;
	cmd->r2t_next = pdu->data_len;
}

bool nx_iscsi_scsi_cmd_rx(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu)
{
	struct nx_iscsi_session *s = c->sess;
	bool immediate = nx_pdu_immediate(pdu);
	uint32_t itt = nx_pdu_itt(pdu);
	struct nx_iscsi_ahs_info ahs;
	struct nx_iscsi_cmd *cmd;
	int err;

	if (s->nexus == NULL) {
		/* RFC 7143 4.3: a discovery session carries Text and
		 * Logout only. */
		nx_iscsi_reject(c, pdu->bhs, NX_ISCSI_REJECT_PROTOCOL);
		return false;
	}
	err = cmd_check(c, pdu, &ahs);
	if (err == 0 && nx_iscsi_cmd_find_itt(s, itt) != NULL)
		err = NX_ISCSI_REJECT_TASK_IN_PROGRESS; /* ITT in use */
	if (err != 0) {
		nx_iscsi_reject(c, pdu->bhs, (enum nx_iscsi_reject_reason)err);
		return false;
	}
	cmd = nx_iscsi_cmd_alloc(s, immediate);
	if (cmd == NULL) {
		/* Only immediate commands can exhaust the pool (the window
		 * bounds the others): SAM-5 5.3.1 TASK SET FULL. */
		nx_iscsi_send_status(c, itt, NX_STATUS_TASK_SET_FULL);
		return false;
	}
	cmd->conn = c;
	nx_iscsi_cmd_set_itt(cmd, itt);
	cmd->edtl = nx_get_be32(pdu->bhs + 20);
	cmd->pdu_flags = pdu->bhs[1];
	cmd->dm_tags = c->rx_tags;
	cmd_task_init(cmd, pdu, &ahs);
	cmd->setup_failed = !nx_task_setup(&cmd->task);
	cmd_fit_edtl(cmd, pdu, &ahs);
	cmd_plan_data(cmd, pdu);
	cmd_store(cmd, 0, pdu->data, pdu->data_len);
	/* From here cmd may complete (and be freed) at any call. */
	cmd_data_progress(cmd);
	return !immediate;
}

/* ---- datamover completions ------------------------------------------------- */

/* Data_Completion_Notify (RFC 5047 7.x): a get_data brought all of its
 * R2T's bytes into place, as the last Data-Out of the sequence would. */
static void dm_get_done(struct nx_iscsi_cmd *cmd, uint32_t ttt)
{
	struct nx_iscsi_r2t *r = NULL;
	unsigned i;

	for (i = 0; i < NX_ISCSI_R2T_MAX && r == NULL; i++) {
		if (cmd->r2t[i].used && cmd->r2t[i].ttt == ttt)
			r = &cmd->r2t[i];
	}
	nx_assert(r != NULL);
	r->got = r->len;
	r->used = false;
	cmd->r2t_count--;
	cmd_data_progress(cmd);
}

void nx_iscsi_dm_done(struct nx_iscsi_cmd *cmd, uint32_t ttt, bool ok)
{
	nx_assert(cmd != NULL && cmd->dm_busy > 0);
	cmd->dm_busy--;
	if (cmd->state == NX_CMD_DONE) {
		if (cmd->dm_busy == 0) {
			nx_task_release(&cmd->task);
			nx_iscsi_cmd_free(cmd);
		}
		return;
	}
	/* A put_data is only issued from cmd_finish, which holds the
	 * command in NX_CMD_DONE while it runs. */
	nx_assert(ttt != NX_ISCSI_DM_PUT && cmd->state == NX_CMD_DATA);
	/* Not ok: the connection is failing; losing it aborts the data
	 * phase (nx_iscsi_session_conn_gone). */
	if (ok && cmd->conn != NULL)
		dm_get_done(cmd, ttt);
}
