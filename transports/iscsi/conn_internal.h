/*
 * conn_internal.h - what the files of the connection machinery share
 * (conn.c, session.c, scsi.c, tmf.c, nop.c, logout.c, reject.c).
 *
 * The negotiation side never includes this: its contract is
 * iscsi_internal.h.
 *
 * Ownership and lifetime:
 *  - a server owns its sessions; a session owns its command pool, its
 *    nexus and a list of connections; a connection belongs to at most one
 *    session (after login).
 *  - every entry point that can reach ops->close (input, task_done, TMF
 *    done, timer) holds the connection busy; a closed connection is
 *    finalized only when nothing holds it, so no stack frame ever sees a
 *    freed connection.
 *  - a session is freed once it has no connection, its nexus is drained
 *    (nx_nexus_shutdown done) and no TMF is outstanding.  Between being
 *    unlisted and being freed it sits on the server's draining list.
 *  - reinstatement (RFC 7143 6.3.4, 6.3.5) holds back the final Login
 *    Response: a login that would reinstate a session waits, in
 *    NX_CONN_LOGIN_WAIT, until every session of the same I_T nexus has
 *    been freed (its tasks are out of the core and the backstore); a login
 *    that reinstates a connection is attached at once but waits until the
 *    replaced connection has left and no task without allegiance is left
 *    in the session.  The waiting connection is on its session's waiter
 *    list; events that may end the wait arm its timer with no delay, so
 *    the login is finished from a clean stack (never inside a core
 *    callback).  The same timer bounds the wait (NX_ISCSI_LOGIN_WAIT_NS).
 */
#ifndef NX_ISCSI_CONN_INTERNAL_H
#define NX_ISCSI_CONN_INTERNAL_H

#include "iscsi_internal.h"

/* ---- limits (everything bounded, allocated at session creation) ------- */
#define NX_ISCSI_CMDSN_WINDOW 128u  /* non-immediate commands in flight */
#define NX_ISCSI_IMMEDIATE_CMDS 16u /* extra slots for immediate commands */
#define NX_ISCSI_CMDS_MAX (NX_ISCSI_CMDSN_WINDOW + NX_ISCSI_IMMEDIATE_CMDS)
/* Command slots come in chunks, allocated when the free ones run out: a
 * slot is ~0.9 KiB, and an idle or QD1 session should not hold all 144.
 * The first chunk is small (an idle session sends a TEST UNIT READY or a
 * NOP now and then), the later ones hold 16 (the last one the rest). */
#define NX_ISCSI_CMD_FIRST 4u
#define NX_ISCSI_CMD_CHUNK 16u
#define NX_ISCSI_CMD_CHUNKS \
	(1u + (NX_ISCSI_CMDS_MAX - NX_ISCSI_CMD_FIRST + NX_ISCSI_CMD_CHUNK - 1u) / \
		      NX_ISCSI_CMD_CHUNK)
#define NX_ISCSI_ITT_BUCKETS 256u   /* ITT hash (power of two, > CMDS_MAX) */
#define NX_ISCSI_HOLD_MAX 16u       /* out-of-order commands held */
#define NX_ISCSI_SKIP_MAX 8u        /* CmdSNs "considered received" (11.5.1) */
#define NX_ISCSI_R2T_MAX 16u        /* outstanding R2Ts per command */
#define NX_ISCSI_TMF_MAX 4u         /* TMFs in progress per session */
#define NX_ISCSI_SESSION_CONNS_MAX 8u
#define NX_ISCSI_LOGIN_DSL 8192u    /* RFC 7143 13.12 default during login */
/* Logins waiting on one session (reinstatement); one per connection of
 * a session is enough, a newer login supersedes an older one. */
#define NX_ISCSI_WAITERS_MAX NX_ISCSI_SESSION_CONNS_MAX
/* Longest a reinstating login waits for the old tasks (LIO's login
 * timeout is 15 s too); then it fails with 03/01 and may be retried. */
