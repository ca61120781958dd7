/*
 * iscsi_internal.h - what the files of transports/iscsi share.
 *
 * Two halves meet here:
 *  - the connection machinery (pdu.c, crc32c.c, conn.c, session.c, scsi.c,
 *    tmf.c, nop.c, logout.c, reject.c, authlimit.c): receive state machine,
 *    send path, sessions, limits, the CHAP lockout and full feature phase;
 *  - the negotiation side (params.c, login.c, chap.c, md5.c, sha256.c,
 *    sha3.c, text.c): login phase stages, RFC 7143 §13 keys, CHAP,
 *    Text / SendTargets.
 * The contract between them is the declarations below.
 */
#ifndef NX_ISCSI_INTERNAL_H
#define NX_ISCSI_INTERNAL_H

#include "nx_iscsi.h"
#include "../../core/nx_wire.h"

#define NX_ISCSI_BHS_LEN 48

/* RFC 7143 11.2.1.2 opcodes */
enum nx_iscsi_opcode {
	NX_ISCSI_OP_NOP_OUT = 0x00,
	NX_ISCSI_OP_SCSI_CMD = 0x01,
	NX_ISCSI_OP_TMF_REQ = 0x02,
	NX_ISCSI_OP_LOGIN_REQ = 0x03,
	NX_ISCSI_OP_TEXT_REQ = 0x04,
	NX_ISCSI_OP_DATA_OUT = 0x05,
	NX_ISCSI_OP_LOGOUT_REQ = 0x06,
	NX_ISCSI_OP_SNACK_REQ = 0x10,
	NX_ISCSI_OP_NOP_IN = 0x20,
	NX_ISCSI_OP_SCSI_RSP = 0x21,
	NX_ISCSI_OP_TMF_RSP = 0x22,
	NX_ISCSI_OP_LOGIN_RSP = 0x23,
	NX_ISCSI_OP_TEXT_RSP = 0x24,
	NX_ISCSI_OP_DATA_IN = 0x25,
	NX_ISCSI_OP_LOGOUT_RSP = 0x26,
	NX_ISCSI_OP_R2T = 0x31,
	NX_ISCSI_OP_ASYNC_MSG = 0x32,
	NX_ISCSI_OP_REJECT = 0x3f,
};

/* A received PDU: the raw BHS plus pointers into the receive buffer, valid
 * only during the handler call.  Fields are read with nx_get_be* at the
 * RFC's offsets (explicit decode, no struct casts). */
struct nx_iscsi_pdu {
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	const uint8_t *ahs;
	uint32_t ahs_len;
	const uint8_t *data;
	uint32_t data_len;     /* DataSegmentLength, without padding */
};

static inline uint8_t nx_pdu_opcode(const struct nx_iscsi_pdu *p)
{
	return p->bhs[0] & 0x3f;
}

static inline bool nx_pdu_immediate(const struct nx_iscsi_pdu *p)
{
	return (p->bhs[0] & 0x40) != 0;
}

static inline uint32_t nx_pdu_itt(const struct nx_iscsi_pdu *p)
{
	return nx_get_be32(p->bhs + 16);
}

/* Values the login phase settled for a connection / its session.  The
 * defaults are RFC 7143's (§13); login.c fills them in. */
struct nx_iscsi_params {
	/* connection-scoped */
	bool header_digest;               /* CRC32C on the BHS+AHS */
	bool data_digest;                 /* CRC32C on data segments */
	uint32_t max_recv_dsl_initiator;  /* what we may send (theirs) */
	uint32_t max_recv_dsl_target;     /* what we declared we accept */
	/* session-scoped */
	uint16_t max_connections;
	bool initial_r2t;
	bool immediate_data;
	uint32_t max_burst_length;
	uint32_t first_burst_length;
	uint16_t default_time2wait;
	uint16_t default_time2retain;
	uint16_t max_outstanding_r2t;
	bool data_pdu_in_order;
	bool data_sequence_in_order;
	uint8_t error_recovery_level;
	bool discovery;                   /* SessionType=Discovery */
	/* RFC 7145 6.3-6.5 (iSER connections only) */
	bool rdma_extensions;
	uint32_t target_recv_dsl;         /* TargetRecvDataSegmentLength */
	uint32_t initiator_recv_dsl;      /* InitiatorRecvDataSegmentLength */
	char initiator_name[NX_NAME_MAX];
	char initiator_alias[NX_NAME_MAX];
	char target_name[NX_NAME_MAX];
};

