/*
 * pr_model.c - the persistent reservation model of the scenario engine
 * (pr_model.h).
 */
#include <stdio.h>
#include <string.h>

#include "pr_model.h"
#include "../../core/nx_wire.h"

enum op {
	OP_REGISTER_NEW,   /* REGISTER, not registered: RK 0, SARK new */
	OP_REGISTER_KEY,   /* REGISTER (or AND IGNORE EXISTING KEY): new key */
	OP_UNREGISTER,     /* REGISTER with SARK 0 (no reservation held) */
	OP_RESERVE,        /* both registered, none held: WE_AR or EA_AR */
	OP_RELEASE,
	OP_CLEAR,
	OP_PREEMPT,        /* the other's registration, none held */
	OP_READ_KEYS,
	OP_READ_RESERVATION,
	OP_COUNT
};

/* Registering and reserving are favoured: the interesting states (both
 * registered, a reservation held) are the ones CLEAR and PREEMPT leave. */
static const unsigned op_weight[OP_COUNT] = { 3, 1, 1, 4, 2, 1, 1, 1, 1 };
#define WEIGHT_SUM 15

static const char *const op_names[OP_COUNT] = {
	"PROUT REGISTER", "PROUT REGISTER (new key)", "PROUT REGISTER (unregister)",
	"PROUT RESERVE", "PROUT RELEASE", "PROUT CLEAR", "PROUT PREEMPT",
	"PRIN READ KEYS", "PRIN READ RESERVATION",
};

void nx_scn_pr_init(struct nx_scn_pr *pr)
{
	memset(pr, 0, sizeof(*pr));
}

static bool op_valid(const struct nx_scn_pr_state *s, unsigned me, enum op op)
{
	unsigned other = 1 - me;
	bool reg = s->key[me] != 0, both = reg && s->key[other] != 0;

	switch (op) {
	case OP_REGISTER_NEW:
		return !reg;
	case OP_REGISTER_KEY:
	case OP_CLEAR:
		return reg;
	case OP_UNREGISTER:
		return reg && s->type == 0;
	case OP_RESERVE:
	case OP_PREEMPT:
		return both && s->type == 0;
	case OP_RELEASE:
		return reg && s->type != 0;
	default:
		return true;
	}
}

static uint64_t new_key(struct nx_scn_pr *pr, unsigned me)
{
	return (uint64_t)(me + 1) << 56 | ++pr->key_seq;
}

static void prout_cdb(struct nx_scn_pr_cmd *c, uint8_t sa, uint8_t type,
		      uint64_t rk, uint64_t sark, bool aptpl)
{
	c->out = true;
	c->cdb[0] = 0x5f;
	c->cdb[1] = sa;
	c->cdb[2] = type; /* SCOPE 0h: LU_SCOPE */
	nx_put_be32(c->cdb + 5, NX_SCN_PR_PARAM_MAX);
	nx_put_be64(c->param, rk);
	nx_put_be64(c->param + 8, sark);
	c->param[20] = aptpl ? 0x01 : 0x00;
	c->param_len = NX_SCN_PR_PARAM_MAX;
}

/* Builds the command of op and the state it leads to. */
static void build(struct nx_scn_pr *pr, unsigned me, enum op op,
		  struct nx_rng *r, struct nx_scn_pr_cmd *c)
{
	struct nx_scn_pr_state *n = &pr->pending;
	unsigned other = 1 - me;
	uint64_t key = pr->cur.key[me];

	*n = pr->cur;
	c->ua_to = -1;
	switch (op) {
	case OP_REGISTER_NEW:
	case OP_REGISTER_KEY:
	case OP_UNREGISTER: {
		bool ignore = op == OP_REGISTER_KEY && nx_rng_chance(r, 1, 2);
		n->key[me] = op == OP_UNREGISTER ? 0 : new_key(pr, me);
		n->aptpl = nx_rng_chance(r, 1, 2);
		prout_cdb(c, ignore ? 6 : 0, 0, ignore ? 0 : key, n->key[me],
			  n->aptpl);
		break;
	}
	case OP_RESERVE:
		n->type = nx_rng_chance(r, 1, 2) ? 7 : 8;
		prout_cdb(c, 1, n->type, key, 0, false);
		break;
	case OP_RELEASE:
		prout_cdb(c, 2, pr->cur.type, key, 0, false);
		n->type = 0;
		c->ua_to = (int)other;
		c->ua_ascq = 0x04;
		break;
	case OP_CLEAR:
		prout_cdb(c, 3, 0, key, 0, false);
		if (pr->cur.key[other] != 0) {
			c->ua_to = (int)other;
			c->ua_ascq = 0x03;
		}
		n->key[0] = n->key[1] = 0;
		n->type = 0;
		break;
	case OP_PREEMPT:
		prout_cdb(c, 4, 7, key, pr->cur.key[other], false);
		n->key[other] = 0;
		c->ua_to = (int)other;
		c->ua_ascq = 0x05;
		break;
	default:
		c->cdb[0] = 0x5e;
		c->cdb[1] = op == OP_READ_KEYS ? 0 : 1;
		nx_put_be16(c->cdb + 7, NX_SCN_PR_DATA_IN_MAX);
		c->data_in_len = NX_SCN_PR_DATA_IN_MAX;
		break;
	}
}

