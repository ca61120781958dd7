/*
 * nx_srp.h - SRP, the SCSI RDMA Protocol (T10 SRP, INCITS 365, draft
 * revision 16a): the information units both ends use, and the SRP
 * target port as an embedder sees it.
 *
 * An SRP RDMA channel is an RC queue pair made by the RDMA CM.  The
 * login travels in the CM exchange, as the Linux SRP initiator and
 * target do over RDMA/CM: the REQ's private data holds the login request
 * in the 56-byte RDMA/CM layout (the 64-byte SRP_LOGIN_REQ does not fit
 * the 56 bytes an IP-based CM REQ leaves, IBA 12.6 + the RDMA IP CM
 * service annex), the REP's private data the SRP_LOGIN_RSP and a REJ's
 * the SRP_LOGIN_REJ.  From then on every IU is one SEND; data moves by
 * the target's RDMA WRITE (data-in) and RDMA READ (data-out) against the
 * memory descriptors of the SRP_CMD (SRP 5.4, 6.8).
 *
 * Files: iu.c (the IU codec), target.c (target port, RDMA channels,
 * login, credits, logout), cmd.c (SRP_CMD -> core task with its data
 * transfers, SRP_TSK_MGMT), srp_internal.h between them.  Only
 * platform/nx_rdma.h reaches the fabric.
 */
#ifndef NX_SRP_H
#define NX_SRP_H

#include "../../platform/nx_rdma.h"

/* ---- information units (SRP 6) ------------------------------------------ */

enum nx_srp_iu_type {
	NX_SRP_LOGIN_REQ = 0x00,
	NX_SRP_TSK_MGMT = 0x01,
	NX_SRP_CMD = 0x02,
	NX_SRP_I_LOGOUT = 0x03,
	NX_SRP_LOGIN_RSP = 0xc0,
	NX_SRP_RSP = 0xc1,
	NX_SRP_LOGIN_REJ = 0xc2,
	NX_SRP_T_LOGOUT = 0x80,
	NX_SRP_CRED_REQ = 0x81,
	NX_SRP_AER_REQ = 0x82,
	NX_SRP_CRED_RSP = 0x41,
	NX_SRP_AER_RSP = 0x42,
};

/* Fixed lengths (SRP 6.2-6.12); SRP_CMD, SRP_RSP and SRP_AER_REQ have
 * variable parts after theirs. */
#define NX_SRP_LOGIN_REQ_LEN 64
#define NX_SRP_LOGIN_REQ_CM_LEN 56   /* the RDMA/CM private data layout */
#define NX_SRP_LOGIN_RSP_LEN 52
#define NX_SRP_LOGIN_REJ_LEN 32
#define NX_SRP_LOGOUT_LEN 16         /* SRP_I_LOGOUT and SRP_T_LOGOUT */
#define NX_SRP_TSK_MGMT_LEN 48
#define NX_SRP_CMD_LEN 48
#define NX_SRP_RSP_LEN 36
#define NX_SRP_CRED_LEN 16           /* SRP_CRED_REQ, CRED_RSP, AER_RSP */
#define NX_SRP_AER_REQ_LEN 36
#define NX_SRP_DESC_LEN 16           /* memory descriptor: va, key, len */
#define NX_SRP_IDESC_LEN 20          /* indirect header: table + total */
#define NX_SRP_PORT_ID_LEN 16
#define NX_SRP_ADD_CDB_MAX 252       /* ADDITIONAL CDB LENGTH: 6 bits x 4 */

/* REQUIRED / SUPPORTED BUFFER FORMATS (SRP 6.2, 6.3) */
#define NX_SRP_BUF_DDBD 0x0002       /* direct data buffer descriptor */
#define NX_SRP_BUF_IDBD 0x0004       /* indirect data buffer descriptor */

/* Data buffer descriptor formats of SRP_CMD byte 5 (SRP 6.8). */
enum nx_srp_fmt {
	NX_SRP_FMT_NONE = 0,
	NX_SRP_FMT_DIRECT = 1,
	NX_SRP_FMT_INDIRECT = 2,
};

/* SRP_LOGIN_REQ MULTI-CHANNEL ACTION and SRP_LOGIN_RSP MULTI-CHANNEL
 * RESULT (SRP 6.2, 6.3). */
#define NX_SRP_MCA_SINGLE 0x0        /* terminate the nexus's channels */
#define NX_SRP_MCA_MULTI 0x1         /* keep them */
#define NX_SRP_MCR_NONE 0x0          /* there were none */
#define NX_SRP_MCR_TERMINATED 0x1
#define NX_SRP_MCR_MAINTAINED 0x2

