/*
 * authlimit.c - CHAP brute-force lockout (issue 12): a bounded table of
 * keys ("i:<initiator name>", "a:<source address>") with their recent
 * failures.  Pure bookkeeping over nx_clock_ns() values passed in, so it
 * is deterministic and unit-testable; conn.c owns the server's table and
 * builds the keys.
 */
#include "iscsi_internal.h"

void nx_authlimit_init(struct nx_authlimit *al, uint32_t free_fails,
		       uint64_t base_ns, uint64_t max_ns)
{
	nx_assert(al != NULL);
	nx_assert(base_ns > 0 && base_ns <= max_ns);
	memset(al, 0, sizeof(*al));
	al->free_fails = free_fails;
	al->base_ns = base_ns;
	al->max_ns = max_ns;
	/* Quiet for twice the longest lockout: the slate is clean. */
	al->forget_ns = 2 * max_ns;
}

static struct nx_authlimit_entry *al_find(const struct nx_authlimit *al,
					  const char *key)
{
	for (unsigned i = 0; i < NX_AUTHLIMIT_ENTRIES; i++) {
		const struct nx_authlimit_entry *e = &al->e[i];

		if (e->used &&
		    strncmp(e->key, key, NX_AUTHLIMIT_KEY_MAX - 1) == 0)
			return (struct nx_authlimit_entry *)e;
	}
	return NULL;
}

static bool al_stale(const struct nx_authlimit *al,
		     const struct nx_authlimit_entry *e, uint64_t now)
{
	return now >= e->until_ns && now - e->last_ns >= al->forget_ns;
}

/* A free or stale slot, else the one whose lockout ends first. */
static struct nx_authlimit_entry *al_victim(struct nx_authlimit *al,
					    uint64_t now)
{
	struct nx_authlimit_entry *best = &al->e[0];

	for (unsigned i = 0; i < NX_AUTHLIMIT_ENTRIES; i++) {
		struct nx_authlimit_entry *e = &al->e[i];

		if (!e->used || al_stale(al, e, now))
			return e;
		if (e->until_ns < best->until_ns)
			best = e;
	}
	return best;
}

uint64_t nx_authlimit_blocked(const struct nx_authlimit *al, const char *key,
			      uint64_t now_ns)
{
	const struct nx_authlimit_entry *e = al_find(al, key);

	if (e == NULL || now_ns >= e->until_ns)
		return 0;
	return e->until_ns - now_ns;
}

static uint64_t al_delay(const struct nx_authlimit *al, uint32_t fails)
{
	uint32_t k;

	if (fails <= al->free_fails)
		return 0;
	k = fails - al->free_fails - 1;
	/* base << k, saturating at max without shifting past 63 bits */
	if (k >= 63 || al->base_ns > (al->max_ns >> k))
		return al->max_ns;
	return al->base_ns << k;
}

void nx_authlimit_fail(struct nx_authlimit *al, const char *key,
		       uint64_t now_ns)
{
	struct nx_authlimit_entry *e = al_find(al, key);
	size_t n = strlen(key);

	if (n >= NX_AUTHLIMIT_KEY_MAX)
		n = NX_AUTHLIMIT_KEY_MAX - 1; /* a prefix still keys it */
	if (e != NULL && al_stale(al, e, now_ns))
		e->fails = 0;
	if (e == NULL) {
		e = al_victim(al, now_ns);
		memset(e, 0, sizeof(*e));
		memcpy(e->key, key, n);
		e->used = true;
	}
	if (e->fails < UINT32_MAX)
		e->fails++;
	e->last_ns = now_ns;
	e->until_ns = now_ns + al_delay(al, e->fails);
}

void nx_authlimit_ok(struct nx_authlimit *al, const char *key)
{
	struct nx_authlimit_entry *e = al_find(al, key);

	if (e != NULL)
		memset(e, 0, sizeof(*e));
}
