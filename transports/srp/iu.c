/*
 * iu.c - SRP information units (SRP r16a clause 6), encoded and decoded
 * field by field with the big-endian helpers; no structure is ever laid
 * over a buffer.
 *
 * Tags are opaque 8-byte values the responder copies back; we carry them
 * as big-endian integers, which round-trips any byte pattern.
 *
 * The login request exists twice: the 64-byte SRP_LOGIN_REQ of SRP 6.2
 * and the 56-byte layout the Linux SRP initiator and target put in an
 * RDMA/CM REQ (include/scsi/srp.h srp_login_req_rdma: the same fields
 * reordered without the reserved bytes, because an IP-based CM REQ
 * leaves 56 bytes of private data).  The channel uses the second.
 */
#include "nx_srp.h"
#include "../../core/nx_wire.h"

/* ---- memory descriptors (SRP 6.8) ------------------------------------------ */

void nx_srp_desc_get(const uint8_t *list, unsigned i, struct nx_srp_desc *d)
{
	const uint8_t *p = list + (size_t)i * NX_SRP_DESC_LEN;

	d->va = nx_get_be64(p);
	d->key = nx_get_be32(p + 8);
	d->len = nx_get_be32(p + 12);
}

void nx_srp_desc_put(uint8_t *list, unsigned i, const struct nx_srp_desc *d)
{
	uint8_t *p = list + (size_t)i * NX_SRP_DESC_LEN;

	nx_put_be64(p, d->va);
	nx_put_be32(p + 8, d->key);
	nx_put_be32(p + 12, d->len);
}

/* ---- login (SRP 6.2 - 6.4) --------------------------------------------------- */

size_t nx_srp_login_req_encode(const struct nx_srp_login_req *r, uint8_t *out)
{
	memset(out, 0, NX_SRP_LOGIN_REQ_LEN);
	out[0] = NX_SRP_LOGIN_REQ;
	nx_put_be64(out + 8, r->tag);
	nx_put_be32(out + 16, r->req_it_iu_len);
	nx_put_be16(out + 24, r->req_buf_fmt);
	out[26] = r->mca & 0x03;
	memcpy(out + 32, r->iport, NX_SRP_PORT_ID_LEN);
	memcpy(out + 48, r->tport, NX_SRP_PORT_ID_LEN);
	return NX_SRP_LOGIN_REQ_LEN;
}

int nx_srp_login_req_decode(const uint8_t *buf, size_t len,
			    struct nx_srp_login_req *r)
{
	if (len < NX_SRP_LOGIN_REQ_LEN || buf[0] != NX_SRP_LOGIN_REQ)
		return NX_EINVAL;
	r->tag = nx_get_be64(buf + 8);
	r->req_it_iu_len = nx_get_be32(buf + 16);
	r->req_buf_fmt = nx_get_be16(buf + 24);
	r->mca = buf[26] & 0x03;
	memcpy(r->iport, buf + 32, NX_SRP_PORT_ID_LEN);
	memcpy(r->tport, buf + 48, NX_SRP_PORT_ID_LEN);
	return NX_OK;
}

/* tag 0-7, REQUIRED BUFFER FORMATS 8-9, flags 10, IU type 11, REQUESTED
 * MAX IT IU LENGTH 12-15, initiator port 16-31, target port 32-47,
 * 48-55 reserved here (SRP-2's immediate data offset, unused). */
size_t nx_srp_login_req_cm_encode(const struct nx_srp_login_req *r,
				  uint8_t *out)
{
	memset(out, 0, NX_SRP_LOGIN_REQ_CM_LEN);
	nx_put_be64(out, r->tag);
	nx_put_be16(out + 8, r->req_buf_fmt);
	out[10] = r->mca & 0x03;
	out[11] = NX_SRP_LOGIN_REQ;
	nx_put_be32(out + 12, r->req_it_iu_len);
	memcpy(out + 16, r->iport, NX_SRP_PORT_ID_LEN);
	memcpy(out + 32, r->tport, NX_SRP_PORT_ID_LEN);
	return NX_SRP_LOGIN_REQ_CM_LEN;
}