#define NX_ISCSI_LOGIN_WAIT_NS (15ull * 1000 * 1000 * 1000)
/* Target-initiated NOP-In keepalive: one tick per interval; a tick with
 * no PDU received sends a ping, a second silent tick drops the
 * connection (RFC 7143 11.19: NOP-In with a valid TTT).  The interval is
 * limits.nopin_interval_ms; these are the defaults of struct
 * nx_iscsi_limits (0 there means "this").  35 s keeps an initiator that
 * stops reading for a minute (libiscsi's Sanitize.Reset sleeps 60 s
 * between TEST UNIT READYs while a sanitize runs). */
#define NX_ISCSI_NOPIN_INTERVAL_MS_DEFAULT 35000u
/* A connection not in full feature phase this long after it was
 * accepted is dropped (slow or stalled logins; LIO uses 15 s too). */
#define NX_ISCSI_LOGIN_TIMEOUT_MS_DEFAULT 15000u
/* Normal sessions one initiator name may hold (RFC 7143 11.13.5 0302h
 * "out of resources" beyond). */
#define NX_ISCSI_SESSIONS_PER_INITIATOR_DEFAULT 16u
/* Per source address: a quarter of the login slots, and two full
 * initiators' worth of sessions (out of limits.max_sessions); a host
 * with more initiator names behind one address raises them. */
#define NX_ISCSI_LOGINS_PER_ADDRESS_DEFAULT 16u
#define NX_ISCSI_SESSIONS_PER_ADDRESS_DEFAULT 32u
/* Per portal / per target connection caps: none unless configured. */
#define NX_ISCSI_CONNS_UNCAPPED UINT32_MAX
/* CHAP lockout: 3 free failures, then 1 s, 2 s, 4 s ... at most 60 s. */
#define NX_ISCSI_AUTH_FREE_FAILS_DEFAULT 3u
#define NX_ISCSI_AUTH_LOCKOUT_BASE_NS (1000ull * 1000 * 1000)
#define NX_ISCSI_AUTH_LOCKOUT_MAX_MS_DEFAULT 60000u

/* BHS byte 1 flags */
#define NX_ISCSI_F 0x80
#define NX_ISCSI_CMD_R 0x40
#define NX_ISCSI_CMD_W 0x20
#define NX_ISCSI_CMD_ATTR 0x07
#define NX_ISCSI_RSP_O 0x04 /* residual overflow */
#define NX_ISCSI_RSP_U 0x02 /* residual underflow */
#define NX_ISCSI_DATAIN_S 0x01

struct nx_iscsi_session;

/* ---- connection ---------------------------------------------------------- */

enum nx_iscsi_conn_state {
	NX_CONN_LOGIN,        /* login phase: Login Requests only */
	NX_CONN_LOGIN_WAIT,   /* final Login Response held (reinstatement):
				 no PDU is valid */
	NX_CONN_FFP_PENDING,  /* login_complete ran; final response under way */
	NX_CONN_FFP,          /* full feature phase */
	NX_CONN_LOGGED_OUT,   /* Logout Response sent, close requested */
	NX_CONN_DROPPED,      /* close requested after an error */
};

enum nx_iscsi_rx_state {
	NX_RX_BHS,
	NX_RX_AHS,
	NX_RX_HDIGEST,
	NX_RX_DATA,     /* data segment and its padding */
	NX_RX_DDIGEST,
};

struct nx_iscsi_conn {
	/* Read or written for every PDU, first and together (the receive
	 * machine, the send path, the lifetime checks): with the rest in
	 * declaration order they were spread over eight cache lines of
	 * this 2 KiB struct. */
	const struct nx_iscsi_conn_ops *ops;
	void *ctx;
	/* datamover (nx_iscsi.h): NULL on TCP; the tags of the PDU being
	 * received (nx_iscsi_conn_input_pdu) */
	const struct nx_iscsi_dm_ops *dm;
	struct nx_iscsi_session *sess;
	enum nx_iscsi_conn_state state;
	uint32_t statsn;