/* SRP_LOGIN_REJ REASON (SRP 6.4) */
enum nx_srp_rej_reason {
	NX_SRP_REJ_UNABLE = 0x00010000,         /* no reason specified */
	NX_SRP_REJ_RESOURCES = 0x00010001,      /* insufficient resources */
	NX_SRP_REJ_IU_TOO_LARGE = 0x00010002,   /* req. max IT IU length */
	NX_SRP_REJ_ASSOCIATE = 0x00010003,      /* cannot associate I_T nexus */
	NX_SRP_REJ_BUF_FMT = 0x00010004,        /* buffer format unsupported */
	NX_SRP_REJ_NO_MULTI = 0x00010005,       /* no multi-channel support */
	NX_SRP_REJ_CHANNEL_LIMIT = 0x00010006,  /* channel limit reached */
};

/* SRP_T_LOGOUT REASON (SRP 6.6) */
enum nx_srp_logout_reason {
	NX_SRP_LO_NONE = 0,                /* no reason specified */
	NX_SRP_LO_INACTIVE = 1,            /* inactive RDMA channel */
	NX_SRP_LO_BAD_IU_TYPE = 2,         /* invalid IU type received */
	NX_SRP_LO_UNSOLICITED_RSP = 3,     /* response without a request */
	NX_SRP_LO_MULTI_CHANNEL = 4,       /* a new login's single-channel action */
	NX_SRP_LO_DO_FMT = 6,              /* DATA-OUT format unsupported */
	NX_SRP_LO_DI_FMT = 7,              /* DATA-IN format unsupported */
	NX_SRP_LO_DO_COUNT = 8,            /* DATA-OUT BUFFER DESCRIPTOR COUNT */
	NX_SRP_LO_DI_COUNT = 9,            /* DATA-IN BUFFER DESCRIPTOR COUNT */
};

/* SRP_CMD TASK ATTRIBUTE (SRP 6.8) */
enum nx_srp_attr {
	NX_SRP_ATTR_SIMPLE = 0,
	NX_SRP_ATTR_HEAD_OF_QUEUE = 1,
	NX_SRP_ATTR_ORDERED = 2,
	NX_SRP_ATTR_ACA = 4,
};

/* SRP_TSK_MGMT TASK MANAGEMENT FUNCTION (SRP 6.7): SRP codes
 * five functions; every other value is reserved and answered with
 * TASK MANAGEMENT FUNCTION NOT SUPPORTED. */
enum nx_srp_tmf {
	NX_SRP_TMF_ABORT_TASK = 0x01,
	NX_SRP_TMF_ABORT_TASK_SET = 0x02,
	NX_SRP_TMF_CLEAR_TASK_SET = 0x04,
	NX_SRP_TMF_LUN_RESET = 0x08,
	NX_SRP_TMF_CLEAR_ACA = 0x40,
};

/* SRP_RSP RESPONSE CODE, byte 3 of the response data (SRP 6.9) */
enum nx_srp_rsp_code {
	NX_SRP_RSP_COMPLETE = 0x00,        /* no failure / TMF complete */
	NX_SRP_RSP_FIELDS_INVALID = 0x02,  /* request fields invalid */
	NX_SRP_RSP_TMF_NOT_SUPPORTED = 0x04,
	NX_SRP_RSP_TMF_FAILED = 0x05,
};

/* SRP_RSP flags (byte 18) */
#define NX_SRP_RSPVALID 0x01
#define NX_SRP_SNSVALID 0x02
#define NX_SRP_DOOVER 0x04
#define NX_SRP_DOUNDER 0x08
#define NX_SRP_DIOVER 0x10
#define NX_SRP_DIUNDER 0x20

/* A memory descriptor (SRP 5.4 / 6.8 figure): where a buffer is. */
struct nx_srp_desc {
	uint64_t va;
	uint32_t key;
	uint32_t len;
};

struct nx_srp_login_req {
	uint64_t tag;
	uint32_t req_it_iu_len;    /* REQUESTED MAX INITIATOR TO TARGET IU */
	uint16_t req_buf_fmt;      /* NX_SRP_BUF_* */
	uint8_t mca;               /* MULTI-CHANNEL ACTION */
	uint8_t iport[NX_SRP_PORT_ID_LEN];
	uint8_t tport[NX_SRP_PORT_ID_LEN];
};

struct nx_srp_login_rsp {
	uint32_t req_lim_delta;
	uint64_t tag;
	uint32_t max_it_iu_len;
	uint32_t max_ti_iu_len;
	uint16_t buf_fmt;          /* SUPPORTED BUFFER FORMATS */
	uint8_t mcr;               /* MULTI-CHANNEL RESULT */
};

struct nx_srp_login_rej {
	uint32_t reason;           /* enum nx_srp_rej_reason */
	uint64_t tag;
	uint16_t buf_fmt;
};

