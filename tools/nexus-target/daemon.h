/*
 * daemon.h - nexus-target's runtime: builds the targets and LUs from a
 * configuration, listens on the portals, and carries bytes between TCP
 * sockets and the iSCSI transport on the platform's event loop.
 */
#ifndef NX_TARGET_DAEMON_H
#define NX_TARGET_DAEMON_H

#include <stdio.h>

#include "config.h"

/* Sockets the daemon keeps open at once: at least this many, more when
 * --max-sessions (plus --max-logins) asks for more (daemon_conns_max). */
#define NX_DAEMON_CONNS_MIN 1024
#define NX_DAEMON_READ_CHUNK (64u << 10)
#define NX_DAEMON_READS_PER_EVENT 4          /* fairness between sockets */
#define NX_DAEMON_OUT_SOFT_MAX (16u << 20)   /* stop reading above this */
#define NX_DAEMON_OUT_HARD_MAX (256u << 20)  /* drop the connection */
#define NX_DAEMON_LINGER_NS (5ull * 1000000000u)  /* flush before close */
#define NX_DAEMON_DRAIN_NS (10ull * 1000000000u)  /* shutdown drain */
#define NX_DAEMON_DRAIN_POLL_NS (10ull * 1000000u)

struct nx_daemon;

/* Builds everything and starts listening; signals SIGINT/SIGTERM are
 * taken over (signalfd).  Returns 0, or -1 with err filled; exit status
 * 2 for configuration-type errors (*usage_error set), 1 otherwise. */
int nx_daemon_start(const struct nx_daemon_config *cfg, struct nx_daemon **out,
		    bool *usage_error, char *err, size_t errlen);
/* "nexus-target: serving ... — try: iscsi-inq iscsi://..." */
void nx_daemon_banner(const struct nx_daemon *d, FILE *out);
/* Runs until SIGINT/SIGTERM and the drain after it.  0 when clean. */
int nx_daemon_run(struct nx_daemon *d);
void nx_daemon_free(struct nx_daemon *d);
/* One line of what the transport and the daemon counted ("nexus-target:
 * totals: ..."): refused connections, failed logins, drops, Rejects,
 * lines the log rate limit held back.  After nx_daemon_run(). */
void nx_daemon_totals(const struct nx_daemon *d, FILE *out);

/* Bound port of portal i (useful when the configuration said port 0). */
uint16_t nx_daemon_port(const struct nx_daemon *d, unsigned i);

#endif /* NX_TARGET_DAEMON_H */
