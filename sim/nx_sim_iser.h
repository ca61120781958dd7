/*
 * nx_sim_iser.h - iSER over the simulated RDMA fabric: a nexus target on
 * a simulated device (listening through the CM, each connection an
 * nx_iser_conn of transports/iser), and initiator connections that put
 * an nx_ini_conn on an nx_ini_iser (initiator/nx_ini_iser.h).
 *
 * The iSCSI twin is nx_sim_iscsi.h; the same sync driver
 * (nx_sim_driver_init) makes the simulator progress.
 *
 * File: iser_glue.c.
 */
#ifndef NX_SIM_ISER_H
#define NX_SIM_ISER_H

#include "nx_sim_rdma.h"
#include "nx_sim_iscsi.h"
#include "../initiator/nx_ini_iser.h"
#include "../transports/iser/nx_iser.h"

/* ---- target ------------------------------------------------------------ */

struct nx_sim_iser_target;

/* Builds an nx_iscsi_server from cfg and listens on port of dev.  NULL
 * if the server cannot be built or the port is taken. */
struct nx_sim_iser_target *
nx_sim_iser_target_new(struct nx_sim *sim, struct nx_rdma_dev *dev,
		       uint16_t port, const struct nx_iscsi_server_config *cfg);
struct nx_iscsi_server *nx_sim_iser_target_server(struct nx_sim_iser_target *t);
/* Connections accepted and not yet released. */
unsigned nx_sim_iser_target_conns(const struct nx_sim_iser_target *t);
uint64_t nx_sim_iser_target_accepted(const struct nx_sim_iser_target *t);
/* Stops listening, disconnects every connection, runs the sim (at most
 * drain_ns) until all are released and the sessions drained, frees.
 * NX_EAGAIN if something was never released (left allocated). */
int nx_sim_iser_target_free(struct nx_sim_iser_target *t, uint64_t drain_ns);

/* ---- initiator connection ------------------------------------------------ */

struct nx_sim_iser_ini;

/* Connects dev -> dst_ip:port over iSER, runs the sim until the CM is
 * done (at most timeout_ns), and puts connection cid of session s on it
 * (datamover installed).  Login is the caller's.  0, or
 * NX_INI_ECONNRESET (rejected, unreachable), NX_SIM_ETIMEDOUT. */
int nx_sim_iser_ini_connect(struct nx_sim *sim, struct nx_rdma_dev *dev,
			    uint32_t dst_ip, uint16_t dst_port,
			    struct nx_ini_session *s, uint16_t cid,
			    uint64_t timeout_ns, struct nx_sim_iser_ini **out);
struct nx_ini_conn *nx_sim_iser_ini_conn(struct nx_sim_iser_ini *si);
struct nx_ini_iser *nx_sim_iser_ini_iser(struct nx_sim_iser_ini *si);
/* Frees the nx_ini_conn (failing what is outstanding) and the iSER
 * connection (a DREQ if it is still up). */
void nx_sim_iser_ini_free(struct nx_sim_iser_ini *si);

#endif /* NX_SIM_ISER_H */