void nx_iscsi_params_default(struct nx_iscsi_params *p);

/* ---- provided by the connection machinery ------------------------------- */

/* Log lines a peer can cause at will, each kind rate-limited on its own
 * per server (nx_platform.h nx_log_limit).  One level per kind: lines
 * the log level filters out must not use up the burst of others. */
enum nx_iscsi_log_kind {
	NX_ILOG_REFUSED,    /* WARN: a connection or login over a cap */
	NX_ILOG_DROP,       /* WARN: connection dropped (errors, timeouts) */
	NX_ILOG_LOGIN,      /* INFO: failing Login Responses */
	NX_ILOG_AUTH,       /* INFO: CHAP lockout */
	NX_ILOG_REJECT,     /* INFO: Reject PDUs */
	NX_ILOG_CMD,        /* WARN: CmdSN / Data-Out / TMF trouble */
	NX_ILOG_COUNT,
};
bool nx_iscsi_conn_log_ok(struct nx_iscsi_conn *c, enum nx_iscsi_log_kind kind,
			  enum nx_log_level level);
#define NX_ISCSI_CONN_LOG(c, kind, level, ...)                              \
	do {                                                                \
		if (nx_iscsi_conn_log_ok((c), (kind), (level)))             \
			nx_log((level), __VA_ARGS__);                       \
	} while (0)
/* At the first Login Request: 0302h when the connection's portal is at
 * its cap, else 0 (and the connection counts on the portal). */
uint16_t nx_iscsi_conn_login_refusal(struct nx_iscsi_conn *c);
/* A failing Login Response was sent (statistics). */
void nx_iscsi_conn_login_failed(struct nx_iscsi_conn *c, uint16_t status);

/* Sends one PDU: bhs (48 bytes, opcode-specific fields already filled;
 * DataSegmentLength is set here from data_len) and an optional data
 * segment, padding and digests added as negotiated. */
void nx_iscsi_conn_send_pdu(struct nx_iscsi_conn *c, uint8_t *bhs,
			    const void *data, uint32_t data_len);
/* The connection's negotiated parameters (written by login.c). */
struct nx_iscsi_params *nx_iscsi_conn_params(struct nx_iscsi_conn *c);
/* The server configuration the connection belongs to. */
const struct nx_iscsi_server_config *nx_iscsi_conn_server_config(const struct nx_iscsi_conn *c);
/* The TPGT of the portal group the connection arrived through. */
uint16_t nx_iscsi_conn_tpgt(const struct nx_iscsi_conn *c);
/* Sequence numbers for responses (StatSN/ExpCmdSN/MaxCmdSN).
 * next_statsn returns the StatSN to put at bytes 24..27 and advances it;
 * fill_sn writes ExpCmdSN (28..31) and MaxCmdSN (32..35) only.  Before the
 * session exists (login) both are the Login Request's CmdSN. */
uint32_t nx_iscsi_conn_next_statsn(struct nx_iscsi_conn *c);
void nx_iscsi_conn_fill_sn(struct nx_iscsi_conn *c, uint8_t *bhs);
/* Login succeeded with these (validated) identifiers: join or create the
 * session (RFC 7143 §6.3: ISID + TSIH rules) and enter full feature phase.
 * Returns a login status (class << 8 | detail), 0 on success; *tsih gets
 * the session's TSIH.
 * Or returns NX_ISCSI_LOGIN_PENDING: the login reinstates a session or a
 * connection whose tasks are still in the core / backstore (RFC 7143
 * 6.3.4, 6.3.5: they end before the new login proceeds).  The caller
 * then sends nothing and keeps its final Login Response; the connection
 * machinery receives no PDU meanwhile and later calls
 * nx_iscsi_login_resume() exactly once with the outcome, unless the
 * connection closes first (then nx_iscsi_login_free() only). */
