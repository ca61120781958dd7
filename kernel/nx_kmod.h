/*
 * nx_kmod.h - nexus.ko's glue between kernel sockets and the iSCSI
 * transport (kernel/portal.c), the kernel counterpart of
 * tools/nexus-target/daemon.c.
 *
 * A connection's life:
 *   listener sk_data_ready -> accept work -> kernel_accept ->
 *   nx_iscsi_conn_new; the socket's sk_data_ready / sk_write_space /
 *   sk_state_change (softirq) only queue the connection's work item on
 *   the loop (platform/kernel/nx_kernel.h); the work flushes buffered
 *   output, reads (kernel_recvmsg, MSG_DONTWAIT) and feeds
 *   nx_iscsi_conn_input.
 *   ops->send / ops->send_lent: into the connection's nx_sendq (headers
 *   copied, Data-In referenced in the task buffer until the socket took
 *   it), flushed by the connection's work -- at the end of the run that
 *   produced it, so one receive batch leaves in one kernel_sendmsg -- and
 *   again when the socket has room; above KCONN_OUT_SOFT_MAX queued the
 *   connection stops reading until it drains, above KCONN_OUT_HARD_MAX
 *   the peer is dropped.
 *   End: EOF/error, or ops->close from the transport (output flushed for
 *   at most KCONN_LINGER_NS first) -> nx_iscsi_conn_closed -> release ->
 *   freed.  Nothing is torn down inside a transport call: ops->close only
 *   queues the work.
 *
 * Every function here runs on the loop.
 */
#ifndef NX_KMOD_H
#define NX_KMOD_H

#include <linux/in.h>

#include "../platform/kernel/nx_kernel.h"
#include "../transports/iscsi/nx_iscsi.h"

#define KCONN_MAX 256
#define KCONN_READ_CHUNK (64u << 10)
#define KCONN_READS_PER_EVENT 4            /* fairness between sockets */
#define KCONN_OUT_SOFT_MAX (16u << 20)     /* stop reading above this */
#define KCONN_OUT_HARD_MAX (64u << 20)     /* drop the connection */
#define KCONN_LINGER_NS (5ull * 1000000000u)
#define KPORTAL_ACCEPTS_PER_EVENT 16
#define KPORTAL_ACCEPT_RETRY_NS (100ull * 1000000u)

struct nx_kportal;

/* Listens on addr and hands every connection to srv.  0 or -errno. */
int nx_kportal_open(const struct sockaddr_in *addr,
		    struct nx_iscsi_server *srv, struct nx_kportal **out);
/* Stops listening and tears every connection down (the transport is told
 * at once; sessions then drain their tasks). */
void nx_kportal_shutdown(struct nx_kportal *p);
/* True once every connection has been released by the transport. */
bool nx_kportal_idle(const struct nx_kportal *p);
/* After shutdown and idle. */
void nx_kportal_free(struct nx_kportal *p);

#endif /* NX_KMOD_H */
