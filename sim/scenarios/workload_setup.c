/*
 * workload_setup.c - the workload engine's set-up (target, logins, TAS)
 * and its final checks (wl_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_internal.h"

/* ---- set-up ---------------------------------------------------------------------------- */

static void sync_cmd(struct wl *wl, struct ini *in, const uint8_t *cdb,
		     unsigned cdb_len, enum nx_ini_dir dir, void *buf,
		     uint32_t len, struct nx_ini_scsi *r)
{
	int rc = wl_ini_sync_scsi(wl, in, cdb, cdb_len, dir, buf, len, r);

	if (rc != 0)
		nx_scn_fail(wl->env, "initiator %u: sync CDB %02Xh: %d", in->idx,
			    cdb[0], rc);
	wl->env->cmds++;
}

/* Sync command that may first report UAs (retried, each UA checked). */
void wl_sync_cmd_ua(struct wl *wl, struct ini *in, const uint8_t *cdb,
			unsigned cdb_len, enum nx_ini_dir dir, void *buf,
			uint32_t len)
{
	struct nx_ini_scsi *r = &in->cmds[0].req;
	uint8_t key, asc, ascq;

	for (unsigned tries = 0; tries < UA_KINDS + 2; tries++) {
		uint64_t s = nx_sim_now(wl->sim);

		sync_cmd(wl, in, cdb, cdb_len, dir, buf, len, r);
		if (r->status == NX_STATUS_GOOD)
			return;
		nx_scn_sense_decode(r->sense, r->sense_len, &key, &asc, &ascq);
		if (r->status != NX_STATUS_CHECK_CONDITION || key != 0x06)
			break;
		wl_ua_receive(in, asc, ascq, s);
	}
	nx_scn_sense_decode(r->sense, r->sense_len, &key, &asc, &ascq);
	nx_scn_fail(wl->env, "initiator %u: CDB %02Xh: status 0x%02x sense "
		    "%X/%02Xh/%02Xh", in->idx, cdb[0], r->status, key, asc, ascq);
}

/* iSCSI / iSER: connect, then the login phase; *s_out: when the login
 * (the establisher of 29h/00h) was sent. */
static bool iscsi_try_login(struct wl *wl, struct ini *in, uint64_t *s_out)
{
	struct nx_ini_config cfg;
	struct nx_ini_login lg;
	char name[64];
	uint64_t s;
	int rc;

	snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:sim.i%u", in->idx);
	nx_ini_config_init(&cfg, name, TGT_NAME);
	cfg.isid[0] = 0x80;
	cfg.isid[5] = (uint8_t)(in->idx + 1);
	in->sess = nx_ini_session_new(&cfg);
	if (in->sess == NULL)
		nx_scn_fail(wl->env, "initiator %u: session_new", in->idx);
	rc = wl_ini_connect(wl, in);
	if (rc != 0) {
		nx_log(NX_LOG_INFO, "scn: ini%u connect: %d", in->idx, rc);
		nx_ini_session_free(in->sess);
		in->sess = NULL;
		in->si = NULL;
		in->xi = NULL;
		return false;
	}
	/* SAM-5 6.3.2: a new I_T nexus starts with POWER ON OCCURRED. */
	in->ua[UA_POWER_ON].establishing++;
	s = nx_sim_now(wl->sim);
	rc = nx_ini_sync_login(wl_ini_conn(in), &wl->drv, &lg);
	if (rc != 0 || lg.status_class != 0) {
		nx_log(NX_LOG_INFO, "scn: ini%u login: %d class %u detail %u",
		       in->idx, rc, lg.status_class, lg.status_detail);
		wl_ua_est_end(wl, (int)in->idx, -1, UA_POWER_ON, s, true, false);
		wl_ini_free(in);
		nx_ini_session_free(in->sess);
		in->sess = NULL;
		return false;
	}
	nx_log(NX_LOG_INFO, "scn: ini%u logged in, tsih %u", in->idx, lg.tsih);
	*s_out = s;
	return true;
}

/* SRP: the channel's login (SRP_LOGIN_REQ in the CM REQ) makes the
 * I_T nexus. */
static bool srp_try_login(struct wl *wl, struct ini *in, uint64_t *s_out)
{
	uint64_t s;
	int rc;

	in->ua[UA_POWER_ON].establishing++;
	s = nx_sim_now(wl->sim);
	rc = wl_srp_connect(wl, in);
	if (rc != 0) {
		nx_log(NX_LOG_INFO, "scn: ini%u SRP login: %d", in->idx, rc);
		wl_ua_est_end(wl, (int)in->idx, -1, UA_POWER_ON, s, true, false);
		in->pi = NULL;
		return false;
	}
	nx_log(NX_LOG_INFO, "scn: ini%u logged in over SRP", in->idx);
	*s_out = s;
	return true;
}

