/*
 * nx_initiator.h - a small iSCSI initiator (RFC 7143) for the conformance
 * suites, the simulator scenarios and the tools.
 *
 * Like the target transport it is a pure state machine over a byte
 * stream: the embedder feeds received bytes with nx_ini_conn_input() and
 * gets bytes to send through ops->send(), so the same code runs over
 * simulated TCP and real sockets.  It never blocks and never allocates on
 * the I/O path (everything is sized when a session/connection is made).
 *
 * Requests are caller-owned structures (like struct nx_tmf in the core):
 * fill the "in" fields, submit, and done(req) runs once with the "out"
 * fields set.  done() never runs inside submit, and a submit that returns
 * an error never calls it.  done() may submit new requests; it must not
 * free the connection or the session.
 *
 * Errors are reported, never asserted: a malformed target PDU completes
 * the affected requests with an error code (NX_INI_EPROTO ...) and drops
 * the connection through ops->close().
 *
 * Files: session.c (sessions, connections, ITT slots, CmdSN window),
 * pdu.c (receive state machine, send path, digests, dispatch), login.c
 * and keys.c (login phase, RFC 7143 §13 keys), chap.c (CHAP, RFC 1994 and
 * RFC 7143 §12.1.3), scsi.c (commands, R2T, Data-In/Out), tmf.c, nop.c,
 * text.c (Text / SendTargets), logout.c; sync.c is the blocking layer in
 * nx_ini_sync.h.
 */
#ifndef NX_INITIATOR_H
#define NX_INITIATOR_H

#include "../platform/nx_platform.h"

#define NX_INI_NAME_MAX 224      /* RFC 7143 4.2.7.1: names <= 223 bytes */
#define NX_INI_SECRET_MAX 256
#define NX_INI_CDB_MAX 260       /* SPC-4 4.2.3: variable length CDBs */
#define NX_INI_SENSE_MAX 252
#define NX_INI_MAX_CMDS 128      /* outstanding SCSI commands per session */
#define NX_INI_MAX_MGMT 8        /* outstanding TMF/NOP/Text/Logout/Login */
#define NX_INI_MAX_CONNS 8       /* connections per session */
#define NX_INI_TARGET_ADDRS 8    /* TargetAddress values kept per target */
#define NX_INI_ADDR_MAX 128
#define NX_INI_EXTRA_KEYS_MAX 512
#define NX_INI_CHALLENGE_MAX 1024 /* CHAP_C bytes (RFC 7143 12.1.3) */

/* ---- errors (negative, beside the platform's NX_E*) -------------------- */
#define NX_INI_EPROTO (-71)       /* the target violated RFC 7143 */
#define NX_INI_EDIGEST (-74)      /* header or data digest mismatch */
#define NX_INI_ECONNRESET (-104)  /* the connection was closed / dropped */
#define NX_INI_ETIMEDOUT (-110)   /* sync layer: step limit reached */
#define NX_INI_ECANCELED (-125)   /* nx_ini_cancel() */
#define NX_INI_EAUTH (-13)        /* mutual CHAP failed / auth mismatch */
#define NX_INI_ELOGIN (-1001)     /* Login Response with a non-zero status */
#define NX_INI_EREJECTED (-1002)  /* the target answered with a Reject PDU */
#define NX_INI_EABORTED (-1003)   /* aborted by a successful TMF */

/* ---- configuration ------------------------------------------------------ */

/*
 * Everything the initiator offers is here so conformance tests can provoke
 * edge cases.  nx_ini_config_init() fills RFC 7143 §13 defaults except
 * where noted.  Strings are copied into the session.
 */
struct nx_ini_config {
	char initiator_name[NX_INI_NAME_MAX];
	char initiator_alias[NX_INI_NAME_MAX];   /* "" = not sent */
	uint8_t isid[6];                         /* caller-chosen: deterministic */
	char target_name[NX_INI_NAME_MAX];       /* ignored for discovery */
	bool discovery;                          /* SessionType=Discovery */

