/*
 * alua.c - asymmetric logical unit access (SPC-4 5.16.2): target port
 * groups, the primary target port asymmetric access state of each group
 * as each LU sees it, the command gate those states impose, REPORT TARGET
 * PORT GROUPS (SPC-4 6.37) and SET TARGET PORT GROUPS (SPC-4 6.45).
 *
 * Model: a target has up to NX_ALUA_GROUPS_MAX target port groups, each
 * holding relative target ports (the iSCSI transport makes one per target
 * portal group: RTPI = TPGT).  Every LU keeps a state and a STATUS CODE
 * per group, so SET TARGET PORT GROUPS changes only the addressed LU;
 * implicit transitions (nx_alua_set_state, the simulator's fail-over hook)
 * change a group on every LU.  Supported states: active/optimized,
 * active/non-optimized, standby, unavailable and transitioning (T_SUP,
 * reported while an implicit transition with a delay is under way).
 * Offline (a secondary state) and logical block dependent (referrals) are
 * not implemented, so O_SUP and LBD_SUP are zero and SET TARGET PORT
 * GROUPS refuses them.  Standard INQUIRY reports TPGS 11b: implicit and
 * explicit management.  Explicit transitions are single indivisible
 * events: SET TARGET PORT GROUPS completes with the new state in effect.
 *
 * A target nobody declared groups for still answers: group 1,
 * active/optimized, holding every relative target port a nexus arrived
 * on (nx_alua_port_seen), so TPGS stays truthful for every embedder.
 */
#include "scsi_internal.h"

#define RTPG_HDR_LEN 4
#define RTPG_EXT_HDR_LEN 8
#define RTPG_DESC_LEN 8
#define RTPG_PORT_LEN 4
#define RTPG_CAP (RTPG_EXT_HDR_LEN +                                          \
		  NX_ALUA_GROUPS_MAX * (RTPG_DESC_LEN +                        \
					NX_ALUA_PORTS_MAX * RTPG_PORT_LEN))
#define RTPG_FMT_LENGTH_ONLY 0
#define RTPG_FMT_EXTENDED 1
/* T_SUP, U_SUP, S_SUP, AN_SUP, AO_SUP (SPC-4 6.37 table 306) */
#define RTPG_SUPPORTED 0x8f
#define PREF_BIT 0x80

/* STATUS CODE (SPC-4 6.37 table 308) */
#define STATUS_NONE 0x00
#define STATUS_EXPLICIT 0x01
#define STATUS_IMPLICIT 0x02

#define STPG_HDR_LEN 4
#define STPG_DESC_LEN 4
/* Vendor specific length limit (SPC-4 6.45): one descriptor per group. */
#define STPG_LEN_MAX (STPG_HDR_LEN + STPG_DESC_LEN * NX_ALUA_GROUPS_MAX)

/* Sense codes (SPC-4 5.16.2.4.4, 5.16.2.4.5, 5.16.2.5) */
#define SK_NOT_READY 0x02
#define ASC_NOT_ACCESSIBLE 0x04
#define ASCQ_TRANSITION 0x0a
#define ASCQ_STANDBY 0x0b
#define ASCQ_UNAVAILABLE 0x0c
#define ASC_PARAMS_CHANGED 0x2a
#define ASCQ_STATE_CHANGED 0x06
#define ASCQ_IMPLICIT_FAILED 0x07

/* ---- lookups ------------------------------------------------------------- */

static int group_index(const struct nx_alua *a, uint16_t id)
{
	for (unsigned i = 0; i < a->group_count; i++)
		if (a->groups[i].id == id)
			return (int)i;
	return -1;
}

static int port_group_index(const struct nx_alua *a, uint16_t rtpi)
{
	for (unsigned i = 0; i < a->group_count; i++) {
		const struct nx_alua_group *g = &a->groups[i];
		for (unsigned k = 0; k < g->port_count; k++)
			if (g->ports[k] == rtpi)
				return (int)i;
	}
	return -1;
}

