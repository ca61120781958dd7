/*
 * fixture.c - what the in-process backends (sim, loopback) serve, built
 * in one place so both test the same target, and the simulator every
 * backend runs the platform on (nexus-conform links sim/platform_sim.c).
 *
 * Fixture: NX_CONF_TARGET_NAME with LU 0 (RAM, 16 MiB, 512-byte blocks,
 * the LU under test), LU 1 (RAM, 4 MiB, 4096-byte blocks), LU 2 (RAM,
 * 1 MiB, removable medium) and LU 3 (RAM, 1 MiB, read-only);
 * NX_CONF_CHAP_TARGET_NAME requires CHAP (CHAP_USER / CHAP_SECRET; the
 * target answers mutual CHAP as MUTUAL_USER / MUTUAL_SECRET) and has LU 0;
 * ACL_TARGET_NAME admits initiators 0 (read-write) and 1 (every LU
 * read-only) only, LU 0.  A test marked NX_CONF_FX_DISCOVERY_CHAP gets
 * a server whose discovery sessions need CHAP (DISC_USER / DISC_SECRET).
 * Two portals, two target portal groups (TPGT 1 and 2), hence two SCSI
 * target ports, each in its own ALUA target port group.
 */
#include <stdlib.h>
#include <string.h>

#include "nx_conf.h"
#include "../../core/nx_scsi.h"
#include "../../core/backstore/nx_backstore.h"
#include "../../transports/iscsi/nx_iscsi.h"
#include "../../sim/nx_sim.h"

static void fixture_variants(struct nx_iscsi_server_config *sc,
			     struct nx_conf_target *desc);

#define TARGET_NAME "iqn.2026-11.dev.nexus:conform"
#define CHAP_TARGET_NAME "iqn.2026-11.dev.nexus:conform-chap"
#define CHAP_USER "conform-user"
#define CHAP_SECRET "conform-secret-0123"
#define MUTUAL_USER "conform-target"
#define MUTUAL_SECRET "conform-mutual-4567"
#define ACL_TARGET_NAME "iqn.2026-11.dev.nexus:conform-acl"
#define DISC_USER "conform-discovery"
#define DISC_SECRET "conform-discovery-89ab"
#define LU0_BYTES (16u << 20)
#define LU1_BYTES (4u << 20)
#define TRANSITION_S 10 /* IMPLICIT TRANSITION TIME (SPC-4 6.37) */
#define LU23_BYTES (1u << 20)
/* Pending events of one test: TCP segments and timers of <= 32 streams
 * on ideal or lossy links stay far below this. */
#define SIM_EVENTS (1u << 18)

/* Port group g (1, 2) holds relative target port g = TPGT g. */
static int target_groups(struct nx_target *t)
{
	for (uint16_t g = 1; g <= NX_CONF_FIXTURE_PORTS; g++) {
		if (nx_alua_add_group(t, g, NX_ALUA_ACTIVE_OPTIMIZED, false) < 0 ||
		    nx_alua_add_port(t, g, g) < 0)
			return NX_ENOMEM;
	}
	nx_alua_set_transition_time(t, TRANSITION_S);
	return 0;
}

/* Adds one RAM LU; the backstore is freed when the LU is refused. */
static int add_ram_lu(struct nx_target *t, const struct nx_lu_config *cfg,
		      uint64_t bytes)
{
	struct nx_backstore *bs = nx_bs_ram_new(bytes);

	if (bs == NULL)
		return NX_ENOMEM;
	int rc = nx_target_add_lu(t, cfg, bs);
	if (rc < 0)
		nx_bs_destroy(bs);
	return rc;
}

static struct nx_target *target_new(const char *name, bool with_more)
{
	/* LU 0 sanitizes at 1 GiB/s: 16 ms of virtual time for 16 MiB, so
	 * the loopback backend (1 us per poll) waits for it too. */
	struct nx_lu_config lu0 = { .lun = 0, .block_size = 512,
				    .sanitize_bps = 1ull << 30 };
	struct nx_lu_config lu1 = { .lun = 1, .block_size = 4096 };
	struct nx_lu_config lu2 = { .lun = 2, .block_size = 512,
				    .removable = true };
	struct nx_lu_config lu3 = { .lun = 3, .block_size = 512,
				    .read_only = true };
	struct nx_target *t = nx_target_new(name);

	if (t == NULL)
		return NULL;
	if (target_groups(t) < 0) {
		nx_target_free(t);
		return NULL;
	}
	if (add_ram_lu(t, &lu0, LU0_BYTES) < 0 ||
	    (with_more && (add_ram_lu(t, &lu1, LU1_BYTES) < 0 ||
			   add_ram_lu(t, &lu2, LU23_BYTES) < 0 ||
			   add_ram_lu(t, &lu3, LU23_BYTES) < 0))) {
		nx_target_free(t);
		return NULL;
	}
	return t;
}

void nx_conf_fixture_free(struct nx_conf_fixture *f)
{
	if (f->tgt != NULL)
		nx_target_free(f->tgt);
	if (f->chap_tgt != NULL)
		nx_target_free(f->chap_tgt);
	if (f->acl_tgt != NULL)
		nx_target_free(f->acl_tgt);
	f->tgt = f->chap_tgt = f->acl_tgt = NULL;
}