	/* CHAP (RFC 7143 12.1.3): chap_user "" = no authentication. */
	char chap_user[NX_INI_NAME_MAX];
	char chap_secret[NX_INI_SECRET_MAX];
	/* Mutual CHAP: mutual_secret "" = none; mutual_user "" = accept any
	 * CHAP_N from the target. */
	char mutual_user[NX_INI_NAME_MAX];
	char mutual_secret[NX_INI_SECRET_MAX];
	char auth_method[64];        /* "" = "CHAP,None" with CHAP, else "None" */
	uint16_t mutual_challenge_len; /* bytes of our CHAP_C (default 16) */
	bool skip_security;          /* first PDU in the operational stage */

	/* Operational keys offered (RFC 7143 §13). */
	char header_digest[32];      /* "None", "CRC32C", "CRC32C,None", ... */
	char data_digest[32];
	bool immediate_data;
	bool initial_r2t;
	uint32_t max_recv_dsl;       /* MaxRecvDataSegmentLength we declare */
	/* 0, or the most data bytes we put in one PDU even when the target's
	 * MaxRecvDataSegmentLength allows more (RFC 7143 13.12 is only an
	 * upper bound): it also bounds immediate data (13.11).  nexus-replay
	 * sends a captured initiator's PDU sizes this way. */
	uint32_t send_dsl_max;
	uint32_t max_burst_length;
	uint32_t first_burst_length;
	uint16_t max_connections;
	uint16_t max_outstanding_r2t;
	uint16_t default_time2wait;
	uint16_t default_time2retain;
	bool data_pdu_in_order;
	bool data_sequence_in_order;
	uint8_t error_recovery_level; /* only 0 is implemented */
	/* Appended verbatim to the first operational-stage Login Request;
	 * '\n' separates "key=value" entries. */
	char extra_keys[NX_INI_EXTRA_KEYS_MAX];

	uint32_t initial_cmdsn;      /* CmdSN of the leading login (default 1) */
	uint16_t max_cmds;           /* <= NX_INI_MAX_CMDS (default 128) */
};

/* RFC 7143 §13 defaults, except MaxRecvDataSegmentLength 262144 and
 * MaxBurstLength 262144 offered; target_name NULL = discovery session. */
void nx_ini_config_init(struct nx_ini_config *cfg, const char *initiator_name,
			const char *target_name);

/* What the login phase settled (RFC 7143 §13). */
struct nx_ini_params {
	bool header_digest;
	bool data_digest;
	bool immediate_data;
	bool initial_r2t;
	bool data_pdu_in_order;
	bool data_sequence_in_order;
	uint32_t max_xmit_dsl;        /* target's MaxRecvDataSegmentLength
				       * (at most cfg.send_dsl_max if set) */
	uint32_t max_recv_dsl;        /* ours */
	uint32_t max_burst_length;
	uint32_t first_burst_length;
	uint16_t max_connections;
	uint16_t max_outstanding_r2t;
	uint16_t default_time2wait;
	uint16_t default_time2retain;
	uint8_t error_recovery_level;
	uint16_t tpgt;                /* TargetPortalGroupTag, if sent */
	bool tpgt_set;
};

/* Counters of oddities the initiator tolerated (conformance tests check
 * them against zero). */
struct nx_ini_stats {
	uint32_t unknown_itt;      /* responses for no outstanding request */
	uint32_t statsn_mismatch;  /* StatSN != ExpStatSN */
	uint32_t nop_in_answered;  /* target pings we answered */
	uint32_t async_events;
	uint32_t rejects;
};

struct nx_ini_session;
struct nx_ini_conn;