int nx_srp_login_req_cm_decode(const uint8_t *buf, size_t len,
			       struct nx_srp_login_req *r)
{
	if (len < NX_SRP_LOGIN_REQ_CM_LEN || buf[11] != NX_SRP_LOGIN_REQ)
		return NX_EINVAL;
	r->tag = nx_get_be64(buf);
	r->req_buf_fmt = nx_get_be16(buf + 8);
	r->mca = buf[10] & 0x03;
	r->req_it_iu_len = nx_get_be32(buf + 12);
	memcpy(r->iport, buf + 16, NX_SRP_PORT_ID_LEN);
	memcpy(r->tport, buf + 32, NX_SRP_PORT_ID_LEN);
	return NX_OK;
}

size_t nx_srp_login_rsp_encode(const struct nx_srp_login_rsp *r, uint8_t *out)
{
	memset(out, 0, NX_SRP_LOGIN_RSP_LEN);
	out[0] = NX_SRP_LOGIN_RSP;
	nx_put_be32(out + 4, r->req_lim_delta);
	nx_put_be64(out + 8, r->tag);
	nx_put_be32(out + 16, r->max_it_iu_len);
	nx_put_be32(out + 20, r->max_ti_iu_len);
	nx_put_be16(out + 24, r->buf_fmt);
	out[26] = r->mcr & 0x03;
	return NX_SRP_LOGIN_RSP_LEN;
}

int nx_srp_login_rsp_decode(const uint8_t *buf, size_t len,
			    struct nx_srp_login_rsp *r)
{
	if (len < NX_SRP_LOGIN_RSP_LEN || buf[0] != NX_SRP_LOGIN_RSP)
		return NX_EINVAL;
	r->req_lim_delta = nx_get_be32(buf + 4);
	r->tag = nx_get_be64(buf + 8);
	r->max_it_iu_len = nx_get_be32(buf + 16);
	r->max_ti_iu_len = nx_get_be32(buf + 20);
	r->buf_fmt = nx_get_be16(buf + 24);
	r->mcr = buf[26] & 0x03;
	return NX_OK;
}

size_t nx_srp_login_rej_encode(const struct nx_srp_login_rej *r, uint8_t *out)
{
	memset(out, 0, NX_SRP_LOGIN_REJ_LEN);
	out[0] = NX_SRP_LOGIN_REJ;
	nx_put_be32(out + 4, r->reason);
	nx_put_be64(out + 8, r->tag);
	nx_put_be16(out + 24, r->buf_fmt);
	return NX_SRP_LOGIN_REJ_LEN;
}

int nx_srp_login_rej_decode(const uint8_t *buf, size_t len,
			    struct nx_srp_login_rej *r)
{
	if (len < NX_SRP_LOGIN_REJ_LEN || buf[0] != NX_SRP_LOGIN_REJ)
		return NX_EINVAL;
	r->reason = nx_get_be32(buf + 4);
	r->tag = nx_get_be64(buf + 8);
	r->buf_fmt = nx_get_be16(buf + 24);
	return NX_OK;
}

/* ---- logout (SRP 6.5, 6.6) --------------------------------------------------- */

size_t nx_srp_logout_encode(const struct nx_srp_logout *r, uint8_t *out)
{
	memset(out, 0, NX_SRP_LOGOUT_LEN);
	out[0] = r->type;
	if (r->type == NX_SRP_T_LOGOUT)
		nx_put_be32(out + 4, r->reason);
	nx_put_be64(out + 8, r->tag);
	return NX_SRP_LOGOUT_LEN;
}

int nx_srp_logout_decode(const uint8_t *buf, size_t len,
			 struct nx_srp_logout *r)
{
	if (len < NX_SRP_LOGOUT_LEN ||
	    (buf[0] != NX_SRP_I_LOGOUT && buf[0] != NX_SRP_T_LOGOUT))
		return NX_EINVAL;
	r->type = buf[0];
	r->reason = buf[0] == NX_SRP_T_LOGOUT ? nx_get_be32(buf + 4) : 0;
	r->tag = nx_get_be64(buf + 8);
	return NX_OK;
}

/* ---- task management (SRP 6.7) ----------------------------------------------- */

size_t nx_srp_tsk_mgmt_encode(const struct nx_srp_tsk_mgmt *r, uint8_t *out)
{
	memset(out, 0, NX_SRP_TSK_MGMT_LEN);
	out[0] = NX_SRP_TSK_MGMT;
	nx_put_be64(out + 8, r->tag);
	nx_put_be64(out + 20, r->lun);
	out[30] = r->fn;
	nx_put_be64(out + 32, r->task_tag);
	return NX_SRP_TSK_MGMT_LEN;
}