	/* receive state machine */
	enum nx_iscsi_rx_state rx_state;
	uint32_t rx_have;       /* bytes of the current part received */
	uint32_t rx_ahs_len;
	uint32_t rx_dsl;
	/* lifetime */
	unsigned busy;
	bool closed;            /* nx_iscsi_conn_closed() was called */
	bool close_sent;        /* ops->close() was called */
	bool hdigest;           /* digests in effect (after login) */
	bool ddigest;
	uint8_t *rx_data;       /* rx_cap + 4 bytes (padding, digest) */
	const uint8_t *rx_zc;   /* data segment straight from the input */
	uint32_t rx_cap;        /* grows to MaxRecvDataSegmentLength */
	bool rx_since_tick;
	bool ping_out;
	uint32_t ping_ttt;
	struct nx_iscsi_dm_tags rx_tags;
	uint8_t rx_bhs[NX_ISCSI_BHS_LEN];
	struct nx_iscsi_params params;

	struct nx_iscsi_server *srv;
	char peer[64];
	char local[64];
	char addr[64];          /* peer without its port: per-address limits */
	struct nx_iscsi_login *login;
	uint16_t cid;
	uint16_t tpgt;          /* target portal group it arrived through */
	uint8_t portal;         /* index in cfg.portals (0: default) */
	bool portal_counted;    /* in srv->portal_conns[portal] (logging
				   in or logged in through it) */
	uint32_t login_cmdsn;   /* CmdSN of the Login Requests */
	uint8_t rx_ahs[NX_ISCSI_AHS_MAX];
	uint8_t rx_digest[NX_ISCSI_DIGEST_LEN];

	bool replaced;          /* reinstated by a login with its CID */
	bool joining;           /* attached, final Login Response held */
	void (*release)(void *ctx);
	void *release_ctx;

	/* login held back by reinstatement (session.c) */
	struct nx_iscsi_session *wait_sess; /* on its waiter list */
	struct nx_timer *wait_timer;
	uint64_t wait_deadline_ns;
	uint8_t wait_isid[6];
	uint16_t wait_cid;

	/* the connection's timer (nop.c): login deadline, then keepalive */
	struct nx_timer *timer;
	uint64_t login_deadline_ns;
	bool login_counted;     /* in srv->login_conns and srv->login_list */
	struct nx_iscsi_conn *login_prev, *login_next;
};

/* Holds c across a call that may end up in ops->close(). */
void nx_iscsi_conn_get(struct nx_iscsi_conn *c);
void nx_iscsi_conn_put(struct nx_iscsi_conn *c);
/* True while PDUs may be sent and handled on c. */
bool nx_iscsi_conn_live(const struct nx_iscsi_conn *c);
/* Clean close after a Logout Response (no error logged). */
void nx_iscsi_conn_logout_close(struct nx_iscsi_conn *c);
/* Zero-copy send (ops->send_lent): true when the embedder has it. */
bool nx_iscsi_conn_can_lend(const struct nx_iscsi_conn *c);
/* As nx_iscsi_conn_send_pdu, with the data segment lent; release(arg)
 * (NULL on all but the last PDU of a buffer) follows the bytes, or runs
 * at once (ok = false) when the connection no longer sends. */
void nx_iscsi_conn_send_pdu_lent(struct nx_iscsi_conn *c, uint8_t *bhs,
				 const void *data, uint32_t data_len,
				 void (*release)(void *arg, bool ok), void *arg);

/* ---- sessions and CmdSN ordering (session.c) ----------------------------- */

struct nx_iscsi_r2t {
	uint32_t ttt;
	uint32_t offset;
	uint32_t len;
	uint32_t got;
	uint32_t datasn;
	bool used;
};

enum nx_iscsi_cmd_state {
	NX_CMD_FREE,
	NX_CMD_DATA,  /* transport owns the task: collecting Data-Out */
	NX_CMD_CORE,  /* nx_task_execute / nx_task_fail ran: core owns it */
	NX_CMD_DONE,  /* finished, held until the datamover lets go */
};