bool nx_alua_port_group(const struct nx_target *tgt, uint16_t rtpi,
			uint16_t *group)
{
	int g = port_group_index(&tgt->alua, rtpi);

	if (g < 0)
		return false;
	*group = tgt->alua.groups[g].id;
	return true;
}

/* Every nexus keeps the index of its port's group, which changes only
 * when a group or a port enters the tables: a command's state lookup is
 * then one load, not a walk of the groups and their ports. */
static void nexus_groups_update(struct nx_target *tgt)
{
	for (struct nx_nexus *n = tgt->nexus_head; n != NULL; n = n->next)
		n->alua_group = (int16_t)port_group_index(&tgt->alua, n->rtpi);
}

void nx_alua_nexus_init(struct nx_nexus *n)
{
	n->alua_group = (int16_t)port_group_index(&n->tgt->alua, n->rtpi);
}

/* The state t's LU has through t's target port; -1 for a port in no
 * group (no asymmetric access: everything allowed) or no LU. */
static int task_state(const struct nx_task *t)
{
	const struct nx_lu *lu = t->priv.lu;
	int g;

	if (lu == NULL || t->nexus == NULL)
		return -1;
	g = t->nexus->alua_group;
	return g < 0 ? -1 : lu->alua.state[g];
}

bool nx_alua_unavailable(const struct nx_task *t)
{
	return task_state(t) == NX_ALUA_UNAVAILABLE;
}

static bool primary_settable(unsigned state)
{
	return state == NX_ALUA_ACTIVE_OPTIMIZED ||
	       state == NX_ALUA_ACTIVE_NON_OPTIMIZED ||
	       state == NX_ALUA_STANDBY || state == NX_ALUA_UNAVAILABLE;
}

/* ---- configuration --------------------------------------------------------- */

/* A group entered the table at pos: every LU's per-group arrays shift. */
static void lus_insert_group(struct nx_target *tgt, unsigned pos,
			     uint8_t initial)
{
	unsigned count = tgt->alua.group_count;

	nx_assert(pos < count && count <= NX_ALUA_GROUPS_MAX);
	for (unsigned i = 0; i < tgt->lu_count; i++) {
		struct nx_alua_lu *la = &tgt->lus[i]->alua;
		memmove(&la->state[pos + 1], &la->state[pos], count - 1 - pos);
		memmove(&la->status[pos + 1], &la->status[pos], count - 1 - pos);
		la->state[pos] = initial;
		la->status[pos] = STATUS_NONE;
	}
}

static int group_insert(struct nx_target *tgt, uint16_t id, uint8_t initial,
			bool pref)
{
	struct nx_alua *a = &tgt->alua;
	unsigned pos = 0;

	if (group_index(a, id) >= 0)
		return NX_EINVAL;
	if (a->group_count == NX_ALUA_GROUPS_MAX)
		return NX_ENOSPC;
	while (pos < a->group_count && a->groups[pos].id < id)
		pos++;
	memmove(&a->groups[pos + 1], &a->groups[pos],
		(a->group_count - pos) * sizeof(a->groups[0]));
	memset(&a->groups[pos], 0, sizeof(a->groups[pos]));
	a->groups[pos].id = id;
	a->groups[pos].initial = initial;
	a->groups[pos].pref = pref;
	a->group_count++;
	lus_insert_group(tgt, pos, initial);
	return NX_OK;
}

int nx_alua_add_group(struct nx_target *tgt, uint16_t group,
		      enum nx_alua_state state, bool pref)
{
	struct nx_alua *a = &tgt->alua;

	nx_assert(tgt != NULL);
	if (!primary_settable(state))
		return NX_EINVAL;
	if (!a->declared) {
		/* Declared groups replace the implicit group 1. */
		nx_assert(a->timer == NULL || !a->groups[0].trans_pending);
		a->group_count = 0;
		a->declared = true;
		for (unsigned i = 0; i < tgt->lu_count; i++)
			memset(&tgt->lus[i]->alua, 0, sizeof(tgt->lus[i]->alua));
	}
	int rc = group_insert(tgt, group, (uint8_t)state, pref);