/* Connect and log in (a new session, same ISID or SRP port: a re-login
 * reinstates the session, RFC 7143 6.3.5, or replaces the channel, SRP
 * 6.2).  False when the network or the target was not there; the caller
 * retries. */
bool wl_ini_try_login(struct wl *wl, struct ini *in)
{
	uint64_t s = 0;

	if (!(wl_over_srp(wl) ? srp_try_login(wl, in, &s)
			   : iscsi_try_login(wl, in, &s)))
		return false;
	/* A new nexus: UAs owed to the previous one went with it. */
	for (unsigned k = 0; k < UA_KINDS; k++) {
		in->ua[k].any_definite = false;
		in->ua[k].max_s_definite = 0;
		in->ua[k].prev_s = s;
	}
	wl_ua_est_end(wl, (int)in->idx, -1, UA_POWER_ON, s, true, true);
	in->login_done_ns = nx_sim_now(wl->sim);
	in->last_progress_ns = in->login_done_ns;
	return true;
}

void wl_ini_login(struct wl *wl, struct ini *in)
{
	if (!wl_ini_try_login(wl, in))
		nx_scn_fail(wl->env, "initiator %u: first login failed", in->idx);
}

void wl_mode_sense_page(struct wl *wl, struct ini *in, uint8_t page,
			    uint8_t *out, size_t len)
{
	uint8_t cdb[10] = { 0x5a, 0x08 /* DBD */, page };
	uint8_t buf[64];

	nx_put_be16(cdb + 7, sizeof(buf));
	memset(buf, 0, sizeof(buf));
	wl_sync_cmd_ua(wl, in, cdb, 10, NX_INI_DIR_READ, buf, sizeof(buf));
	if ((buf[8] & 0x3f) != page || buf[9] + 2u != len)
		nx_scn_fail(wl->env, "MODE SENSE page %02Xh: got page %02Xh len %u",
			    page, buf[8], buf[9]);
	memcpy(out, buf + 8, len);
}

/* TAS from the seed, saved (SP=1) so a LU reset keeps it.  Before the
 * second initiator logs in: nobody else gets 2Ah/01h for it. */
void wl_setup_tas(struct wl *wl, struct ini *in)
{
	uint8_t page[12], buf[20] = { 0 };
	uint8_t cdb[10] = { 0x55, 0x11 /* PF, SP */ };

	wl_mode_sense_page(wl, in, 0x0a, page, sizeof(page));
	memcpy(buf + 8, page, sizeof(page));
	buf[8] &= 0x7f;
	buf[8 + 5] = (uint8_t)((buf[8 + 5] & ~0x40) | (wl->tas ? 0x40 : 0));
	nx_put_be16(cdb + 7, sizeof(buf));
	wl_sync_cmd_ua(wl, in, cdb, 10, NX_INI_DIR_WRITE, buf, sizeof(buf));
}

/* The target on the (existing) sim disk: at set-up and after a crash. */
void wl_target_build(struct wl *wl)
{
	struct nx_iscsi_server_config sc;
	struct nx_lu_config lu = { .lun = 0, .block_size = BLOCK };
	struct nx_backstore *bs = NULL;

	if (nx_bs_file_new("lu0", 0, false, &bs) != 0)
		nx_scn_fail(wl->env, "file backstore on the sim disk");
	wl->tgt = nx_target_new(TGT_NAME);
	if (wl->tgt == NULL || nx_target_add_lu(wl->tgt, &lu, bs) != 0)
		nx_scn_fail(wl->env, "target / LU");
	memset(&sc, 0, sizeof(sc));
	sc.portals[0] = "10.0.0.1:3260";
	sc.portal_count = 1;
	sc.tpgt = 1;
	sc.targets[0].target = wl->tgt;
	sc.target_count = 1;
	wl_target_listen(wl, &sc);
}

void wl_setup_target(struct wl *wl)
{
	struct nx_rng drng;

	nx_rng_fork(&wl->rng, "disk", 0, &drng);
	nx_sim_disk_opts_from_seed(&wl->heal.dopts, wl->o.lu_bytes, &drng);
	wl->heal.dopts.block_size = BLOCK;
	wl->heal.dopts.read_err_ppb = wl->heal.dopts.write_err_ppb = 0; /* faults add them */
	wl->disk = nx_sim_disk_new(wl->sim, "lu0", &wl->heal.dopts);
	wl->heal.env = wl->env;
	wl->heal.disk = wl->disk;
	wl->thost = nx_sim_host_new(wl->env->net, "target", TGT_IP);
	if (wl_over_iser(wl))
		wl->tdev = nx_sim_rdma_dev_new(wl->env->fabric, "target", TGT_IP);
	if (wl->disk == NULL || wl->thost == NULL ||
	    (wl_over_iser(wl) && wl->tdev == NULL))
		nx_scn_fail(wl->env, "sim disk / target host");
	wl_target_build(wl);
}

