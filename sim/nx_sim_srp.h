/*
 * nx_sim_srp.h - SRP over the simulated RDMA fabric: an SRP target port
 * (transports/srp) on a simulated device, listening through the CM and
 * taking each login in its CONNECT_REQUEST, and initiator channels
 * (initiator/nx_ini_srp.h) on other devices.
 *
 * The iSER twin is nx_sim_iser.h; the same sync driver
 * (nx_sim_driver_init) makes the simulator progress.
 *
 * File: srp_glue.c.
 */
#ifndef NX_SIM_SRP_H
#define NX_SIM_SRP_H

#include "nx_sim_rdma.h"
#include "nx_sim_tcp.h"
#include "../initiator/nx_ini_sync.h"
#include "../initiator/nx_ini_srp.h"
#include "../transports/srp/nx_srp.h"

/* The CM port (RDMA_PS_TCP space) SRP listens on in the simulator: SRP
 * has no registered port, RDMA/CM logins name one (ib_srpt's
 * rdma_cm_port parameter); this one is ours. */
#define NX_SIM_SRP_PORT 5555

/* ---- target ------------------------------------------------------------ */

struct nx_sim_srp_target;

/* Builds an SRP target port from cfg and listens on port of dev.  NULL
 * if the port cannot be built or the CM port is taken. */
struct nx_sim_srp_target *
nx_sim_srp_target_new(struct nx_sim *sim, struct nx_rdma_dev *dev,
		      uint16_t port, const struct nx_srp_target_config *cfg);
struct nx_srp_target *nx_sim_srp_target_port(struct nx_sim_srp_target *t);
/* Channels accepted and not yet released. */
unsigned nx_sim_srp_target_chans(const struct nx_sim_srp_target *t);
uint64_t nx_sim_srp_target_accepted(const struct nx_sim_srp_target *t);
/* The n-th live channel (accept order among the live ones), or NULL. */
struct nx_srp_chan *nx_sim_srp_target_chan(struct nx_sim_srp_target *t,
					   unsigned n);
/* Stops listening, disconnects every channel, runs the sim (at most
 * drain_ns) until all are released, frees.  NX_EAGAIN if something was
 * never released (left allocated). */
int nx_sim_srp_target_free(struct nx_sim_srp_target *t, uint64_t drain_ns);

/* ---- initiator channel ------------------------------------------------------ */

struct nx_sim_srp_ini;

/* Connects dev -> dst_ip:port with the login of cfg and runs the sim
 * until the login is answered (at most timeout_ns).  0 (*out set);
 * NX_INI_ELOGIN (rejected: *rej filled if not NULL), NX_INI_ECONNRESET,
 * NX_SIM_ETIMEDOUT. */
int nx_sim_srp_ini_connect(struct nx_sim *sim, struct nx_rdma_dev *dev,
			   uint32_t dst_ip, uint16_t dst_port,
			   const struct nx_ini_srp_config *cfg,
			   uint64_t timeout_ns, struct nx_sim_srp_ini **out,
			   struct nx_srp_login_rej *rej);
struct nx_ini_srp *nx_sim_srp_ini_port(struct nx_sim_srp_ini *si);
/* The channel ended (closed callback seen); its error. */
bool nx_sim_srp_ini_down(const struct nx_sim_srp_ini *si, int *err);
/* SRP_RSPs that answered no request of the library (raw IUs sent with
 * nx_ini_srp_send_raw): how many, and the last one (its sense copied). */
unsigned nx_sim_srp_ini_raw_rsp(const struct nx_sim_srp_ini *si,
				const struct nx_srp_rsp **last);
/* Blocking helpers for scenarios (the nx_ini_sync.h contract over an SRP
 * channel): submit, then step d until the answer came, at most
 * d->steps_max steps.  0 = the target answered (look at *r), the
 * request's err (NX_INI_ECONNRESET: the channel died), NX_INI_ETIMEDOUT
 * (cancelled), or a submit error. */
int nx_sim_srp_ini_sync_scsi(struct nx_sim_srp_ini *si,
			     const struct nx_ini_driver *d, uint32_t lun,
			     const uint8_t *cdb, unsigned cdb_len,
			     enum nx_ini_dir dir, void *buf, uint32_t len,
			     struct nx_ini_scsi *r);
/* SRP_I_LOGOUT (SRP 6.5), then steps d until the channel ended: 0, or
 * NX_INI_ETIMEDOUT. */
int nx_sim_srp_ini_sync_logout(struct nx_sim_srp_ini *si,
			       const struct nx_ini_driver *d);
/* Frees the channel (failing what is outstanding; a DREQ if it is up). */
void nx_sim_srp_ini_free(struct nx_sim_srp_ini *si);

#endif /* NX_SIM_SRP_H */