/* Op goes in flight (pr_model_test.c starts chosen ones here too). */
static void begin(struct nx_scn_pr *pr, unsigned ini, enum op op,
		  struct nx_rng *r, struct nx_scn_pr_cmd *cmd)
{
	nx_assert(!pr->busy);
	memset(cmd, 0, sizeof(*cmd));
	build(pr, ini, op, r, cmd);
	cmd->name = op_names[op];
	pr->busy = true;
	pr->issuer = ini;
	pr->out = cmd->out;
	pr->read_pre_restart = false;
	pr->prin_sa = cmd->cdb[1];
	pr->sent++;
}

bool nx_scn_pr_pick(struct nx_scn_pr *pr, unsigned ini, struct nx_rng *r,
		    struct nx_scn_pr_cmd *cmd)
{
	enum op ops[WEIGHT_SUM];
	unsigned n = 0;

	nx_assert(ini < NX_SCN_PR_INI);
	if (pr->busy)
		return false;
	/* an unknown outcome is settled by reading before anything changes */
	for (unsigned k = 0; k < OP_COUNT; k++)
		if (op_valid(&pr->cur, ini, (enum op)k) &&
		    (!pr->unknown || k == OP_READ_KEYS || k == OP_READ_RESERVATION))
			for (unsigned w = 0; w < op_weight[k]; w++)
				ops[n++] = (enum op)k;
	nx_assert(n > 0);
	begin(pr, ini, ops[nx_rng_below(r, n)], r, cmd);
	return true;
}

/* ---- checks ------------------------------------------------------------------ */

static bool same(const struct nx_scn_pr_state *a, const struct nx_scn_pr_state *b)
{
	return a->key[0] == b->key[0] && a->key[1] == b->key[1] &&
	       a->type == b->type && a->aptpl == b->aptpl;
}

/* READ KEYS (SPC-4 6.15.2): the registered keys, in any order. */
static bool keys_match(const struct nx_scn_pr_state *s, const uint8_t *d,
		       uint32_t len)
{
	unsigned want = (s->key[0] != 0) + (s->key[1] != 0);
	bool seen[NX_SCN_PR_INI] = { false, false };

	if (len < 8 || nx_get_be32(d + 4) != 8 * want || len != 8 + 8 * want)
		return false;
	for (unsigned i = 0; i < want; i++) {
		uint64_t k = nx_get_be64(d + 8 + 8 * i);
		unsigned j = 0;

		while (j < NX_SCN_PR_INI && (s->key[j] != k || seen[j]))
			j++;
		if (j == NX_SCN_PR_INI)
			return false;
		seen[j] = true;
	}
	return true;
}

/* READ RESERVATION (6.15.3): none, or the type with key 0 (all
 * registrants, 6.15.3.2). */
static bool res_match(const struct nx_scn_pr_state *s, const uint8_t *d,
		      uint32_t len)
{
	if (len < 8)
		return false;
	if (s->type == 0)
		return len == 8 && nx_get_be32(d + 4) == 0;
	return len == 24 && nx_get_be32(d + 4) == 16 && nx_get_be64(d + 8) == 0 &&
	       d[21] == s->type;
}

static void describe(const struct nx_scn_pr_state *s, char *buf, size_t len)
{
	snprintf(buf, len, "keys %016llx %016llx type %u aptpl %d",
		 (unsigned long long)s->key[0], (unsigned long long)s->key[1],
		 s->type, s->aptpl);
}

static bool matches(const struct nx_scn_pr_state *s, const uint8_t *keys,
		    uint32_t keys_len, const uint8_t *res, uint32_t res_len)
{
	return (keys == NULL || keys_match(s, keys, keys_len)) &&
	       (res == NULL || res_match(s, res, res_len));
}

/* Which candidates the answer fits: bit 0 cur, bit 1 alt (if unknown). */
static unsigned fits(const struct nx_scn_pr_state *cur,
		     const struct nx_scn_pr_state *alt, bool unknown,
		     const uint8_t *keys, uint32_t keys_len, const uint8_t *res,
		     uint32_t res_len)
{
	return (matches(cur, keys, keys_len, res, res_len) ? 1u : 0u) |
	       (unknown && matches(alt, keys, keys_len, res, res_len) ? 2u : 0u);
}