int nx_srp_tsk_mgmt_decode(const uint8_t *buf, size_t len,
			   struct nx_srp_tsk_mgmt *r)
{
	if (len < NX_SRP_TSK_MGMT_LEN || buf[0] != NX_SRP_TSK_MGMT)
		return NX_EINVAL;
	r->tag = nx_get_be64(buf + 8);
	r->lun = nx_get_be64(buf + 20);
	r->fn = buf[30];
	r->task_tag = nx_get_be64(buf + 32);
	return NX_OK;
}

/* ---- SRP_CMD (SRP 6.8) -------------------------------------------------------- */

static size_t dbuf_len(const struct nx_srp_dbuf *b)
{
	if (b->fmt == NX_SRP_FMT_DIRECT)
		return NX_SRP_DESC_LEN;
	if (b->fmt == NX_SRP_FMT_INDIRECT)
		return NX_SRP_IDESC_LEN + (size_t)b->count * NX_SRP_DESC_LEN;
	return 0;
}

static void dbuf_put(const struct nx_srp_dbuf *b, uint8_t *p)
{
	if (b->fmt == NX_SRP_FMT_NONE)
		return;
	nx_srp_desc_put(p, 0, &b->table);
	if (b->fmt != NX_SRP_FMT_INDIRECT)
		return;
	nx_put_be32(p + NX_SRP_DESC_LEN, b->total);
	if (b->count > 0)
		memcpy(p + NX_SRP_IDESC_LEN, b->inline_desc,
		       (size_t)b->count * NX_SRP_DESC_LEN);
}

size_t nx_srp_cmd_encode(const struct nx_srp_cmd *c, uint8_t *out, size_t cap)
{
	size_t add = c->cdb_len > 16 ? (size_t)c->cdb_len - 16 : 0;
	size_t off = NX_SRP_CMD_LEN + add;
	size_t total = off + dbuf_len(&c->out) + dbuf_len(&c->in);

	if (total > cap || add > NX_SRP_ADD_CDB_MAX || (add & 3) != 0)
		return 0;
	memset(out, 0, NX_SRP_CMD_LEN);
	out[0] = NX_SRP_CMD;
	out[5] = (uint8_t)(c->out.fmt << 4 | (c->in.fmt & 0x0f));
	out[6] = c->out.count;
	out[7] = c->in.count;
	nx_put_be64(out + 8, c->tag);
	nx_put_be64(out + 20, c->lun);
	out[29] = c->attr & 0x07;
	out[31] = (uint8_t)add; /* bits 7-2: 4-byte words */
	memcpy(out + 32, c->cdb, c->cdb_len < 16 ? c->cdb_len : 16);
	if (add > 0)
		memcpy(out + NX_SRP_CMD_LEN, c->cdb + 16, add);
	dbuf_put(&c->out, out + off);
	dbuf_put(&c->in, out + off + dbuf_len(&c->out));
	return total;
}

/* One direction's descriptor at buf[*off ..); advances *off. */
static enum nx_srp_cmd_err dbuf_get(const uint8_t *buf, size_t len,
				    size_t *off, struct nx_srp_dbuf *b,
				    bool out)
{
	size_t need;

	b->inline_desc = NULL;
	b->total = 0;
	memset(&b->table, 0, sizeof(b->table));
	if (b->fmt == NX_SRP_FMT_NONE)
		return NX_SRP_CMD_OK;
	if (b->fmt != NX_SRP_FMT_DIRECT && b->fmt != NX_SRP_FMT_INDIRECT)
		return out ? NX_SRP_CMD_DO_FMT : NX_SRP_CMD_DI_FMT;
	need = b->fmt == NX_SRP_FMT_DIRECT ? NX_SRP_DESC_LEN
		: NX_SRP_IDESC_LEN + (size_t)b->count * NX_SRP_DESC_LEN;
	if (*off > len || len - *off < need)
		return NX_SRP_CMD_BAD_FIELD;
	nx_srp_desc_get(buf + *off, 0, &b->table);
	if (b->fmt == NX_SRP_FMT_DIRECT) {
		/* The count is only meaningful for indirect lists. */
		b->total = b->table.len;
	} else {
		b->total = nx_get_be32(buf + *off + NX_SRP_DESC_LEN);
		b->inline_desc = buf + *off + NX_SRP_IDESC_LEN;
		/* The inline list is a prefix of the table: the table
		 * holds whole descriptors, at least the inline ones. */
		if (b->table.len == 0 || b->table.len % NX_SRP_DESC_LEN != 0 ||
		    b->table.len / NX_SRP_DESC_LEN < b->count)
			return out ? NX_SRP_CMD_DO_COUNT : NX_SRP_CMD_DI_COUNT;
	}
	*off += need;
	return NX_SRP_CMD_OK;
}