	nexus_groups_update(tgt);
	return rc;
}

static int port_insert(struct nx_alua_group *g, uint16_t rtpi)
{
	unsigned pos = 0;

	if (g->port_count == NX_ALUA_PORTS_MAX)
		return NX_ENOSPC;
	while (pos < g->port_count && g->ports[pos] < rtpi)
		pos++;
	memmove(&g->ports[pos + 1], &g->ports[pos],
		(g->port_count - pos) * sizeof(g->ports[0]));
	g->ports[pos] = rtpi;
	g->port_count++;
	return NX_OK;
}

int nx_alua_add_port(struct nx_target *tgt, uint16_t group, uint16_t rtpi)
{
	struct nx_alua *a = &tgt->alua;
	int g = group_index(a, group);

	nx_assert(tgt != NULL);
	/* SPC-4 7.8.6.7: relative target port identifier 0 is reserved. */
	if (g < 0 || !a->declared || rtpi == 0 || port_group_index(a, rtpi) >= 0)
		return NX_EINVAL;
	int rc = port_insert(&a->groups[g], rtpi);

	nexus_groups_update(tgt);
	return rc;
}

void nx_alua_port_seen(struct nx_target *tgt, uint16_t rtpi)
{
	struct nx_alua *a = &tgt->alua;

	if (a->declared || rtpi == 0 || port_group_index(a, rtpi) >= 0)
		return;
	if (a->group_count == 0 &&
	    group_insert(tgt, 1, NX_ALUA_ACTIVE_OPTIMIZED, false) != NX_OK)
		return;
	if (port_insert(&a->groups[0], rtpi) != NX_OK)
		nx_log(NX_LOG_WARN, "%s: relative target port %u is in no target "
		       "port group (more than %d ports)", tgt->name, rtpi,
		       NX_ALUA_PORTS_MAX);
	nexus_groups_update(tgt);
}

void nx_alua_set_transition_time(struct nx_target *tgt, uint8_t seconds)
{
	tgt->alua.transition_s = seconds;
}

void nx_alua_lu_init(struct nx_target *tgt, struct nx_lu *lu)
{
	memset(&lu->alua, 0, sizeof(lu->alua));
	for (unsigned i = 0; i < tgt->alua.group_count; i++)
		lu->alua.state[i] = tgt->alua.groups[i].initial;
}

void nx_alua_target_free(struct nx_target *tgt)
{
	if (tgt->alua.timer != NULL)
		nx_timer_free(tgt->alua.timer);
	tgt->alua.timer = NULL;
}

int nx_alua_get_state(const struct nx_target *tgt, uint64_t lun,
		      uint16_t group)
{
	const struct nx_lu *lu = nx_target_find_lu(tgt, lun);
	int g = group_index(&tgt->alua, group);

	if (lu == NULL || g < 0)
		return -1;
	return lu->alua.state[g];
}

/* ---- implicit transitions (SPC-4 5.16.2.5, 5.16.2.7) ------------------------ */

/* Every LU whose state of group g is `from` (any state when from < 0)
 * moves to `to` with STATUS CODE 02h; each LU that changed gets the UA
 * (ascq of 2Ah) on every I_T nexus. */
static void implicit_apply(struct nx_target *tgt, unsigned g, int from,
			   uint8_t to, uint8_t ascq)
{
	for (unsigned i = 0; i < tgt->lu_count; i++) {
		struct nx_lu *lu = tgt->lus[i];
		uint8_t *st = &lu->alua.state[g];
		if (from >= 0 && *st != from)
			continue;
		if (*st == to && ascq == ASCQ_STATE_CHANGED)
			continue;
		*st = to;
		lu->alua.status[g] = STATUS_IMPLICIT;
		nx_ua_establish_all(tgt, lu, NULL, ASC_PARAMS_CHANGED, ascq);
	}
}