/* One SCSI command.  Pooled per session; the nx_task is embedded. */
struct nx_iscsi_cmd {
	struct nx_task task;
	struct nx_iscsi_session *sess;
	struct nx_iscsi_conn *conn;  /* allegiance; NULL when it is gone */
	struct nx_iscsi_cmd *free_next;
	uint32_t itt;
	uint32_t edtl;               /* Expected Data Transfer Length */
	uint16_t idx;
	uint16_t itt_next;           /* ITT hash chain: slot + 1, 0 ends it */
	bool itt_hashed;             /* on the chain (nx_iscsi_cmd_set_itt) */
	uint8_t state;               /* enum nx_iscsi_cmd_state */
	uint8_t pdu_flags;           /* byte 1 of the command */
	bool immediate;              /* took no CmdSN window credit */
	bool setup_failed;           /* nx_task_setup() said no */
	bool overflow_fail;          /* write longer than EDTL (05/0E/03) */
	bool truncated;              /* write cut to EDTL (FCP-4 FCP_DL a) */
	bool data_error;             /* DataSN gap: ends in 0B/47/05 */
	uint32_t spdtl;              /* bytes the CDB asked for, uncut */

	/* write data phase: bytes [0, want) land in task.data */
	uint32_t want;
	bool unsol_open;             /* unsolicited sequence not finished */
	uint32_t unsol_next;
	uint32_t unsol_limit;
	uint32_t unsol_datasn;
	uint32_t r2t_next;           /* next offset to solicit */
	uint32_t r2tsn;
	uint8_t r2t_count;
	/* datamover: put/get in flight, and the command's buffer tags.
	 * Before the R2T table: every command writes dm_tags and reads
	 * dm_busy at release, and after the table they sat on lines of
	 * their own (one more cache miss per command). */
	uint8_t dm_busy;
	uint16_t ttt_seq;
	struct nx_iscsi_dm_tags dm_tags;

	/* last: only commands that solicit data touch it */
	struct nx_iscsi_r2t r2t[NX_ISCSI_R2T_MAX];
};

struct nx_iscsi_held {
	struct nx_iscsi_conn *conn;  /* NULL: slot free */
	uint8_t *buf;                /* BHS + AHS + data, nx_alloc'ed */
	uint32_t ahs_len;
	uint32_t dsl;
	uint32_t cmdsn;
	bool ddigest_ok;
	struct nx_iscsi_dm_tags tags; /* datamover tags of the PDU */
};

struct nx_iscsi_tmf_slot {
	struct nx_tmf req;
	struct nx_iscsi_session *sess;
	struct nx_iscsi_conn *conn;  /* NULL when it is gone */
	uint32_t itt;
	uint32_t ref_cmdsn;
	uint32_t cmdsn;
	uint8_t function;
	bool immediate;
	bool used;
};

struct nx_iscsi_session {
	/* What every command reads or writes, on arrival and again at
	 * completion, first and together (with the params' first bytes:
	 * the burst lengths and R2T settings), so that a command touches
	 * three lines of the session instead of six spread over 3 KiB. */
	struct nx_nexus *nexus;
	struct nx_iscsi_cmd *free_head;
	/* slots 0..FIRST-1 are cmd_chunk[0], the rest CHUNK to a chunk
	 * (nx_iscsi_cmd_at) */
	struct nx_iscsi_cmd *cmd_chunk[NX_ISCSI_CMD_CHUNKS];
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
	unsigned nheld;                 /* held[] slots in use */
	unsigned nskip;
	unsigned cmds_used;
	unsigned imm_used;
	unsigned cmd_slots;             /* slots allocated, all chunks */
	uint16_t ttt_seq;
	struct nx_iscsi_params params;  /* the leading connection's */

	struct nx_iscsi_server *srv;
	const struct nx_iscsi_target_config *tcfg; /* NULL: discovery */
	uint8_t isid[6];
	uint16_t tsih;
	uint16_t tpgt;                  /* portal group = SCSI target port */
	char initiator_name[NX_NAME_MAX];
	char addr[64];                  /* the leading connection's address */
	struct nx_iscsi_conn *conns[NX_ISCSI_SESSION_CONNS_MAX];
	unsigned nconns;
	bool listed;                    /* findable in srv->sessions */
	bool shutdown_started;
	bool nexus_drained;

	struct nx_iscsi_held held[NX_ISCSI_HOLD_MAX];
	uint32_t skip[NX_ISCSI_SKIP_MAX];

