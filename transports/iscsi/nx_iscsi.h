/*
 * nx_iscsi.h - the iSCSI target transport (RFC 7143) as an embedder sees it.
 *
 * The transport is a pure state machine over byte streams: the embedder
 * (nexus-target on sockets, the simulator on simulated TCP, the kernel
 * module on kernel sockets) feeds received bytes in with
 * nx_iscsi_conn_input() and gets bytes to send through ops->send().  It
 * never touches a socket itself, which is what lets one object file run in
 * all three worlds.
 *
 * Files: pdu.c (BHS/AHS codec), crc32c.c (digests), params.c (RFC 7143 §13
 * key negotiation), login.c (login phase and stages), chap.c + md5.c +
 * sha256.c + sha3.c (CHAP), authlimit.c (CHAP brute-force lockout),
 * text.c (Text and SendTargets), conn.c (receive state machine, send path),
 * session.c (sessions, CmdSN windowing, connections of a session),
 * scsi.c (SCSI Command, R2T, Data-Out/Data-In, SCSI Response), tmf.c,
 * nop.c, logout.c, reject.c.
 */
#ifndef NX_ISCSI_H
#define NX_ISCSI_H

#include "../../platform/nx_platform.h"
#include "../../core/nx_scsi.h"

#define NX_ISCSI_PORT_DEFAULT 3260
#define NX_ISCSI_MAX_TARGETS 64
#define NX_ISCSI_MAX_PORTALS 16
#define NX_ISCSI_MAX_ACL 64
#define NX_ISCSI_SECRET_MAX 256
/* RFC 7143 12.1.3: secrets of at least 96 bits; shorter ones are refused
 * when the server is configured (nx_iscsi_config_check). */
#define NX_ISCSI_SECRET_MIN 12

/* CHAP_A values (RFC 7143 12.1.3 takes them from the IANA "PPP
 * Authentication Algorithms" registry: 5 MD5, 6 SHA-1, 7 SHA-256,
 * 8 SHA3-256; SHA-1 is not offered). */
#define NX_ISCSI_CHAP_MD5 5
#define NX_ISCSI_CHAP_SHA256 7
#define NX_ISCSI_CHAP_SHA3_256 8
#define NX_ISCSI_CHAP_ALGS_MAX 4

struct nx_iscsi_server;
struct nx_iscsi_conn;

struct nx_iscsi_chap {
	char user[NX_NAME_MAX];
	char secret[NX_ISCSI_SECRET_MAX];
	bool set;
};

/* Read-only LUs for one ACL entry (nexus-target: --acl IQN,ro[=LUN]):
 * SBC-3 4.9 write protection for that initiator only. */
#define NX_ISCSI_ACL_RO_LUNS 16
struct nx_iscsi_acl_ro {
	bool all;                          /* every LU read-only */
	uint16_t luns[NX_ISCSI_ACL_RO_LUNS];
	unsigned lun_count;
};

/* One iSCSI target node exported by the server. */
struct nx_iscsi_target_config {
	struct nx_target *target;          /* owned by the caller */
	struct nx_iscsi_chap chap;         /* initiator authenticates to us */
	struct nx_iscsi_chap mutual_chap;  /* we authenticate to the initiator */
	const char *acl[NX_ISCSI_MAX_ACL]; /* allowed initiator names; none = all */
	unsigned acl_count;
	/* per initiator read-only mapping: acl_ro[i] applies to acl[i] */
	struct nx_iscsi_acl_ro acl_ro[NX_ISCSI_MAX_ACL];
	/* TARGET WARM RESET and TARGET COLD RESET end every session of the
	 * target, other initiators' too; true answers them "Function
	 * authorization failed" (RFC 7143 11.6.1, response 6) instead.
	 * false (allowed) is the default: initiators' error recovery
	 * (Linux's SCSI error handler via open-iscsi, libiscsi) escalates
	 * to it, and SAM-5 expects it to work. */
	bool refuse_target_reset;
};

