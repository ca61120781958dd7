/*
 * nx_sim_iscsi.h - iSCSI over simulated TCP: a nexus target on one
 * simulated host, initiator connections on others, and the sync-layer
 * driver that makes the simulator progress.
 *
 * Target side: nx_sim_iscsi_target_new() builds an nx_iscsi_server from
 * the caller's configuration (the caller owns the nx_target objects and
 * frees them after the server) and listens on a port of a host.  Each
 * accepted connection becomes an nx_iscsi_conn:
 *   TCP data          -> nx_iscsi_conn_input()
 *   ops->send         -> nx_sim_tcp_send() (a full send buffer drops the
 *                        connection, as a dead peer would)
 *   ops->close        -> FIN after the queued bytes, then (next event)
 *                        nx_iscsi_conn_closed()
 *   peer FIN / reset  -> close our side, nx_iscsi_conn_closed()
 * and is freed when the transport's release callback runs (after the core
 * drained its tasks).
 *
 * Initiator side, two levels:
 *   nx_sim_stream   a raw byte stream (rx/eof callbacks, send that takes
 *                   everything): for embedders with their own initiator
 *                   plumbing, e.g. the conformance framework's backend;
 *   nx_sim_ini      an nx_ini_conn of a session riding on a stream: what
 *                   scenarios use.
 * Every callback runs from a sim event, never from inside these calls.
 *
 * The sync layer (nx_ini_sync.h) blocks by polling; here poll() runs the
 * next sim event (nx_sim_driver_init), so a blocking call advances
 * virtual time exactly as far as the answer needs.
 *
 * File: iscsi_glue.c.  Links against libnexus.a (transport, initiator).
 */
#ifndef NX_SIM_ISCSI_H
#define NX_SIM_ISCSI_H

#include "nx_sim_tcp.h"
#include "../initiator/nx_initiator.h"
#include "../initiator/nx_ini_sync.h"
#include "../transports/iscsi/nx_iscsi.h"

/* ---- target ------------------------------------------------------------ */

struct nx_sim_iscsi_target;

/* NULL if the server cannot be built or the port is taken. */
struct nx_sim_iscsi_target *
nx_sim_iscsi_target_new(struct nx_sim *sim, struct nx_sim_host *host,
			uint16_t port, const struct nx_iscsi_server_config *cfg);
/* Listens on one more port of host; its connections arrive on portal
 * `portal` of the server config (nx_iscsi_conn_set_portal): another
 * target portal group, i.e. another SCSI target port.  The port given to
 * nx_sim_iscsi_target_new() is portal 0.  At most 4 ports. */
int nx_sim_iscsi_target_listen(struct nx_sim_iscsi_target *t,
			       struct nx_sim_host *host, uint16_t port,
			       unsigned portal);
struct nx_iscsi_server *nx_sim_iscsi_target_server(struct nx_sim_iscsi_target *t);
/* Connections accepted and not yet released by the transport. */
unsigned nx_sim_iscsi_target_conns(const struct nx_sim_iscsi_target *t);
uint64_t nx_sim_iscsi_target_accepted(const struct nx_sim_iscsi_target *t);
/* Stops listening, resets every live connection, runs the sim (at most
 * drain_ns of virtual time) until the transport released them all and
 * drained its sessions (tasks still in the backstore), then
 * frees the server.  NX_EAGAIN if some connection was never released:
 * the target is then left allocated (a leak the caller reports). */
int nx_sim_iscsi_target_free(struct nx_sim_iscsi_target *t, uint64_t drain_ns);

/* ---- raw initiator stream ------------------------------------------------ */

struct nx_sim_stream;

struct nx_sim_stream_ops {
	void (*connected)(void *ctx);                  /* optional */
	void (*rx)(void *ctx, const uint8_t *buf, size_t len);
	/* Once, terminal: 0 = the peer closed (FIN), else NX_SIM_ECONNRESET,
	 * _ETIMEDOUT, _ECONNREFUSED or NX_ENOSPC (send buffer overflow).
	 * No rx follows. */
	void (*eof)(void *ctx, int err);
};

/* Starts the handshake; bytes sent before it completes are queued. */
int nx_sim_stream_connect(struct nx_sim *sim, struct nx_sim_host *host,
			  uint32_t dst_ip, uint16_t dst_port,
			  const struct nx_sim_stream_ops *ops, void *ctx,
			  struct nx_sim_stream **out);
/* Takes everything (copied).  After eof or shutdown it is discarded. */
void nx_sim_stream_send(struct nx_sim_stream *st, const struct nx_iovec *iov,
			unsigned n);
/* nx_sim_tcp_send_reserve/_commit through the stream: NULL (nothing
 * done) where nx_sim_stream_send would discard or fail; send them that
 * way then. */
uint8_t *nx_sim_stream_send_reserve(struct nx_sim_stream *st, size_t n);
void nx_sim_stream_send_commit(struct nx_sim_stream *st, size_t n);
/* Half-close: FIN after the queued bytes; rx and eof still follow. */
void nx_sim_stream_shutdown(struct nx_sim_stream *st);
/* Fault: RST now; eof(NX_SIM_ECONNRESET) follows from an event. */
void nx_sim_stream_reset(struct nx_sim_stream *st);
bool nx_sim_stream_connected(const struct nx_sim_stream *st);
bool nx_sim_stream_ended(const struct nx_sim_stream *st); /* eof ran */
/* Detaches (FIN if still open, the stack finishes alone); no callback
 * ever again. */
void nx_sim_stream_free(struct nx_sim_stream *st);

/* ---- initiator connection ------------------------------------------------- */

struct nx_sim_ini;

/* Connects host -> dst_ip:dst_port, runs the sim until the handshake is
 * done (at most timeout_ns), and puts connection cid of session s on it.
 * Login is the caller's (nx_ini_login or nx_ini_sync_login).  0, or the
 * TCP error (NX_SIM_ECONNREFUSED, NX_SIM_ETIMEDOUT...). */
int nx_sim_ini_connect(struct nx_sim *sim, struct nx_sim_host *host,
		       uint32_t dst_ip, uint16_t dst_port,
		       struct nx_ini_session *s, uint16_t cid,
		       uint64_t timeout_ns, struct nx_sim_ini **out);
struct nx_ini_conn *nx_sim_ini_conn(struct nx_sim_ini *si);
struct nx_sim_stream *nx_sim_ini_stream(struct nx_sim_ini *si);
/* Frees the nx_ini_conn (failing what is outstanding) and the stream. */
void nx_sim_ini_free(struct nx_sim_ini *si);

/* ---- sync driver ------------------------------------------------------------ */

/* d->poll runs the next sim event (virtual time jumps to it); steps_max
 * 0 = NX_INI_SYNC_STEPS_DEFAULT. */
void nx_sim_driver_init(struct nx_ini_driver *d, struct nx_sim *sim,
			uint32_t steps_max);

#endif /* NX_SIM_ISCSI_H */