	/* live commands by ITT: chain heads, slot + 1 (0: empty) */
	uint16_t itt_bucket[NX_ISCSI_ITT_BUCKETS];
	struct nx_iscsi_tmf_slot tmfs[NX_ISCSI_TMF_MAX];
	unsigned tmfs_used;

	/* logins waiting for this session to drain (reinstatement) */
	struct nx_iscsi_conn *waiters[NX_ISCSI_WAITERS_MAX];
	unsigned nwaiters;
	struct nx_iscsi_session *drain_prev, *drain_next;
};

/* True when a line of this kind may be logged now (otherwise counted and
 * reported later in one line); kinds in iscsi_internal.h. */
bool nx_iscsi_log_ok(struct nx_iscsi_server *srv, enum nx_iscsi_log_kind kind,
		     enum nx_log_level level);
#define NX_ISCSI_LOG(srv, kind, level, ...)                                 \
	do {                                                                \
		if (nx_iscsi_log_ok((srv), (kind), (level)))                \
			nx_log((level), __VA_ARGS__);                       \
	} while (0)

struct nx_iscsi_server {
	struct nx_iscsi_server_config cfg;
	struct nx_iscsi_limits lim;     /* cfg.limits with defaults applied */
	struct nx_iscsi_stats stats;
	struct nx_log_limit log_limit[NX_ILOG_COUNT];
	struct nx_timer *log_timer;     /* reports held lines (log_flush) */
	struct nx_authlimit *authlimit; /* CHAP brute-force lockout */
	unsigned login_conns;           /* connections before FFP */
	struct nx_iscsi_conn *login_list; /* ... the same, listed */
	unsigned portal_conns[NX_ISCSI_MAX_PORTALS];
	struct nx_iscsi_session **sessions; /* lim.max_sessions slots */
	unsigned session_count;         /* allocated, listed or draining */
	struct nx_iscsi_session *draining; /* unlisted, not yet freed */
	unsigned conn_count;
	uint16_t next_tsih;
};

_Static_assert(NX_ISCSI_CMD_FIRST > 0 && NX_ISCSI_CMD_FIRST <= NX_ISCSI_CMDS_MAX,
	       "the first chunk holds at least one slot");

static inline struct nx_iscsi_cmd *nx_iscsi_cmd_at(const struct nx_iscsi_session *s,
						   unsigned idx)
{
	nx_assert(idx < s->cmd_slots);
	if (idx < NX_ISCSI_CMD_FIRST)
		return &s->cmd_chunk[0][idx];
	idx -= NX_ISCSI_CMD_FIRST;
	return &s->cmd_chunk[1u + idx / NX_ISCSI_CMD_CHUNK][idx % NX_ISCSI_CMD_CHUNK];
}

/* RFC 1982 serial number arithmetic on 32-bit sequence numbers. */
static inline bool nx_sn_lt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(b - a) < 0x80000000u;
}

static inline bool nx_sn_le(uint32_t a, uint32_t b)
{
	return a == b || nx_sn_lt(a, b);
}

/* Entry point of command-type PDUs in full feature phase (SCSI Command,
 * NOP-Out, TMF, Text, Logout): CmdSN window and ordering (RFC 7143
 * 3.2.2.1), then the handler. */
void nx_iscsi_session_rx_cmd(struct nx_iscsi_conn *c,
			     const struct nx_iscsi_pdu *pdu, bool ddigest_ok);
/* A non-immediate command's resources are free: the window slides. */
void nx_iscsi_session_credit(struct nx_iscsi_session *s);
/* RFC 7143 11.5.1: RefCmdSN of an ABORT TASK not yet received is treated
 * as received.  False if it is not inside the window. */
bool nx_iscsi_session_skip_cmdsn(struct nx_iscsi_session *s, uint32_t cmdsn,
				 uint32_t tmf_cmdsn);
/* c leaves its session (closed). */
void nx_iscsi_session_conn_gone(struct nx_iscsi_conn *c);
/* Drops every connection of s (session reinstatement, logout, errors). */
void nx_iscsi_session_drop_all(struct nx_iscsi_session *s, const char *why);
/* The session ends by logout: end what other I_T nexuses can see of its
 * nexus before the Logout Response (nx_nexus_logout). */