/* An answer that fits one candidate only settles the state. */
static void settle(struct nx_scn_pr *pr, unsigned fit)
{
	nx_assert(fit != 0);
	if (fit == 2)
		pr->cur = pr->alt;
	if (fit != 3)
		pr->unknown = false;
}

static void mismatch(const struct nx_scn_pr_state *cur,
		     const struct nx_scn_pr_state *alt, bool unknown,
		     const char *when, const uint8_t *keys, uint32_t keys_len,
		     const uint8_t *res, uint32_t res_len, char *why,
		     size_t why_len)
{
	const uint8_t *d = keys != NULL ? keys : res;
	char a[96], b[96];

	describe(cur, a, sizeof(a));
	describe(alt, b, sizeof(b));
	snprintf(why, why_len, "reservation state: the target reports %s "
		 "(%u bytes: %02x%02x%02x%02x %016llx ...), the model expects "
		 "%s%s%s%s", keys != NULL ? "READ KEYS" : "READ RESERVATION",
		 keys != NULL ? keys_len : res_len, d[4], d[5], d[6], d[7],
		 (unsigned long long)nx_get_be64(d + 8), a, unknown ? " or " : "",
		 unknown ? b : "", when);
}

bool nx_scn_pr_check(struct nx_scn_pr *pr, const uint8_t *keys,
		     uint32_t keys_len, const uint8_t *res, uint32_t res_len,
		     char *why, size_t why_len)
{
	unsigned fit = fits(&pr->cur, &pr->alt, pr->unknown, keys, keys_len,
			    res, res_len);

	pr->checked++;
	if (fit == 0) {
		mismatch(&pr->cur, &pr->alt, pr->unknown, "", keys, keys_len,
			 res, res_len, why, why_len);
		return false;
	}
	settle(pr, fit);
	return true;
}

/* A PRIN sent before a target restart and answered GOOD after it ran on
 * the old target: its connection died with it, and no command of an old
 * connection reaches a new target.  It reports the state when the device
 * server processed it (SPC-4 6.15.1), i.e. before the restart, not what
 * APTPL let survive (5.12.4).  Nothing else ran since (one command at a
 * time), so the candidates now are the restart's images of those it
 * saw, and the answer settles them alike. */
static bool check_pre_restart(struct nx_scn_pr *pr, const uint8_t *keys,
			      uint32_t keys_len, const uint8_t *res,
			      uint32_t res_len, char *why, size_t why_len)
{
	unsigned fit = fits(&pr->pre_cur, &pr->pre_alt, pr->pre_unknown, keys,
			    keys_len, res, res_len);

	pr->checked++;
	if (fit == 0) {
		mismatch(&pr->pre_cur, &pr->pre_alt, pr->pre_unknown,
			 " before the target restart (answered after it)",
			 keys, keys_len, res, res_len, why, why_len);
		return false;
	}
	nx_assert(pr->pre_unknown || !pr->unknown);
	if (pr->unknown)
		settle(pr, fit);
	return true;
}

bool nx_scn_pr_done(struct nx_scn_pr *pr, enum nx_scn_pr_outcome o,
		    const uint8_t *din, uint32_t din_len, char *why,
		    size_t why_len)
{
	nx_assert(pr->busy);
	pr->busy = false;
	if (!pr->out) {
		/* serialized: what it saw is the model's state (or one of the
		 * two candidates, which it may settle) */
		bool pre = pr->read_pre_restart;
		const uint8_t *keys = pr->prin_sa == 0 ? din : NULL;
		const uint8_t *res = pr->prin_sa == 0 ? NULL : din;

		pr->read_pre_restart = false;
		if (o != NX_SCN_PR_GOOD)
			return true;
		if (pre)
			return check_pre_restart(pr, keys, din_len, res, din_len,
						 why, why_len);
		return nx_scn_pr_check(pr, keys, din_len, res, din_len, why,
				       why_len);
	}
	if (o == NX_SCN_PR_GOOD) {
		pr->cur = pr->pending;
	} else if (o == NX_SCN_PR_UNKNOWN && !same(&pr->cur, &pr->pending)) {
		pr->alt = pr->pending;
		pr->unknown = true;
	}
	return true;
}

static void restart_state(struct nx_scn_pr_state *s)
{
	if (!s->aptpl)
		memset(s, 0, sizeof(*s));
}

void nx_scn_pr_restart(struct nx_scn_pr *pr)
{
	/* A PRIN in flight saw the state before the first restart. */
	if (pr->busy && !pr->out && !pr->read_pre_restart) {
		pr->read_pre_restart = true;
		pr->pre_cur = pr->cur;
		pr->pre_alt = pr->alt;
		pr->pre_unknown = pr->unknown;
	}
	restart_state(&pr->cur);
	restart_state(&pr->pending);
	restart_state(&pr->alt);
	if (pr->unknown && same(&pr->cur, &pr->alt))
		pr->unknown = false;
}