/* SRP_I_LOGOUT (reason unused), SRP_T_LOGOUT. */
struct nx_srp_logout {
	uint8_t type;              /* NX_SRP_I_LOGOUT or NX_SRP_T_LOGOUT */
	uint32_t reason;           /* enum nx_srp_logout_reason */
	uint64_t tag;
};

struct nx_srp_tsk_mgmt {
	uint64_t tag;
	uint64_t lun;              /* 8-byte SAM LUN field */
	uint8_t fn;                /* enum nx_srp_tmf */
	uint64_t task_tag;         /* TAG OF TASK TO BE MANAGED */
};

/* One direction's data buffer descriptor of an SRP_CMD. */
struct nx_srp_dbuf {
	uint8_t fmt;               /* enum nx_srp_fmt */
	uint8_t count;             /* DESCRIPTOR COUNT (indirect: inline ones) */
	uint32_t total;            /* direct: len; indirect: TOTAL LENGTH */
	struct nx_srp_desc table;  /* direct: the buffer; indirect: the table */
	const uint8_t *inline_desc;/* indirect: count descriptors in the IU */
};

struct nx_srp_cmd {
	uint64_t tag;
	uint64_t lun;
	uint8_t attr;              /* enum nx_srp_attr */
	uint8_t cdb_len;           /* 16 + ADDITIONAL CDB LENGTH */
	const uint8_t *cdb;        /* in the IU */
	struct nx_srp_dbuf out, in;
};

struct nx_srp_rsp {
	uint32_t req_lim_delta;
	uint64_t tag;
	uint8_t flags;             /* NX_SRP_RSPVALID ... DIUNDER */
	uint8_t status;
	uint32_t do_resid;
	uint32_t di_resid;
	uint8_t rsp_code;          /* with RSPVALID: 4 bytes of response data */
	uint32_t sense_len;        /* with SNSVALID */
	const uint8_t *sense;
};

/* SRP_CRED_REQ (delta), SRP_AER_REQ (delta, lun, sense). */
struct nx_srp_treq {
	uint8_t type;              /* NX_SRP_CRED_REQ or NX_SRP_AER_REQ */
	uint32_t req_lim_delta;
	uint64_t tag;
	uint64_t lun;              /* AER */
	uint32_t sense_len;        /* AER */
	const uint8_t *sense;
};

/* Result of decoding an SRP_CMD; every error has the answer SRP gives
 * it (SRP 5.6, 6.8): an unsupported format or an impossible count ends
 * the channel with SRP_T_LOGOUT and that reason, a malformed IU with a
 * tag gets CHECK CONDITION, ILLEGAL REQUEST, INVALID FIELD IN COMMAND
 * INFORMATION UNIT (SPC-4 table 28, 0E/03). */
enum nx_srp_cmd_err {
	NX_SRP_CMD_OK = 0,
	NX_SRP_CMD_SHORT,          /* no tag: logout, reason none */
	NX_SRP_CMD_BAD_FIELD,      /* CHECK CONDITION 05/0E/03 */
	NX_SRP_CMD_DO_FMT,         /* NX_SRP_LO_DO_FMT */
	NX_SRP_CMD_DI_FMT,
	NX_SRP_CMD_DO_COUNT,
	NX_SRP_CMD_DI_COUNT,
};

/* Encoders write the IU's fixed length (returned), reserved fields zero. */
size_t nx_srp_login_req_encode(const struct nx_srp_login_req *r, uint8_t *out);
size_t nx_srp_login_req_cm_encode(const struct nx_srp_login_req *r,
				  uint8_t *out);
size_t nx_srp_login_rsp_encode(const struct nx_srp_login_rsp *r, uint8_t *out);
size_t nx_srp_login_rej_encode(const struct nx_srp_login_rej *r, uint8_t *out);
size_t nx_srp_logout_encode(const struct nx_srp_logout *r, uint8_t *out);
size_t nx_srp_tsk_mgmt_encode(const struct nx_srp_tsk_mgmt *r, uint8_t *out);
/* SRP_CRED_RSP / SRP_AER_RSP: the IU type and the request's tag. */
size_t nx_srp_tresp_encode(uint8_t type, uint64_t tag, uint8_t *out);
/* Writes 36 + (RSPVALID ? 4 : 0) + sense_len bytes into out[cap];
 * 0 if they do not fit. */
size_t nx_srp_rsp_encode(const struct nx_srp_rsp *r, uint8_t *out, size_t cap);
size_t nx_srp_treq_encode(const struct nx_srp_treq *r, uint8_t *out,
			  size_t cap);
/* The SRP_CMD's fixed part, additional CDB (cdb_len - 16 bytes, a
 * multiple of 4) and both descriptors with their inline lists; 0 if it
 * does not fit in cap. */