/* The ACL target: the initiator names are nx_conf_config()'s, kept in
 * static storage (the server config only points at them). */
static void fixture_acl(struct nx_conf_fixture *f,
			struct nx_iscsi_server_config *sc,
			struct nx_conf_target *desc)
{
	static char names[2][NX_INI_NAME_MAX];
	struct nx_iscsi_target_config *t = &sc->targets[2];

	nx_conf_initiator_name(0, names[0], sizeof(names[0]));
	nx_conf_initiator_name(1, names[1], sizeof(names[1]));
	t->target = f->acl_tgt;
	t->acl[0] = names[0];
	t->acl[1] = names[1];
	t->acl_ro[1].all = true;
	t->acl_count = 2;
	strcpy(desc->acl_name, ACL_TARGET_NAME);
}

/* The test's fixture variants other than discovery CHAP. */
static void fixture_variants(struct nx_iscsi_server_config *sc,
			     struct nx_conf_target *desc)
{
	unsigned fx = nx_conf_test_fixture();

	if (fx & NX_CONF_FX_CONN_CAPS) {
		sc->limits.max_conns_per_target = NX_CONF_FX_CONN_CAPS_TARGET;
		sc->limits.max_conns_per_portal = NX_CONF_FX_CONN_CAPS_PORTAL;
	}
	if (fx & NX_CONF_FX_ADDR_CAPS) {
		sc->limits.max_sessions_per_address = NX_CONF_FX_ADDR_CAPS_SESSIONS;
		sc->limits.max_logins_per_address = NX_CONF_FX_ADDR_CAPS_LOGINS;
	}
	if (fx & NX_CONF_FX_NO_TARGET_RESET)
		sc->targets[0].refuse_target_reset = true;
	desc->fx = fx;
}

int nx_conf_fixture_new(struct nx_conf_fixture *f, const char *portal,
			const char *portal2, struct nx_iscsi_server_config *sc,
			struct nx_conf_target *desc)
{
	f->tgt = target_new(TARGET_NAME, true);
	f->chap_tgt = target_new(CHAP_TARGET_NAME, false);
	f->acl_tgt = target_new(ACL_TARGET_NAME, false);
	if (f->tgt == NULL || f->chap_tgt == NULL || f->acl_tgt == NULL) {
		nx_conf_fixture_free(f);
		return NX_ENOMEM;
	}
	memset(sc, 0, sizeof(*sc));
	sc->portals[0] = portal;
	sc->portals[1] = portal2;
	sc->portal_count = NX_CONF_FIXTURE_PORTS;
	sc->tpgt = 1;
	sc->portal_tpgt[0] = 1;
	sc->portal_tpgt[1] = 2;
	sc->targets[0].target = f->tgt;
	sc->targets[1].target = f->chap_tgt;
	strcpy(sc->targets[1].chap.user, CHAP_USER);
	strcpy(sc->targets[1].chap.secret, CHAP_SECRET);
	sc->targets[1].chap.set = true;
	strcpy(sc->targets[1].mutual_chap.user, MUTUAL_USER);
	strcpy(sc->targets[1].mutual_chap.secret, MUTUAL_SECRET);
	sc->targets[1].mutual_chap.set = true;
	fixture_acl(f, sc, desc);
	sc->target_count = 3;
	fixture_variants(sc, desc);
	if (nx_conf_test_fixture() & NX_CONF_FX_DISCOVERY_CHAP) {
		strcpy(sc->discovery_chap.user, DISC_USER);
		strcpy(sc->discovery_chap.secret, DISC_SECRET);
		sc->discovery_chap.set = true;
		strcpy(desc->disc_user, DISC_USER);
		strcpy(desc->disc_secret, DISC_SECRET);
	}
	strcpy(desc->name, TARGET_NAME);
	desc->lun = 0;
	desc->blocks = LU0_BYTES / 512;
	desc->block_size = 512;
	desc->ports = NX_CONF_FIXTURE_PORTS;
	desc->local = f->tgt;
	strcpy(desc->chap_name, CHAP_TARGET_NAME);
	strcpy(desc->chap_user, CHAP_USER);
	strcpy(desc->chap_secret, CHAP_SECRET);
	strcpy(desc->mutual_user, MUTUAL_USER);
	strcpy(desc->mutual_secret, MUTUAL_SECRET);
	return 0;
}

struct nx_sim *nx_conf_sim_new(const struct nx_conf_opts *opts, uint64_t seed)
{
	struct nx_sim_opts so = { .seed = seed, .events_max = SIM_EVENTS };
	struct nx_sim *sim = nx_sim_new(&so);

	if (sim == NULL)
		return NULL;
	/* One test at a time: this sim is the platform until freed. */
	nx_sim_set_current(sim);
	nx_sim_log_config(sim, stderr, NX_LOG_WARN);
	nx_sim_set_repro(sim, "nexus-conform --backend %s%s%s%s%s --seed %llu "
			 "--test '%s'", opts->backend ? opts->backend : "sim",
			 opts->target_url ? " --target " : "",
			 opts->target_url ? opts->target_url : "",
			 opts->link ? " --link " : "",
			 opts->link ? opts->link : "",
			 (unsigned long long)opts->seed, nx_conf_test_name());
	return sim;
}

void nx_conf_sim_free(struct nx_sim *sim)
{
	nx_sim_free(sim);
}