static void transition_end(struct nx_target *tgt, unsigned g)
{
	struct nx_alua_group *grp = &tgt->alua.groups[g];

	grp->trans_pending = false;
	/* A failed transition leaves the group unavailable, as SPC-4
	 * 5.16.2.5 asks of a failed explicit one. */
	if (grp->trans_fail)
		implicit_apply(tgt, g, NX_ALUA_TRANSITIONING, NX_ALUA_UNAVAILABLE,
			       ASCQ_IMPLICIT_FAILED);
	else
		implicit_apply(tgt, g, NX_ALUA_TRANSITIONING, grp->trans_to,
			       ASCQ_STATE_CHANGED);
}

static void transition_timer(void *arg)
{
	struct nx_target *tgt = arg;
	struct nx_alua *a = &tgt->alua;
	uint64_t now = nx_clock_ns(), next = UINT64_MAX;

	/* Ascending group order: deterministic when deadlines coincide. */
	for (unsigned g = 0; g < a->group_count; g++) {
		if (!a->groups[g].trans_pending)
			continue;
		if (a->groups[g].trans_deadline_ns <= now)
			transition_end(tgt, g);
		else if (a->groups[g].trans_deadline_ns < next)
			next = a->groups[g].trans_deadline_ns;
	}
	if (next != UINT64_MAX)
		nx_timer_arm(a->timer, next - now);
}

static int transition_start(struct nx_target *tgt, unsigned g,
			    uint8_t state, uint64_t delay_ns, bool fail)
{
	struct nx_alua *a = &tgt->alua;
	struct nx_alua_group *grp = &a->groups[g];

	if (a->timer == NULL)
		a->timer = nx_timer_new(transition_timer, tgt);
	if (a->timer == NULL)
		return NX_ENOMEM;
	for (unsigned i = 0; i < tgt->lu_count; i++) {
		tgt->lus[i]->alua.state[g] = NX_ALUA_TRANSITIONING;
		tgt->lus[i]->alua.status[g] = STATUS_IMPLICIT;
	}
	grp->trans_pending = true;
	grp->trans_fail = fail;
	grp->trans_to = state;
	grp->trans_deadline_ns = nx_clock_ns() + delay_ns;
	/* Re-arming picks the nearest deadline: the callback re-arms for
	 * the others. */
	uint64_t nearest = delay_ns;
	for (unsigned k = 0; k < a->group_count; k++) {
		const struct nx_alua_group *o = &a->groups[k];
		uint64_t now = nx_clock_ns();
		if (o->trans_pending && o->trans_deadline_ns > now &&
		    o->trans_deadline_ns - now < nearest)
			nearest = o->trans_deadline_ns - now;
	}
	nx_timer_arm(a->timer, nearest);
	return NX_OK;
}

int nx_alua_set_state(struct nx_target *tgt, uint16_t group,
		      enum nx_alua_state state, uint64_t delay_ns, bool fail)
{
	struct nx_alua *a = &tgt->alua;
	int g = group_index(a, group);

	nx_assert(tgt != NULL);
	if (g < 0)
		return NX_ENOENT;
	if (!primary_settable(state))
		return NX_EINVAL;
	if (delay_ns > 0)
		return transition_start(tgt, (unsigned)g, (uint8_t)state,
					delay_ns, fail);
	a->groups[g].trans_pending = false;
	if (fail)
		implicit_apply(tgt, (unsigned)g, -1, NX_ALUA_UNAVAILABLE,
			       ASCQ_IMPLICIT_FAILED);
	else
		implicit_apply(tgt, (unsigned)g, -1, (uint8_t)state,
			       ASCQ_STATE_CHANGED);
	return NX_OK;
}

/* ---- the gate (SPC-4 5.16.2.4, 5.16.2.5) ------------------------------------- */

/* Dispatch calls this once the opcode is known and before the CDB is
 * judged: a command the state does not allow is NOT READY whatever its
 * fields say.  Active states allow every command. */