size_t nx_srp_cmd_encode(const struct nx_srp_cmd *c, uint8_t *out, size_t cap);

/* Decoders: NX_EINVAL for a wrong IU type or a length shorter than the
 * IU's fixed part (or, for variable IUs, than its announced parts).
 * Reserved fields are ignored. */
int nx_srp_login_req_decode(const uint8_t *buf, size_t len,
			    struct nx_srp_login_req *r);
int nx_srp_login_req_cm_decode(const uint8_t *buf, size_t len,
			       struct nx_srp_login_req *r);
int nx_srp_login_rsp_decode(const uint8_t *buf, size_t len,
			    struct nx_srp_login_rsp *r);
int nx_srp_login_rej_decode(const uint8_t *buf, size_t len,
			    struct nx_srp_login_rej *r);
int nx_srp_logout_decode(const uint8_t *buf, size_t len,
			 struct nx_srp_logout *r);
int nx_srp_tsk_mgmt_decode(const uint8_t *buf, size_t len,
			   struct nx_srp_tsk_mgmt *r);
int nx_srp_tresp_decode(const uint8_t *buf, size_t len, uint8_t *type,
			uint64_t *tag);
int nx_srp_rsp_decode(const uint8_t *buf, size_t len, struct nx_srp_rsp *r);
int nx_srp_treq_decode(const uint8_t *buf, size_t len, struct nx_srp_treq *r);
/* c->tag is valid from NX_SRP_CMD_BAD_FIELD on (len >= 16). */
enum nx_srp_cmd_err nx_srp_cmd_decode(const uint8_t *buf, size_t len,
				      struct nx_srp_cmd *c);
/* The i-th memory descriptor of an inline list. */
void nx_srp_desc_get(const uint8_t *list, unsigned i, struct nx_srp_desc *d);
void nx_srp_desc_put(uint8_t *list, unsigned i, const struct nx_srp_desc *d);

/* ---- target port ------------------------------------------------------------ */

struct nx_target;
struct nx_srp_target;
struct nx_srp_chan;

/* Limits of one RDMA channel (SRP 5.5: credits are the requests the
 * target can take at once). */
#define NX_SRP_MAX_IT_IU 4096u       /* largest IU we receive */
#define NX_SRP_MAX_TI_IU 256u        /* largest IU we send (SRP_RSP) */
#define NX_SRP_CREDITS 128u          /* REQUEST LIMIT per channel */
#define NX_SRP_TREQ_MAX 8u           /* our CRED/AER requests in flight */
#define NX_SRP_TABLE_MAX 256u        /* descriptors of an indirect table */
#define NX_SRP_CHANNELS_MAX 64u      /* channels per target port */

struct nx_srp_target_config {
	struct nx_target *target;    /* the SCSI target this port reaches */
	/* SRP TARGET PORT IDENTIFIER: identifier extension (8 bytes) +
	 * I/O controller GUID (8 bytes); a login naming another port is
	 * rejected (NX_SRP_REJ_ASSOCIATE). */
	uint8_t port_id[NX_SRP_PORT_ID_LEN];
	uint16_t rtpi;               /* relative target port identifier */
};

struct nx_srp_target *nx_srp_target_new(const struct nx_srp_target_config *cfg);
/* Every channel must have been released (nx_srp_target_busy false). */
void nx_srp_target_free(struct nx_srp_target *t);
/* True while a channel or its I_T nexus still exists. */
bool nx_srp_target_busy(const struct nx_srp_target *t);

/* A CONNECT_REQUEST arrived on the embedder's listener with the login
 * request as private data: the port takes id, checks the login and
 * accepts with the SRP_LOGIN_RSP (or rejects with the SRP_LOGIN_REJ,
 * id freed, NULL returned).  release(ctx) runs once everything of the
 * channel is gone (its tasks drained too). */
struct nx_srp_chan *nx_srp_accept(struct nx_srp_target *t,
				  struct nx_rdma_cm_id *id, const void *priv,
				  uint8_t priv_len, void (*release)(void *ctx),
				  void *ctx);
/* Target-initiated logout (SRP 6.6): SRP_T_LOGOUT with reason, then the
 * channel ends; release follows. */
void nx_srp_chan_logout(struct nx_srp_chan *ch, uint32_t reason);
/* Ends the channel without an IU (DREQ); release follows. */
void nx_srp_chan_disconnect(struct nx_srp_chan *ch);

/* The SCSI port name of an SRP port identifier: "0x" + 32 hex digits
 * (the form LIO's ib_srpt uses); out needs 35 bytes. */
void nx_srp_port_name(const uint8_t id[NX_SRP_PORT_ID_LEN], char *out);

#endif /* NX_SRP_H */
