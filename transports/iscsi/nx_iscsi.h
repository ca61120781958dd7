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