struct nx_ini_conn_ops {
	/* Queue bytes for sending, in order; must take everything and must
	 * not call back into the initiator (queue, then deliver later).
	 * The iovecs may be reused once this returns. */
	void (*send)(void *ctx, const struct nx_iovec *iov, unsigned n);
	/* The initiator wants the stream closed (logout done, protocol
	 * error).  Called at most once; do not free the connection from
	 * inside it. */
	void (*close)(void *ctx);
	/* Optional pair (both or neither), used for write data a
	 * data_out_fill hook generates: room for len bytes at the tail of
	 * the stream (NULL: send them with send() instead), which the
	 * initiator writes - one whole PDU - and then commits; the result
	 * must be what send() of those bytes would have done. */
	uint8_t *(*send_reserve)(void *ctx, uint32_t len);
	void (*send_commit)(void *ctx, uint32_t len);
};

/* Observes every received PDU before it is processed (raw BHS, AHS and
 * data segment without padding/digests).  Return true to consume it: the
 * initiator then only does sequence-number bookkeeping (StatSN, ExpCmdSN,
 * MaxCmdSN) and ignores it otherwise - for tests driving raw PDUs. */
typedef bool (*nx_ini_rx_hook)(void *arg, struct nx_ini_conn *c,
			       const uint8_t *bhs, const uint8_t *ahs,
			       uint32_t ahs_len, const uint8_t *data,
			       uint32_t data_len);

/* ---- sessions and connections ------------------------------------------ */

struct nx_ini_session *nx_ini_session_new(const struct nx_ini_config *cfg);
/* Frees the session; its connections must have been freed. */
void nx_ini_session_free(struct nx_ini_session *s);

/* A new connection (TCP already connected by the embedder).  The first
 * connection that logs in is the leading one; further ones join the
 * session (same ISID, the session's TSIH) with their own CID. */
struct nx_ini_conn *nx_ini_conn_new(struct nx_ini_session *s, uint16_t cid,
				    const struct nx_ini_conn_ops *ops,
				    void *ctx);
/* Fails what is still outstanding on it (NX_INI_ECONNRESET) and frees. */
void nx_ini_conn_free(struct nx_ini_conn *c);
/* Received bytes, any chunking.  0, or < 0 when the connection was
 * dropped (ops->close() has been called, requests failed). */
int nx_ini_conn_input(struct nx_ini_conn *c, const uint8_t *buf, size_t len);
/* The stream ended (EOF/reset): fails what is outstanding on it. */
void nx_ini_conn_closed(struct nx_ini_conn *c);

void nx_ini_conn_set_rx_hook(struct nx_ini_conn *c, nx_ini_rx_hook hook,
			     void *arg);

/* A datamover under the connection (iSER, RFC 7145; RFC 5047): the
 * stream carries one whole PDU per ops->send() call and per received
 * chunk, Data-In arrives by RDMA WRITE into cmd->data_in and the target
 * fetches write data by RDMA READ, so no R2T and no Data-In PDU may come
 * (a protocol error if one does).  cmd_start runs just before a SCSI
 * Command PDU goes to ops->send (register the buffers, put their STags
 * into that PDU's iSER header); cmd_end once the command is over, for
 * any reason (release them).  Set before the login: the login then
 * offers RDMAExtensions=Yes and the iSER data segment keys, and the
 * answers bound the PDUs both ways. */
struct nx_ini_scsi;
struct nx_ini_dm_ops {
	void (*cmd_start)(void *ctx, uint32_t itt, struct nx_ini_scsi *cmd);
	void (*cmd_end)(void *ctx, uint32_t itt, struct nx_ini_scsi *cmd);
};
void nx_ini_conn_set_dm(struct nx_ini_conn *c, const struct nx_ini_dm_ops *dm,
			void *ctx);
/* The iSER receive limit the initiator declares (its buffers hold it). */
#define NX_INI_ISER_RECV_DSL 8192u
bool nx_ini_conn_is_ffp(const struct nx_ini_conn *c);   /* full feature */
bool nx_ini_conn_is_dead(const struct nx_ini_conn *c);
struct nx_ini_session *nx_ini_conn_session(const struct nx_ini_conn *c);
const struct nx_ini_params *nx_ini_conn_params(const struct nx_ini_conn *c);
uint16_t nx_ini_session_tsih(const struct nx_ini_session *s);
const struct nx_ini_stats *nx_ini_session_stats(const struct nx_ini_session *s);
/* SCSI commands outstanding (sent or waiting for the CmdSN window). */
unsigned nx_ini_session_outstanding(const struct nx_ini_session *s);