enum nx_sense_reason nx_alua_check(struct nx_task *t)
{
	uint32_t flags = t->priv.op->flags;
	uint8_t ascq;

	switch (task_state(t)) {
	case NX_ALUA_STANDBY:
		if (flags & NX_OP_ALUA_STANDBY)
			return NX_SR_OK;
		ascq = ASCQ_STANDBY;
		break;
	case NX_ALUA_UNAVAILABLE:
		if (flags & NX_OP_ALUA_UNAVAIL)
			return NX_SR_OK;
		ascq = ASCQ_UNAVAILABLE;
		break;
	case NX_ALUA_TRANSITIONING:
		if (flags & NX_OP_ALUA_TRANS)
			return NX_SR_OK;
		ascq = ASCQ_TRANSITION;
		break;
	default:
		return NX_SR_OK;
	}
	nx_sense_build(t, SK_NOT_READY, ASC_NOT_ACCESSIBLE, ascq, NULL, false,
		       0);
	return NX_SR_CHECK_CONDITION_SET;
}

/* ---- REPORT TARGET PORT GROUPS (SPC-4 6.37) ---------------------------------- */

enum nx_sense_reason nx_alua_rtpg_parse(struct nx_task *t)
{
	/* PARAMETER DATA FORMAT 010b..111b are reserved (table 303). */
	if ((t->cdb[1] >> 5) > RTPG_FMT_EXTENDED)
		return nx_spc_bad_cdb(t, 1, 7);
	nx_spc_data_in(t, nx_get_be32(t->cdb + 6));
	return NX_SR_OK;
}

/* One target port group descriptor (table 306); returns its length. */
static size_t rtpg_desc(const struct nx_alua_group *g, uint8_t state,
			uint8_t status, uint8_t *p)
{
	p[0] = (uint8_t)((g->pref ? PREF_BIT : 0) | (state & 0x0f));
	p[1] = RTPG_SUPPORTED;
	nx_put_be16(p + 2, g->id);
	p[4] = 0;
	p[5] = status;
	p[6] = 0;
	p[7] = g->port_count;
	for (unsigned k = 0; k < g->port_count; k++) {
		uint8_t *q = p + RTPG_DESC_LEN + k * RTPG_PORT_LEN;
		q[0] = q[1] = 0;
		nx_put_be16(q + 2, g->ports[k]);
	}
	return RTPG_DESC_LEN + (size_t)g->port_count * RTPG_PORT_LEN;
}

enum nx_sense_reason nx_alua_rtpg_exec(struct nx_task *t)
{
	const struct nx_alua *a = &t->nexus->tgt->alua;
	const struct nx_lu *lu = t->priv.lu;
	bool ext = (t->cdb[1] >> 5) == RTPG_FMT_EXTENDED;
	size_t len = ext ? RTPG_EXT_HDR_LEN : RTPG_HDR_LEN;
	uint8_t *d = nx_alloc(RTPG_CAP);

	nx_assert(lu != NULL);
	if (d == NULL)
		return NX_SR_INSUFFICIENT_RESOURCES;
	if (ext) {
		d[4] = RTPG_FMT_EXTENDED << 4; /* FORMAT TYPE (table 305) */
		d[5] = a->transition_s;
	}
	/* SPC-4 6.37: every target port group shall contain a target port;
	 * an empty one (declared, no port yet) is left out. */
	for (unsigned g = 0; g < a->group_count; g++)
		if (a->groups[g].port_count > 0)
			len += rtpg_desc(&a->groups[g], lu->alua.state[g],
					 lu->alua.status[g], d + len);
	nx_assert(len <= RTPG_CAP);
	/* RETURN DATA LENGTH (n-3): everything after the first 4 bytes. */
	nx_put_be32(d, (uint32_t)(len - RTPG_HDR_LEN));
	nx_task_put_data(t, d, (uint32_t)len);
	nx_free(d);
	return NX_SR_OK;
}

/* ---- SET TARGET PORT GROUPS (SPC-4 6.45) -------------------------------------- */