/* Sessions one server holds at once (limits.max_sessions): the default,
 * and the most it can be configured to, well below 65535 live TSIHs (16
 * bits).  An idle session costs little, so the default is about what
 * one process should track, not memory; raise it for many hosts (make
 * bench holds 1,000 idle sessions). */
#define NX_ISCSI_SESSIONS_DEFAULT 256u
/* Connections accepted but not yet in full feature phase (limits.
 * max_login_conns): a connect or login flood cannot hold more memory
 * than this many login states. */
#define NX_ISCSI_LOGIN_CONNS_DEFAULT 64u
#define NX_ISCSI_SESSIONS_LIMIT 16384u

/* Limits against misbehaving or hostile initiators.  0 everywhere means
 * the default in brackets (so a zeroed config is a sane one). */
struct nx_iscsi_limits {
	uint32_t login_timeout_ms;      /* connect to full feature phase [15000] */
	uint32_t nopin_interval_ms;     /* keepalive tick in FFP [35000] */
	uint32_t max_login_conns;       /* connections still logging in [64] */
	uint32_t max_sessions_per_initiator; /* normal sessions [16] */
	uint32_t auth_free_failures;    /* CHAP failures before a lockout [3] */
	uint32_t auth_lockout_max_ms;   /* longest lockout [60000] */
	/* Per source address (the peer's IP, whatever initiator names it
	 * sends): connections still logging in [16], refused at
	 * nx_iscsi_conn_new; sessions, discovery ones included [32],
	 * refused with login status 0302h.  An attacker rotating initiator
	 * names from one host cannot hold every login slot or session. */
	uint32_t max_logins_per_address;
	uint32_t max_sessions_per_address;
	/* Connections (logging in, from their first Login Request, or in
	 * full feature phase) through one portal (nx_iscsi_conn_set_portal;
	 * portal 0 without it), and in sessions of one target node [no cap:
	 * only the server's own bounds]; the connection over the cap gets
	 * login status 0302h "out of resources" (RFC 7143 11.13.5). */
	uint32_t max_conns_per_portal;
	uint32_t max_conns_per_target;
	/* Sessions the server holds at once, discovery ones included
	 * [256, at most 16384]; one more gets 0302h. */
	uint32_t max_sessions;
};

/* What the server saw (nx_iscsi_server_stats): for operators and tests,
 * since the log only samples what peers can trigger at will. */
struct nx_iscsi_stats {
	uint64_t conns_accepted;      /* nx_iscsi_conn_new said yes */
	uint64_t conns_refused;       /* ... said no: logins in progress */
	uint64_t logins_ok;           /* reached full feature phase */
	uint64_t logins_failed;       /* a failing Login Response was sent */
	uint64_t logins_refused_limit; /* 0302h of a limit (per address,
					  initiator, target, portal) */
	uint64_t login_timeouts;
	uint64_t keepalive_drops;     /* NOP-In ping not answered */
	uint64_t conns_dropped;       /* by us: errors, timeouts (below) */
	uint64_t rejects;             /* Reject PDUs sent */
	uint64_t target_resets_refused;
	uint64_t log_lines_held;      /* rate limit: counted, not logged */
};

struct nx_iscsi_server_config {
	/* "host:port" strings for SendTargets TargetAddress (RFC 7143 §13.9) */
	const char *portals[NX_ISCSI_MAX_PORTALS];
	unsigned portal_count;
	uint16_t tpgt;                     /* target portal group tag */
	/* Per portal TPGT (0: tpgt).  Each target portal group is one SCSI
	 * target port "<target>,t,0x<TPGT>" whose relative target port
	 * identifier is the TPGT (RFC 7143 4.4.1, SPC-4 5.16). */
	uint16_t portal_tpgt[NX_ISCSI_MAX_PORTALS];
	struct nx_iscsi_target_config targets[NX_ISCSI_MAX_TARGETS];
	unsigned target_count;
	/* RFC 7143 12.1.3 for discovery sessions (none set: no authentication) */
	struct nx_iscsi_chap discovery_chap;
	struct nx_iscsi_chap discovery_mutual_chap;
	/* CHAP_A values accepted, our preference first; none = SHA3-256,
	 * SHA-256, MD5 */
	uint8_t chap_algs[NX_ISCSI_CHAP_ALGS_MAX];
	unsigned chap_alg_count;
	struct nx_iscsi_limits limits;
};