/* SAM-5 4.7: 8-byte LUN field (as a big-endian u64) for LUN n:
 * peripheral addressing below 256, flat addressing up to 16383. */
uint64_t nx_ini_lun(uint32_t lun);

/* ---- login -------------------------------------------------------------- */

struct nx_ini_login {
	/* out */
	int err;
	uint8_t status_class;       /* RFC 7143 11.13.5 */
	uint8_t status_detail;
	uint16_t tsih;
	uint32_t itt;               /* of the Login Requests (nx_ini_cancel) */
	void (*done)(struct nx_ini_login *req);
	void *priv;
};

/* Security stage (CHAP incl. mutual), operational stage, full feature
 * phase.  NX_EINVAL if the connection is not fresh. */
int nx_ini_login(struct nx_ini_conn *c, struct nx_ini_login *req);

/* ---- SCSI commands ------------------------------------------------------ */

enum nx_ini_attr { /* RFC 7143 11.3.1 ATTR field */
	NX_INI_ATTR_UNTAGGED = 0,
	NX_INI_ATTR_SIMPLE = 1,
	NX_INI_ATTR_ORDERED = 2,
	NX_INI_ATTR_HEAD_OF_QUEUE = 3,
	NX_INI_ATTR_ACA = 4,
};

/* SCSI Response flags (RFC 7143 11.4.1) as reported in .flags */
#define NX_INI_RSP_BIDI_OVERFLOW 0x10  /* o */
#define NX_INI_RSP_BIDI_UNDERFLOW 0x08 /* u */
#define NX_INI_RSP_OVERFLOW 0x04       /* O */
#define NX_INI_RSP_UNDERFLOW 0x02      /* U */

struct nx_ini_scsi {
	/* in */
	uint64_t lun;                   /* LUN field, see nx_ini_lun() */
	uint8_t cdb[NX_INI_CDB_MAX];
	uint16_t cdb_len;               /* > 16: Extended CDB AHS */
	uint8_t attr;                   /* enum nx_ini_attr */
	const uint8_t *data_out;        /* data_out_len = EDTL of a write */
	uint32_t data_out_len;
	uint8_t *data_in;               /* data_in_len = EDTL of a read */
	uint32_t data_in_len;           /* both set: bidirectional */
	/* Optional (NULL: the plain buffers above).  For the data the
	 * initiator itself moves in PDUs; a datamover (iSER) still reads
	 * data_out and places Data-In in data_in.  Neither may call into
	 * the initiator.
	 * data_in_sink gets each Data-In PDU's data segment where it lies
	 * in the receive path - offset, bytes, length; the bytes are valid
	 * during the call only - instead of a copy into data_in (data_in
	 * and data_in_len stay required: they bound the offsets), so a
	 * caller that only inspects the data reads it once.
	 * data_out_source is asked for the bytes [offset, offset + len) of
	 * the write data whenever a PDU carrying them is built (immediate
	 * data, unsolicited Data-Out, Data-Out for an R2T); the pointer it
	 * returns must stay valid until it is asked again.  data_out may
	 * then be NULL, except over a datamover.
	 * data_out_fill (with data_out_source or data_out, which remain the
	 * way when the transport has no send_reserve or refuses it) writes
	 * those bytes to dst instead: straight into the send buffer. */
	void (*data_in_sink)(const struct nx_ini_scsi *cmd, uint32_t offset,
			     const uint8_t *data, uint32_t len);
	const uint8_t *(*data_out_source)(const struct nx_ini_scsi *cmd,
					  uint32_t offset, uint32_t len);
	void (*data_out_fill)(const struct nx_ini_scsi *cmd, uint32_t offset,
			      uint32_t len, uint8_t *dst);