enum nx_srp_cmd_err nx_srp_cmd_decode(const uint8_t *buf, size_t len,
				      struct nx_srp_cmd *c)
{
	enum nx_srp_cmd_err err;
	size_t off, add;

	memset(c, 0, sizeof(*c));
	if (len < 16 || buf[0] != NX_SRP_CMD)
		return NX_SRP_CMD_SHORT;
	c->tag = nx_get_be64(buf + 8);
	if (len < NX_SRP_CMD_LEN)
		return NX_SRP_CMD_BAD_FIELD;
	c->out.fmt = buf[5] >> 4;
	c->in.fmt = buf[5] & 0x0f;
	c->out.count = buf[6];
	c->in.count = buf[7];
	c->lun = nx_get_be64(buf + 20);
	c->attr = buf[29] & 0x07;
	add = buf[31] & 0xfc;
	/* CDB bytes 0-15 end where the additional CDB starts (byte 48):
	 * the whole CDB is contiguous in the IU. */
	c->cdb = buf + 32;
	c->cdb_len = (uint8_t)(16 + add);
	off = NX_SRP_CMD_LEN + add;
	/* Formats first: an unsupported one is a logout whatever else is
	 * wrong (the initiator was told what we support at login). */
	if (c->out.fmt > NX_SRP_FMT_INDIRECT)
		return NX_SRP_CMD_DO_FMT;
	if (c->in.fmt > NX_SRP_FMT_INDIRECT)
		return NX_SRP_CMD_DI_FMT;
	if (off > len)
		return NX_SRP_CMD_BAD_FIELD;
	err = dbuf_get(buf, len, &off, &c->out, true);
	if (err == NX_SRP_CMD_OK)
		err = dbuf_get(buf, len, &off, &c->in, false);
	if (err == NX_SRP_CMD_OK && (c->attr == 3 || c->attr > NX_SRP_ATTR_ACA))
		err = NX_SRP_CMD_BAD_FIELD; /* reserved task attribute */
	return err;
}

/* ---- SRP_RSP (SRP 6.9) -------------------------------------------------------- */

size_t nx_srp_rsp_encode(const struct nx_srp_rsp *r, uint8_t *out, size_t cap)
{
	uint32_t rlen = (r->flags & NX_SRP_RSPVALID) ? 4 : 0;
	uint32_t slen = (r->flags & NX_SRP_SNSVALID) ? r->sense_len : 0;
	size_t total = NX_SRP_RSP_LEN + (size_t)rlen + slen;

	if (total > cap)
		return 0;
	memset(out, 0, NX_SRP_RSP_LEN + rlen);
	out[0] = NX_SRP_RSP;
	nx_put_be32(out + 4, r->req_lim_delta);
	nx_put_be64(out + 8, r->tag);
	out[18] = r->flags & 0x3f;
	out[19] = r->status;
	nx_put_be32(out + 20, r->do_resid);
	nx_put_be32(out + 24, r->di_resid);
	nx_put_be32(out + 28, slen);
	nx_put_be32(out + 32, rlen);
	if (rlen > 0)
		out[NX_SRP_RSP_LEN + 3] = r->rsp_code;
	if (slen > 0)
		memcpy(out + NX_SRP_RSP_LEN + rlen, r->sense, slen);
	return total;
}