/* Callbacks into the embedder for one connection. */
struct nx_iscsi_conn_ops {
	/* Queue bytes for sending, in order.  Must accept everything (the
	 * embedder buffers what the socket does not take); the iovecs may
	 * be reused as soon as this returns. */
	void (*send)(void *ctx, const struct nx_iovec *iov, unsigned iovcnt);
	/* The transport wants the connection closed (logout done, protocol
	 * error).  The embedder closes the socket and later calls
	 * nx_iscsi_conn_closed(). */
	void (*close)(void *ctx);
	/* Optional zero-copy send (NULL: everything goes through send(),
	 * copied).  As send(), except that the iovecs whose bit is set in
	 * lent_mask point into buffers the transport lends: they stay valid
	 * until the embedder calls release(arg, ...), and release (when not
	 * NULL) must be called exactly once, after every byte passed to
	 * send/send_lent up to and including this call has been taken by
	 * the socket (ok = true) or thrown away with the connection (ok =
	 * false).  release may run before send_lent returns; it only frees
	 * memory.  Used for Data-In: the task's buffer goes to the socket
	 * without a copy (transports/iscsi/nx_sendq.h queues it). */
	void (*send_lent)(void *ctx, const struct nx_iovec *iov,
			  unsigned iovcnt, uint32_t lent_mask,
			  void (*release)(void *arg, bool ok), void *arg);
};

/* What is wrong with cfg (a sentence naming the target, never a secret),
 * or NULL when it is usable.  nx_iscsi_server_new() refuses what this
 * refuses; embedders call it first to report the reason. */
const char *nx_iscsi_config_check(const struct nx_iscsi_server_config *cfg,
				  char *buf, size_t len);
struct nx_iscsi_server *nx_iscsi_server_new(const struct nx_iscsi_server_config *cfg);
void nx_iscsi_server_free(struct nx_iscsi_server *srv);
/* True while a connection is open or a session still holds tasks in the
 * core (sessions outlive their last connection until their tasks drain).
 * nx_iscsi_server_free() requires it to be false. */
bool nx_iscsi_server_busy(const struct nx_iscsi_server *srv);
void nx_iscsi_server_stats(const struct nx_iscsi_server *srv,
			   struct nx_iscsi_stats *out);

/* A new TCP connection arrived; peer/local are printable addresses. */
struct nx_iscsi_conn *nx_iscsi_conn_new(struct nx_iscsi_server *srv,
					const struct nx_iscsi_conn_ops *ops,
					void *ctx, const char *peer,
					const char *local);
/* The connection arrived on portal `portal` (index into cfg->portals),
 * which sets its TPGT and so its SCSI target port.  Call before feeding
 * the first byte; without it a connection has the config's tpgt. */
void nx_iscsi_conn_set_portal(struct nx_iscsi_conn *c, unsigned portal);
/* TPGT of a portal: portal_tpgt[portal], or tpgt when that is 0. */
static inline uint16_t
nx_iscsi_portal_tpgt(const struct nx_iscsi_server_config *cfg, unsigned portal)
{
	if (portal < NX_ISCSI_MAX_PORTALS && cfg->portal_tpgt[portal] != 0)
		return cfg->portal_tpgt[portal];
	return cfg->tpgt;
}
/* Feeds received bytes.  Returns 0, or < 0 when the connection must be
 * dropped (ops->close has then already been called). */
int nx_iscsi_conn_input(struct nx_iscsi_conn *c, const uint8_t *buf, size_t len);
/* The byte stream ended (EOF, reset, or the embedder closed it after
 * ops->close).  From here on the transport calls no op of this connection;
 * it frees the connection once the core has drained every task of it and
 * then calls release(ctx) so the embedder can free its side. */
void nx_iscsi_conn_closed(struct nx_iscsi_conn *c,
			  void (*release)(void *ctx), void *ctx);