	/* out */
	int err;                        /* 0: a response arrived */
	uint8_t response;               /* iSCSI response code */
	uint8_t status;                 /* SCSI status */
	uint8_t flags;                  /* NX_INI_RSP_* */
	uint8_t reject_reason;          /* with NX_INI_EREJECTED */
	uint32_t residual;
	uint32_t bidi_residual;
	uint32_t data_in_got;           /* highest data-in offset + length */
	uint16_t sense_len;
	uint8_t sense[NX_INI_SENSE_MAX];
	uint32_t itt;                   /* set by submit */
	uint32_t cmdsn;                 /* set when the command is sent */
	bool sent;

	void (*done)(struct nx_ini_scsi *cmd);
	void *priv;
};

/* NX_EAGAIN at the session's command limit, NX_EINVAL on bad arguments or
 * a connection not in full feature phase.  Waits for the CmdSN window
 * (MaxCmdSN) inside the library when closed. */
int nx_ini_scsi_submit(struct nx_ini_conn *c, struct nx_ini_scsi *cmd);

/* ---- task management (RFC 7143 11.5, RFC 7144 for 9..12) ----------------- */

enum nx_ini_tmf_fn {
	NX_INI_TMF_ABORT_TASK = 1,
	NX_INI_TMF_ABORT_TASK_SET = 2,
	NX_INI_TMF_CLEAR_ACA = 3,
	NX_INI_TMF_CLEAR_TASK_SET = 4,
	NX_INI_TMF_LOGICAL_UNIT_RESET = 5,
	NX_INI_TMF_TARGET_WARM_RESET = 6,
	NX_INI_TMF_TARGET_COLD_RESET = 7,
	NX_INI_TMF_TASK_REASSIGN = 8,
	NX_INI_TMF_QUERY_TASK = 9,
	NX_INI_TMF_QUERY_TASK_SET = 10,
	NX_INI_TMF_I_T_NEXUS_RESET = 11,
	NX_INI_TMF_QUERY_ASYNC_EVENT = 12,
};

enum nx_ini_tmf_rsp { /* RFC 7143 11.6.1 (+ RFC 7144 5) */
	NX_INI_TMF_RSP_COMPLETE = 0,
	NX_INI_TMF_RSP_NO_TASK = 1,
	NX_INI_TMF_RSP_NO_LUN = 2,
	NX_INI_TMF_RSP_STILL_ALLEGIANT = 3,
	NX_INI_TMF_RSP_REASSIGN_UNSUPPORTED = 4,
	NX_INI_TMF_RSP_NOT_SUPPORTED = 5,
	NX_INI_TMF_RSP_AUTH_FAILED = 6,
	NX_INI_TMF_RSP_SUCCEEDED = 7,
	NX_INI_TMF_RSP_REJECTED = 255,
};

struct nx_ini_tmf {
	/* in */
	uint8_t function;               /* any value: tests send bad ones */
	uint64_t lun;
	uint32_t ref_itt;               /* ABORT/QUERY TASK; else 0xffffffff */
	uint32_t ref_cmdsn;
	uint32_t exp_datasn;
	/* out */
	int err;
	uint8_t response;               /* enum nx_ini_tmf_rsp */
	uint8_t reject_reason;
	uint32_t itt;
	void (*done)(struct nx_ini_tmf *tmf);
	void *priv;
};

/* Sets ref_itt/ref_cmdsn from a submitted command. */
void nx_ini_tmf_ref(struct nx_ini_tmf *tmf, const struct nx_ini_scsi *cmd);
/* Sent as an immediate command.  When the response is FUNCTION COMPLETE
 * the library completes the commands the function aborted (sent before
 * the TMF and still outstanding) with NX_INI_EABORTED: RFC 7143 4.2.3.3 -
 * no SCSI Response follows for them. */