int nx_srp_rsp_decode(const uint8_t *buf, size_t len, struct nx_srp_rsp *r)
{
	uint32_t rlen, slen;

	memset(r, 0, sizeof(*r));
	if (len < NX_SRP_RSP_LEN || buf[0] != NX_SRP_RSP)
		return NX_EINVAL;
	r->req_lim_delta = nx_get_be32(buf + 4);
	r->tag = nx_get_be64(buf + 8);
	r->flags = buf[18] & 0x3f;
	r->status = buf[19];
	r->do_resid = nx_get_be32(buf + 20);
	r->di_resid = nx_get_be32(buf + 24);
	slen = (r->flags & NX_SRP_SNSVALID) ? nx_get_be32(buf + 28) : 0;
	rlen = (r->flags & NX_SRP_RSPVALID) ? nx_get_be32(buf + 32) : 0;
	/* Lists counted in 64 bits: no 32-bit wrap hides a short IU. */
	if ((uint64_t)NX_SRP_RSP_LEN + rlen + slen > len)
		return NX_EINVAL;
	if ((r->flags & NX_SRP_RSPVALID) && rlen < 4)
		return NX_EINVAL; /* the RESPONSE CODE is byte 3 */
	if (rlen > 0)
		r->rsp_code = buf[NX_SRP_RSP_LEN + 3];
	r->sense_len = slen;
	r->sense = slen > 0 ? buf + NX_SRP_RSP_LEN + rlen : NULL;
	return NX_OK;
}

/* ---- target requests and initiator responses (SRP 6.10 - 6.13) ------------------ */

size_t nx_srp_treq_encode(const struct nx_srp_treq *r, uint8_t *out,
			  size_t cap)
{
	bool aer = r->type == NX_SRP_AER_REQ;
	size_t total = aer ? NX_SRP_AER_REQ_LEN + (size_t)r->sense_len
			   : NX_SRP_CRED_LEN;

	if (total > cap)
		return 0;
	memset(out, 0, aer ? NX_SRP_AER_REQ_LEN : NX_SRP_CRED_LEN);
	out[0] = r->type;
	nx_put_be32(out + 4, r->req_lim_delta);
	nx_put_be64(out + 8, r->tag);
	if (aer) {
		nx_put_be64(out + 20, r->lun);
		nx_put_be32(out + 28, r->sense_len);
		if (r->sense_len > 0)
			memcpy(out + NX_SRP_AER_REQ_LEN, r->sense, r->sense_len);
	}
	return total;
}

int nx_srp_treq_decode(const uint8_t *buf, size_t len, struct nx_srp_treq *r)
{
	memset(r, 0, sizeof(*r));
	if (len < NX_SRP_CRED_LEN ||
	    (buf[0] != NX_SRP_CRED_REQ && buf[0] != NX_SRP_AER_REQ))
		return NX_EINVAL;
	r->type = buf[0];
	r->req_lim_delta = nx_get_be32(buf + 4);
	r->tag = nx_get_be64(buf + 8);
	if (r->type == NX_SRP_CRED_REQ)
		return NX_OK;
	if (len < NX_SRP_AER_REQ_LEN)
		return NX_EINVAL;
	r->lun = nx_get_be64(buf + 20);
	r->sense_len = nx_get_be32(buf + 28);
	if (r->sense_len > len - NX_SRP_AER_REQ_LEN)
		return NX_EINVAL;
	r->sense = r->sense_len > 0 ? buf + NX_SRP_AER_REQ_LEN : NULL;
	return NX_OK;
}

size_t nx_srp_tresp_encode(uint8_t type, uint64_t tag, uint8_t *out)
{
	memset(out, 0, NX_SRP_CRED_LEN);
	out[0] = type;
	nx_put_be64(out + 8, tag);
	return NX_SRP_CRED_LEN;
}

int nx_srp_tresp_decode(const uint8_t *buf, size_t len, uint8_t *type,
			uint64_t *tag)
{
	if (len < NX_SRP_CRED_LEN ||
	    (buf[0] != NX_SRP_CRED_RSP && buf[0] != NX_SRP_AER_RSP))
		return NX_EINVAL;
	*type = buf[0];
	*tag = nx_get_be64(buf + 8);
	return NX_OK;
}

/* ---- port names ------------------------------------------------------------------- */

void nx_srp_port_name(const uint8_t id[NX_SRP_PORT_ID_LEN], char *out)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '0';
	out[1] = 'x';
	for (unsigned i = 0; i < NX_SRP_PORT_ID_LEN; i++) {
		out[2 + 2 * i] = hex[id[i] >> 4];
		out[3 + 2 * i] = hex[id[i] & 0x0f];
	}
	out[2 + 2 * NX_SRP_PORT_ID_LEN] = '\0';
}