#define NX_ISCSI_LOGIN_PENDING 0xffffu
uint16_t nx_iscsi_conn_login_complete(struct nx_iscsi_conn *c,
				      const uint8_t isid[6], uint16_t tsih_in,
				      uint16_t cid, uint16_t *tsih_out);
/* Called once when the login phase begins, with the first Login Request:
 * sets the StatSN start (ExpStatSN from the initiator). */
void nx_iscsi_conn_login_start(struct nx_iscsi_conn *c, uint32_t exp_statsn);
/* Asks the embedder to drop the connection. */
void nx_iscsi_conn_drop(struct nx_iscsi_conn *c, const char *why);
/* An RDMA connection (iSER datamover, RFC 7145): the login negotiates
 * RDMAExtensions and the iSER keys. */
bool nx_iscsi_conn_is_rdma(const struct nx_iscsi_conn *c);
/* CHAP brute-force lockout (authlimit.c) for this initiator name and
 * the connection's source address: true while either is locked out. */
bool nx_iscsi_conn_auth_blocked(struct nx_iscsi_conn *c, const char *initiator);
/* Records a CHAP attempt's outcome: a failure counts towards a lockout
 * of the name and the address, a success clears the name's record. */
void nx_iscsi_conn_auth_result(struct nx_iscsi_conn *c, const char *initiator,
			       bool ok);

/* ---- provided by the negotiation side ----------------------------------- */

struct nx_iscsi_login; /* per-connection login state, owned by login.c */

struct nx_iscsi_login *nx_iscsi_login_new(struct nx_iscsi_conn *c);
void nx_iscsi_login_free(struct nx_iscsi_login *l);
/* Handles one Login Request PDU during the login phase (including
 * multi-PDU key sets with the C bit).  Returns 0 to continue, 1 when the
 * login reached full feature phase (nx_iscsi_conn_login_complete was
 * called and succeeded), NX_ISCSI_LOGIN_RX_PENDING when it answered
 * NX_ISCSI_LOGIN_PENDING (no response sent yet), < 0 when the connection
 * must be dropped (a failing Login Response was already sent). */
#define NX_ISCSI_LOGIN_RX_PENDING 2
int nx_iscsi_login_rx(struct nx_iscsi_login *l, const struct nx_iscsi_pdu *pdu);
/* Ends a pending login: status as nx_iscsi_conn_login_complete's (0 or a
 * failure; tsih the session's on success), sends the held final Login
 * Response.  Returns 1 (full feature phase) or < 0 (drop), as above. */
int nx_iscsi_login_resume(struct nx_iscsi_login *l, uint16_t status,
			  uint16_t tsih);
/* ASCII case-insensitive equality (iSCSI names, RFC 3722 normalizes to
 * lower case; tolerate initiators that do not).  params.c. */
bool nx_iscsi_name_eq(const char *a, const char *b);
/* Handles a Text Request in full feature phase (SendTargets, and
 * negotiation of the keys allowed there). */
void nx_iscsi_text_rx(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu);

/* CRC32C (Castagnoli), RFC 7143 §13.1; iSCSI digest = crc32c over bytes.
 * zlib convention: pass 0 to start, the previous result to continue
 * (inversions are internal); the digest goes on the wire LSB first. */
uint32_t nx_crc32c(uint32_t crc, const void *buf, size_t len);

/* ---- PDU codec helpers (pdu.c, connection machinery) -------------------- */

#define NX_ISCSI_DIGEST_LEN 4
#define NX_ISCSI_AHS_MAX 1020          /* TotalAHSLength: one byte of words */
#define NX_ISCSI_RSVD_TAG 0xffffffffu  /* reserved ITT / TTT value */
/* The largest data segment the receive path ever buffers; login.c
 * declares MaxRecvDataSegmentLength <= this (params.max_recv_dsl_target). */
#define NX_ISCSI_MAX_RECV_DSL 262144u