int nx_ini_tmf_submit(struct nx_ini_conn *c, struct nx_ini_tmf *tmf);

/* ---- NOP-Out ping (RFC 7143 11.18) -------------------------------------- */

struct nx_ini_nop {
	const void *data;               /* ping data, echoed by the target */
	uint32_t len;
	uint64_t lun;
	int err;
	bool data_match;                /* NOP-In data == ping data */
	uint32_t itt;
	void (*done)(struct nx_ini_nop *nop);
	void *priv;
};

int nx_ini_nop_submit(struct nx_ini_conn *c, struct nx_ini_nop *nop);

/* ---- Text / SendTargets (RFC 7143 11.10, appendix C) -------------------- */

struct nx_ini_target {
	char name[NX_INI_NAME_MAX];
	char addr[NX_INI_TARGET_ADDRS][NX_INI_ADDR_MAX]; /* "host:port,tpgt" */
	unsigned addr_count;
};

struct nx_ini_text {
	/* in */
	const char *keys;               /* '\n'-separated, e.g. "SendTargets=All";
					 * must live until done */
	struct nx_ini_target *targets;  /* optional parsed SendTargets result */
	unsigned targets_cap;
	char *resp;                     /* optional raw response text ("k=v\0"...) */
	uint32_t resp_cap;
	/* out */
	int err;
	unsigned targets_count;
	uint32_t resp_len;              /* full length, even if > resp_cap */
	uint8_t reject_reason;
	uint32_t itt;
	void (*done)(struct nx_ini_text *t);
	void *priv;
};

/* One Text exchange per session at a time (NX_EAGAIN otherwise); the
 * continuation dance (F/C bits, Target Transfer Tag) is handled here. */
int nx_ini_text_submit(struct nx_ini_conn *c, struct nx_ini_text *t);

/* ---- logout (RFC 7143 11.14) -------------------------------------------- */

enum nx_ini_logout_reason {
	NX_INI_LOGOUT_SESSION = 0,
	NX_INI_LOGOUT_CONNECTION = 1,
	NX_INI_LOGOUT_RECOVERY = 2,
};

struct nx_ini_logout {
	uint8_t reason;
	uint16_t cid;                   /* reason 1/2; default: this CID */
	bool cid_set;
	int err;
	uint8_t response;               /* RFC 7143 11.15.1 */
	uint16_t time2wait;
	uint16_t time2retain;
	uint32_t itt;
	void (*done)(struct nx_ini_logout *l);
	void *priv;
};

/* After a successful logout of this connection (or the session) the
 * connection is closed through ops->close(). */
int nx_ini_logout_submit(struct nx_ini_conn *c, struct nx_ini_logout *l);

/* ---- cancel and raw access ---------------------------------------------- */

/* Completes the outstanding request with this ITT with NX_INI_ECANCELED
 * (no PDU is sent; a late answer is ignored as an unknown ITT).  A login
 * being cancelled drops its connection.  Returns false if none. */
bool nx_ini_cancel(struct nx_ini_session *s, uint32_t itt);

/* Sends a PDU exactly as given (conformance tests: malformed PDUs).  The
 * BHS goes out verbatim (the caller sets DataSegmentLength, CmdSN...);
 * padding and negotiated digests are added.  No AHS. */
int nx_ini_send_raw_pdu(struct nx_ini_conn *c, const uint8_t *bhs48,
			const void *data, uint32_t len);
/* Sequence numbers for raw PDUs. */
uint32_t nx_ini_session_cmdsn(const struct nx_ini_session *s);      /* next */
uint32_t nx_ini_session_take_cmdsn(struct nx_ini_session *s);       /* consume */
uint32_t nx_ini_session_max_cmdsn(const struct nx_ini_session *s);
uint32_t nx_ini_session_exp_cmdsn(const struct nx_ini_session *s);
uint32_t nx_ini_conn_exp_statsn(const struct nx_ini_conn *c);

#endif /* NX_INITIATOR_H */
