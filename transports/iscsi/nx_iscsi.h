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
 * key negotiation), login.c (login phase and stages), chap.c + md5.c (CHAP),
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

struct nx_iscsi_server;
struct nx_iscsi_conn;

struct nx_iscsi_chap {
	char user[NX_NAME_MAX];
	char secret[NX_ISCSI_SECRET_MAX];
	bool set;
};

/* One iSCSI target node exported by the server. */
struct nx_iscsi_target_config {
	struct nx_target *target;          /* owned by the caller */
	struct nx_iscsi_chap chap;         /* initiator authenticates to us */
	struct nx_iscsi_chap mutual_chap;  /* we authenticate to the initiator */
	const char *acl[NX_ISCSI_MAX_ACL]; /* allowed initiator names; none = all */
	unsigned acl_count;
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
};

struct nx_iscsi_server *nx_iscsi_server_new(const struct nx_iscsi_server_config *cfg);
void nx_iscsi_server_free(struct nx_iscsi_server *srv);
/* True while a connection is open or a session still holds tasks in the
 * core (sessions outlive their last connection until their tasks drain).
 * nx_iscsi_server_free() requires it to be false. */
bool nx_iscsi_server_busy(const struct nx_iscsi_server *srv);

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

#endif /* NX_ISCSI_H */