enum nx_sense_reason nx_alua_stpg_parse(struct nx_task *t)
{
	uint32_t len = nx_get_be32(t->cdb + 6);

	/* 0: no data, no change.  Otherwise the header and whole
	 * descriptors, at most one per group (vendor specific limit). */
	if (len != 0 && (len < STPG_HDR_LEN || len > STPG_LEN_MAX ||
			 (len - STPG_HDR_LEN) % STPG_DESC_LEN != 0))
		return nx_spc_bad_cdb(t, 6, 7);
	t->data_len = len;
	t->dir = len ? NX_DIR_WRITE : NX_DIR_NONE;
	return NX_SR_OK;
}

static enum nx_sense_reason bad_param(struct nx_task *t, uint16_t byte,
				      int bit)
{
	t->priv.field.valid = true;
	t->priv.field.in_cdb = false;
	t->priv.field.bit_valid = bit >= 0;
	t->priv.field.bit = (uint8_t)(bit >= 0 ? bit : 0);
	t->priv.field.byte = byte;
	return NX_SR_INVALID_FIELD_IN_PARAM;
}

/* Validates every descriptor before anything changes; fills idx[] with
 * the group index of each.  Unknown and repeated groups are an invalid
 * combination; offline (Eh), logical block dependent (4h), transitioning
 * (Fh) and reserved codes are unsupported states: all INVALID FIELD IN
 * PARAMETER LIST (SPC-4 6.45, table 330), field pointer at the field. */
static enum nx_sense_reason stpg_validate(struct nx_task *t, unsigned n,
					  uint8_t *idx)
{
	const struct nx_alua *a = &t->nexus->tgt->alua;
	const uint8_t *d = t->data;
	bool seen[NX_ALUA_GROUPS_MAX] = { false };

	for (uint16_t i = 0; i < STPG_HDR_LEN; i++)
		if (d[i] != 0)
			return bad_param(t, i, 7);
	for (unsigned k = 0; k < n; k++) {
		uint16_t off = (uint16_t)(STPG_HDR_LEN + k * STPG_DESC_LEN);
		const uint8_t *p = d + off;
		if (p[0] & 0xf0)
			return bad_param(t, off, 7);
		if (!primary_settable(p[0] & 0x0f))
			return bad_param(t, off, 3);
		if (p[1] != 0)
			return bad_param(t, (uint16_t)(off + 1), 7);
		int g = group_index(a, nx_get_be16(p + 2));
		if (g < 0 || seen[g])
			return bad_param(t, (uint16_t)(off + 2), 7);
		seen[g] = true;
		idx[k] = (uint8_t)g;
	}
	return NX_SR_OK;
}

enum nx_sense_reason nx_alua_stpg_exec(struct nx_task *t)
{
	struct nx_lu *lu = t->priv.lu;
	unsigned n = t->data_len ? (t->data_len - STPG_HDR_LEN) / STPG_DESC_LEN : 0;
	uint8_t idx[NX_ALUA_GROUPS_MAX];
	bool changed = false;

	nx_assert(lu != NULL);
	nx_assert(n <= NX_ALUA_GROUPS_MAX);
	if (n == 0)
		return NX_SR_OK;
	enum nx_sense_reason r = stpg_validate(t, n, idx);
	if (r != NX_SR_OK)
		return r;
	for (unsigned k = 0; k < n; k++) {
		uint8_t state = t->data[STPG_HDR_LEN + k * STPG_DESC_LEN] & 0x0f;
		if (lu->alua.state[idx[k]] == state)
			continue;
		lu->alua.state[idx[k]] = state;
		lu->alua.status[idx[k]] = STATUS_EXPLICIT;
		changed = true;
	}
	/* SPC-4 5.16.2.5: every I_T nexus but the one that asked. */
	if (changed)
		nx_ua_establish_all(t->nexus->tgt, lu, t->nexus,
				    ASC_PARAMS_CHANGED, ASCQ_STATE_CHANGED);
	return NX_SR_OK;
}