/* ---- datamover (RFC 5047, used by iSER, RFC 7145) --------------------------
 *
 * On TCP the iSCSI layer moves data itself, in Data-In and Data-Out PDUs.
 * A connection made with nx_iscsi_conn_new_dm() has a datamover instead:
 * control PDUs still go through ops->send (RFC 5047 Send_Control), one
 * whole PDU per call, but
 *  - Data-In is handed to dm->put_data (Put_Data: iSER RDMA-WRITEs it into
 *    the initiator's buffer) and the status always follows in a separate
 *    SCSI Response (RFC 7145 7.3.5: no phase collapse);
 *  - an R2T is not sent: dm->get_data (Get_Data: iSER RDMA-READs the
 *    solicited bytes straight into the task's buffer) replaces it;
 *  - received PDUs come in whole, one per nx_iscsi_conn_input_pdu() call,
 *    with the buffer tags of a SCSI Command (Control_Notify); the iSCSI
 *    layer keeps them with the task and hands them back to put/get;
 *  - solicited Data-Out and SNACK are protocol errors (RFC 7145 7.3.4,
 *    7.3.11: Reject, and the connection ends).
 * Each put_data / get_data is finished by exactly one nx_iscsi_dm_done()
 * call, later (never from inside put/get), ok = false when the data did
 * not move (flush).  The task and its buffer are held until then, so the
 * embedder must finish every operation before it calls
 * nx_iscsi_conn_closed().
 */
struct nx_iscsi_cmd; /* a task, opaque to the datamover */

/* RFC 7145 4.2: STag + base offset of the initiator's buffers. */
struct nx_iscsi_dm_tags {
	uint64_t write_va;     /* Write Base Offset (data-out source) */
	uint64_t read_va;      /* Read Base Offset (data-in destination) */
	uint32_t write_stag;
	uint32_t read_stag;
	bool write_valid;      /* WSV */
	bool read_valid;       /* RSV */
};

struct nx_iscsi_dm_ops {
	/* [off, off + len) of the task's Data-In: data stays valid until
	 * nx_iscsi_dm_done(cmd, NX_ISCSI_DM_PUT, ...). */
	void (*put_data)(void *ctx, struct nx_iscsi_cmd *cmd,
			 const struct nx_iscsi_dm_tags *tags,
			 const uint8_t *data, uint32_t off, uint32_t len);
	/* Solicit [off, off + len) of the write data (an R2T, its TTT) into
	 * dst; dst stays valid until nx_iscsi_dm_done(cmd, ttt, ...). */
	void (*get_data)(void *ctx, struct nx_iscsi_cmd *cmd,
			 const struct nx_iscsi_dm_tags *tags, uint32_t ttt,
			 uint8_t *dst, uint32_t off, uint32_t len);
};

#define NX_ISCSI_DM_PUT 0xffffffffu /* nx_iscsi_dm_done() of a put_data */

struct nx_iscsi_conn *nx_iscsi_conn_new_dm(struct nx_iscsi_server *srv,
					   const struct nx_iscsi_conn_ops *ops,
					   const struct nx_iscsi_dm_ops *dm,
					   void *ctx, const char *peer,
					   const char *local);
/* One whole received PDU (BHS, AHS, data segment, padding optional);
 * tags may be NULL.  Returns as nx_iscsi_conn_input(); a buffer that is
 * not exactly one PDU ends the connection. */
int nx_iscsi_conn_input_pdu(struct nx_iscsi_conn *c, const uint8_t *buf,
			    size_t len, const struct nx_iscsi_dm_tags *tags);
/* A put_data (ttt NX_ISCSI_DM_PUT) or get_data (its TTT) finished. */
void nx_iscsi_dm_done(struct nx_iscsi_cmd *cmd, uint32_t ttt, bool ok);
/* What the login settled for an RDMA connection (RFC 7145 6.4, 6.5):
 * the largest data segment each side receives in a control PDU. */
uint32_t nx_iscsi_conn_target_recv_dsl(const struct nx_iscsi_conn *c);
uint32_t nx_iscsi_conn_initiator_recv_dsl(const struct nx_iscsi_conn *c);

#endif /* NX_ISCSI_H */