void wl_setup_ini(struct wl *wl, struct ini *in, unsigned idx)
{
	char hname[16];

	in->wl = wl;
	in->idx = idx;
	nx_rng_fork(&wl->rng, "initiator", idx, &in->rng);
	snprintf(hname, sizeof(hname), "ini%u", idx);
	in->host = nx_sim_host_new(wl->env->net, hname, INI_IP0 + idx);
	if (wl_over_iser(wl))
		in->dev = nx_sim_rdma_dev_new(wl->env->fabric, hname, INI_IP0 + idx);
	if (in->host == NULL || (wl_over_iser(wl) && in->dev == NULL))
		nx_scn_fail(wl->env, "host %s", hname);
	in->qd = (uint32_t)nx_rng_range(&in->rng, 1, wl->o.qd_max);
	in->think_max_ns = nx_rng_range(&in->rng, 0, 100000);
	in->w_read = (uint32_t)nx_rng_range(&in->rng, 1, 10);
	in->w_write = (uint32_t)nx_rng_range(&in->rng, 1, 10);
	in->w_tur = (uint32_t)nx_rng_range(&in->rng, 0, 1);
	in->ctl_ppm = (uint32_t)nx_rng_range(&in->rng, 200, 5000);
	if (wl->o.ctl_ppm != 0)
		in->ctl_ppm = wl->o.ctl_ppm;
	if (wl->o.control) {
		in->w_sync = (uint32_t)nx_rng_range(&in->rng, 0, 2);
		in->fua_pct = (uint32_t)nx_rng_range(&in->rng, 0, 50);
	}
	if (wl->o.closed_loop) { /* after the draws: the same streams */
		in->qd = wl->o.qd_max;
		in->think_max_ns = 0;
		in->w_tur = 0;
	}
	for (unsigned i = 0; i < QD_LIMIT; i++) {
		struct cmd *c = &in->cmds[i];

		c->slot = (uint8_t)i;
		c->buf = malloc((size_t)BLOCKS_LIMIT * BLOCK);
		c->rx.buf = c->buf;
		c->rx.tag = malloc(BLOCKS_LIMIT * sizeof(uint64_t));
		if (c->buf == NULL || c->rx.tag == NULL)
			nx_scn_fail(wl->env, "out of memory");
	}
	in->wgen = aligned_alloc(64, (size_t)(BLOCKS_LIMIT + 1) * BLOCK);
	if (in->wgen == NULL)
		nx_scn_fail(wl->env, "out of memory");
	nx_log(NX_LOG_INFO, "scn: ini%u qd=%u think<=%lluns mix r%u/w%u/t%u ctl=%uppm",
	       idx, in->qd, (unsigned long long)in->think_max_ns, in->w_read,
	       in->w_write, in->w_tur, in->ctl_ppm);
}

/* ---- the end --------------------------------------------------------------------------- */

bool wl_quiet(void *arg)
{
	struct wl *wl = arg;

	for (unsigned i = 0; i < wl->o.initiators; i++) {
		const struct ini *in = &wl->ini[i];

		if (in->outstanding || in->ctl_busy || in->tmf_out || in->recover ||
		    in->down ||
		    in->need_relogin)
			return false;
	}
	return true;
}

void wl_report_lost(struct wl *wl)
{
	for (unsigned i = 0; i < wl->o.initiators; i++) {
		struct ini *in = &wl->ini[i];

		for (unsigned k = 0; k < in->qd; k++)
			if (in->cmds[k].busy)
				nx_scn_fail(wl->env, "initiator %u: task lost: %s "
					    "itt 0x%x cmdsn %u sent %d at %llu ns "
					    "never completed", i,
					    wl_cdb_name(&in->cmds[k]),
					    in->cmds[k].req.itt,
					    in->cmds[k].req.cmdsn,
					    in->cmds[k].req.sent,
					    (unsigned long long)in->cmds[k].submit_ns);
		if (in->ctl_busy)
			nx_scn_fail(wl->env, "initiator %u: TMF %u never answered",
				    i, in->tmf.function);
	}
}

/* Reads the whole region back through initiator 0: every acknowledged
 * write is there. */
void wl_final_verify(struct wl *wl)
{
	struct ini *in = &wl->ini[0];
	uint8_t *buf = in->cmds[0].buf;

	for (uint64_t lba = 0; lba < wl->region; lba += BLOCKS_LIMIT) {
		uint32_t n = (uint32_t)NX_MIN(wl->region - lba, (uint64_t)BLOCKS_LIMIT);
		uint8_t cdb[10] = { 0x28 };

		nx_put_be32(cdb + 2, (uint32_t)lba);
		nx_put_be16(cdb + 7, (uint16_t)n);
		wl_sync_cmd_ua(wl, in, cdb, 10, NX_INI_DIR_READ, buf, n * BLOCK);
		wl_shadow_check(wl, buf, lba, n, 0);
	}
}