/* RFC 7143 11.17.1 Reject reasons */
enum nx_iscsi_reject_reason {
	NX_ISCSI_REJECT_DATA_DIGEST = 0x02,
	NX_ISCSI_REJECT_SNACK = 0x03,
	NX_ISCSI_REJECT_PROTOCOL = 0x04,
	NX_ISCSI_REJECT_CMD_NOT_SUPPORTED = 0x05,
	NX_ISCSI_REJECT_IMMEDIATE = 0x06,
	NX_ISCSI_REJECT_TASK_IN_PROGRESS = 0x07,
	NX_ISCSI_REJECT_INVALID_DATA_ACK = 0x08,
	NX_ISCSI_REJECT_INVALID_PDU_FIELD = 0x09,
	NX_ISCSI_REJECT_LONG_OP = 0x0a,
	NX_ISCSI_REJECT_WAITING_LOGOUT = 0x0c,
};

static inline uint32_t nx_iscsi_pad4(uint32_t len)
{
	return (len + 3u) & ~3u;
}

static inline uint32_t nx_pdu_dsl(const uint8_t *bhs)
{
	return nx_get_be24(bhs + 5);
}

/* Zeroes a BHS and sets opcode and the flags byte (byte 1). */
void nx_iscsi_bhs_init(uint8_t *bhs, uint8_t opcode, uint8_t flags);
/* Digest bytes as they travel (RFC 7143 B.4: least significant first). */
void nx_iscsi_digest_put(uint8_t out[NX_ISCSI_DIGEST_LEN], uint32_t crc);
bool nx_iscsi_digest_ok(const uint8_t wire[NX_ISCSI_DIGEST_LEN], uint32_t crc);

/* AHS of a SCSI Command (RFC 7143 11.2.1.4, 11.3.4, 11.3.5). */
struct nx_iscsi_ahs_info {
	const uint8_t *ext_cdb;   /* CDB bytes beyond the 16 in the BHS */
	uint32_t ext_cdb_len;
	bool bidi;                /* a Bidirectional Read EDTL AHS is present */
	uint32_t bidi_read_len;
};
/* Parses every AHS in [ahs, ahs + len).  Returns 0 or a Reject reason. */
int nx_iscsi_ahs_parse(const uint8_t *ahs, uint32_t len,
		       struct nx_iscsi_ahs_info *out);

/* ---- CHAP failure lockout (authlimit.c) ---------------------------------- */

/*
 * Repeated CHAP failures for one key (an initiator name, a source
 * address) lock it out for a growing, bounded time: after `free_fails`
 * failures each further one locks for base << k, at most max_ns.  A key
 * whose last failure is older than forget_ns starts afresh.  Time is
 * nx_clock_ns(), so the simulator replays it exactly.  The table is
 * bounded; when full, the entry whose lockout ends first is reused
 * (ties: lowest index), never one chosen by pointer or hash order.
 */
#define NX_AUTHLIMIT_ENTRIES 256u
#define NX_AUTHLIMIT_KEY_MAX (NX_NAME_MAX + 2)

struct nx_authlimit_entry {
	char key[NX_AUTHLIMIT_KEY_MAX];
	uint32_t fails;
	uint64_t last_ns;       /* last failure */
	uint64_t until_ns;      /* locked out before this */
	bool used;
};

struct nx_authlimit {
	uint32_t free_fails;
	uint64_t base_ns, max_ns, forget_ns;
	struct nx_authlimit_entry e[NX_AUTHLIMIT_ENTRIES];
};

void nx_authlimit_init(struct nx_authlimit *al, uint32_t free_fails,
		       uint64_t base_ns, uint64_t max_ns);
/* Nanoseconds of lockout left for key (0: not locked out). */
uint64_t nx_authlimit_blocked(const struct nx_authlimit *al, const char *key,
			      uint64_t now_ns);
void nx_authlimit_fail(struct nx_authlimit *al, const char *key,
		       uint64_t now_ns);
void nx_authlimit_ok(struct nx_authlimit *al, const char *key);

/* Sends a Reject (RFC 7143 11.17) carrying the offending BHS as data. */
void nx_iscsi_reject(struct nx_iscsi_conn *c, const uint8_t *bhs,
		     enum nx_iscsi_reject_reason reason);

#endif /* NX_ISCSI_INTERNAL_H */