void nx_iscsi_session_logout(struct nx_iscsi_session *s);
/* Frees s if nothing holds it any more. */
void nx_iscsi_session_try_free(struct nx_iscsi_session *s);
/* c goes away: it stops waiting (conn_finalize). */
void nx_iscsi_session_wait_cancel(struct nx_iscsi_conn *c);
/* A held login ended: rc as nx_iscsi_login_rx's (1 full feature phase,
 * < 0 drop); conn.c acts on it. */
void nx_iscsi_conn_login_result(struct nx_iscsi_conn *c, int rc);
struct nx_iscsi_conn *nx_iscsi_session_find_conn(struct nx_iscsi_session *s,
						 uint16_t cid);

/* A zeroed command slot, except cmd->task: nx_task_init() it first. */
struct nx_iscsi_cmd *nx_iscsi_cmd_alloc(struct nx_iscsi_session *s,
					bool immediate);
void nx_iscsi_cmd_free(struct nx_iscsi_cmd *cmd);
/* Gives cmd its ITT and makes it findable by nx_iscsi_cmd_find_itt (O(1)
 * on average; a chain is at most NX_ISCSI_CMDS_MAX long). */
void nx_iscsi_cmd_set_itt(struct nx_iscsi_cmd *cmd, uint32_t itt);
struct nx_iscsi_cmd *nx_iscsi_cmd_find_itt(struct nx_iscsi_session *s,
					   uint32_t itt);
struct nx_iscsi_cmd *nx_iscsi_cmd_find_ttt(struct nx_iscsi_session *s,
					   uint32_t ttt);
uint32_t nx_iscsi_conn_cur_statsn(const struct nx_iscsi_conn *c);

/* ---- SCSI (scsi.c) ------------------------------------------------------- */

/* Returns true when a command slot took over the CmdSN credit. */
bool nx_iscsi_scsi_cmd_rx(struct nx_iscsi_conn *c,
			  const struct nx_iscsi_pdu *pdu);
void nx_iscsi_data_out_rx(struct nx_iscsi_conn *c,
			  const struct nx_iscsi_pdu *pdu, bool ddigest_ok);
void nx_iscsi_task_done(struct nx_task *t);
/* Aborts commands still in their Data-Out phase (owned by the transport,
 * not yet known to the core as running): all of conn's when conn is set,
 * those of one LUN when lun_match, or every one.  Returns how many. */
unsigned nx_iscsi_scsi_abort_data_phase(struct nx_iscsi_session *s,
					const struct nx_iscsi_conn *conn,
					bool lun_match, uint64_t lun);
/* A command owned by the transport (Data-Out phase) with this ITT. */
void nx_iscsi_cmd_abort_local(struct nx_iscsi_cmd *cmd);
/* Builds and sends a SCSI Response with status only (no command slot). */
void nx_iscsi_send_status(struct nx_iscsi_conn *c, uint32_t itt,
			  uint8_t status);

/* ---- the other handlers ------------------------------------------------- */
void nx_iscsi_tmf_rx(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu);
void nx_iscsi_nop_out_rx(struct nx_iscsi_conn *c,
			 const struct nx_iscsi_pdu *pdu);
/* Creates the connection's timer and arms the login deadline. */
int nx_iscsi_nop_init(struct nx_iscsi_conn *c);
void nx_iscsi_nop_start(struct nx_iscsi_conn *c);
void nx_iscsi_nop_stop(struct nx_iscsi_conn *c);
void nx_iscsi_logout_rx(struct nx_iscsi_conn *c,
			const struct nx_iscsi_pdu *pdu);
void nx_iscsi_snack_rx(struct nx_iscsi_conn *c,
		       const struct nx_iscsi_pdu *pdu);
/* Reject, then drop: protocol errors that ERL 0 cannot recover from. */
void nx_iscsi_reject_drop(struct nx_iscsi_conn *c, const uint8_t *bhs,
			  enum nx_iscsi_reject_reason reason, const char *why);

#endif /* NX_ISCSI_CONN_INTERNAL_H */
