/*
 * nx_ini_tcp.h - the initiator library over real TCP: iSCSI URLs and a
 * bounded poll(2) loop of non-blocking client sockets.  User space only.
 *
 * The initiator proper (the .c files of initiator/) is portable: it
 * builds into libnexus.a and must not see sockets.  This directory is the
 * embedding for the user-space tools that talk to a live target: nexus-conform's tcp backend
 * (conformance/lib/backend_tcp.c) and nexus-replay --target
 * (tools/nexus-replay/replay_live.c).  It uses libc directly.
 *
 * A socket is a byte pipe with a sink: nx_ini_tcp_poll() hands received
 * bytes to sink->rx and reports the end of the stream once through
 * sink->eof.  Sends are queued and written as the socket takes them, so
 * a sender never blocks and never re-enters its caller.  Every wait is
 * bounded: a dial by its timeout, a poll round by its own.
 *
 * nx_ini_tcp_conn binds one nx_ini_conn to one dialled socket (the
 * connection's ops send to the socket, received bytes go to
 * nx_ini_conn_input, EOF to nx_ini_conn_closed).
 */
#ifndef NX_INI_TCP_H
#define NX_INI_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../initiator/nx_initiator.h"

#define NX_INI_TCP_SOCKS_MAX 256u       /* sockets per poll set */
#define NX_INI_TCP_QUEUE_MAX (64u << 20) /* unsent bytes per socket */
#define NX_INI_URL_HOST_MAX 256u

/* iscsi://[user[%secret]@]host[:port]/target-iqn/lun, libiscsi's form;
 * host may be [IPv6].  port defaults to 3260, lun is 0..16383. */
struct nx_ini_url {
	char host[NX_INI_URL_HOST_MAX];
	uint16_t port;
	char target[NX_INI_NAME_MAX];
	uint32_t lun;
	char user[NX_INI_NAME_MAX];      /* "" = no CHAP */
	char secret[NX_INI_SECRET_MAX];
};

/* 0, or NX_EINVAL for anything malformed (u is then unspecified). */
int nx_ini_url_parse(const char *url, struct nx_ini_url *u);

struct nx_ini_tcp;
struct nx_ini_tcp_sock;

struct nx_ini_tcp_sink {
	void (*rx)(void *arg, const uint8_t *buf, size_t len);
	/* The stream ended (EOF, reset, error, or a shutdown completed);
	 * called once, from nx_ini_tcp_poll(). */
	void (*eof)(void *arg);
	void *arg;
};

struct nx_ini_tcp *nx_ini_tcp_new(void);
/* Closes and frees every socket left, without callbacks. */
void nx_ini_tcp_free(struct nx_ini_tcp *t);

/* Resolves host, connects within timeout_ms.  0 and *out, or NX_ENOSPC /
 * NX_ENOMEM / NX_EIO with a one-line reason in err ("connection refused",
 * "no answer within 5000 ms", ...). */
int nx_ini_tcp_dial(struct nx_ini_tcp *t, const char *host, uint16_t port,
		    uint32_t timeout_ms, const struct nx_ini_tcp_sink *sink,
		    struct nx_ini_tcp_sock **out, char *err, size_t err_len);
/* Queues the bytes (all of them) and writes what the socket takes now.
 * Never calls a sink.  After the stream ended the bytes are dropped. */
void nx_ini_tcp_send(struct nx_ini_tcp_sock *s, const struct nx_iovec *iov,
		     unsigned n);
/* Closes once the queue is flushed; sink->eof follows from a poll. */
void nx_ini_tcp_shutdown(struct nx_ini_tcp_sock *s);
/* Closes now and frees; no further callback.  Safe inside a sink. */
void nx_ini_tcp_release(struct nx_ini_tcp_sock *s);
bool nx_ini_tcp_open(const struct nx_ini_tcp_sock *s);

/* One round: flush queues, wait at most timeout_ms for something to
 * happen, deliver what arrived.  Returns the number of sockets still
 * open. */
unsigned nx_ini_tcp_poll(struct nx_ini_tcp *t, uint32_t timeout_ms);

/* ---- an initiator connection over a socket ----------------------------- */

struct nx_ini_tcp_conn;

/* Dials host:port and makes connection cid of session s over it.
 * NULL with err set when the dial (or an allocation) fails. */
struct nx_ini_tcp_conn *nx_ini_tcp_conn_open(struct nx_ini_tcp *t,
					     struct nx_ini_session *s,
					     uint16_t cid, const char *host,
					     uint16_t port, uint32_t timeout_ms,
					     char *err, size_t err_len);
struct nx_ini_conn *nx_ini_tcp_conn_ini(struct nx_ini_tcp_conn *tc);
/* Fails what is outstanding on the connection (NX_INI_ECONNRESET), frees
 * it and closes the socket.  Not from inside a completion. */
void nx_ini_tcp_conn_close(struct nx_ini_tcp_conn *tc);

#endif /* NX_INI_TCP_H */
