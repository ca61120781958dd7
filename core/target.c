/*
 * target.c - targets, logical units, I_T nexuses and LUN encoding
 * (SAM-5 4.6, 4.7).
 */
#include "scsi_internal.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
/* NAA IEEE Registered Extended (6h) needs an IEEE company ID; nexus has
 * none, so it uses a fixed locally chosen value.  Deterministic. */
#define NX_NAA_COMPANY_ID 0x000000u

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t lu_hash(const struct nx_target *tgt, uint64_t lun)
{
	uint8_t l[8];

	nx_put_be64(l, lun);
	uint64_t h = fnv1a(FNV_OFFSET, tgt->name, strlen(tgt->name));
	return fnv1a(h, l, sizeof(l));
}

static void copy_str(char *dst, size_t cap, const char *src, const char *def)
{
	const char *s = src ? src : def;
	size_t n = strlen(s);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

struct nx_target *nx_target_new(const char *name)
{
	nx_assert(name != NULL);
	if (strlen(name) >= NX_NAME_MAX)
		return NULL;
	struct nx_target *tgt = nx_alloc(sizeof(*tgt));
	if (tgt == NULL)
		return NULL;
	copy_str(tgt->name, sizeof(tgt->name), name, "");
	nx_opcode_index_build();
	return tgt;
}

void nx_target_free(struct nx_target *tgt)
{
	if (tgt == NULL)
		return;
	nx_assert(tgt->nexus_head == NULL);
	nx_alua_target_free(tgt);
	for (unsigned i = 0; i < tgt->lu_count; i++) {
		struct nx_lu *lu = tgt->lus[i];
		nx_assert(lu->set_head == NULL);
		nx_sanitize_lu_free(lu);
		if (lu->bs != NULL && lu->bs->ops->destroy != NULL)
			lu->bs->ops->destroy(lu->bs);
		nx_pr_lu_free(lu);
		nx_free(lu);
	}
	nx_free(tgt);
}

const char *nx_target_name(const struct nx_target *tgt)
{
	return tgt->name;
}

static void lu_identity(struct nx_lu *lu, const struct nx_target *tgt,
			const struct nx_lu_config *cfg)
{
	uint64_t h = lu_hash(tgt, cfg->lun);

	copy_str(lu->vendor, sizeof(lu->vendor), cfg->vendor, "NEXUS");
	copy_str(lu->product, sizeof(lu->product), cfg->product, "nexus-lu");
	copy_str(lu->revision, sizeof(lu->revision), cfg->revision, "0001");
	if (cfg->serial != NULL)
		copy_str(lu->serial, sizeof(lu->serial), cfg->serial, "");
	else
		nx_snprintf(lu->serial, sizeof(lu->serial), "%016llx",
			    (unsigned long long)h);
	/* SPC-4 7.8.6.6.5: NAA 6h, 24-bit company ID, 36-bit vendor specific
	 * identifier, 64-bit vendor specific identifier extension. */
	uint64_t ext = fnv1a(h, "naa", 3);
	lu->naa[0] = (uint8_t)(0x60 | ((NX_NAA_COMPANY_ID >> 20) & 0x0f));
	lu->naa[1] = (uint8_t)(NX_NAA_COMPANY_ID >> 12);
	lu->naa[2] = (uint8_t)(NX_NAA_COMPANY_ID >> 4);
	lu->naa[3] = (uint8_t)(((NX_NAA_COMPANY_ID & 0x0f) << 4) |
			       ((h >> 32) & 0x0f));
	nx_put_be32(lu->naa + 4, (uint32_t)h);
	nx_put_be64(lu->naa + 8, ext);
}

static unsigned lu_insert_pos(const struct nx_target *tgt, uint64_t lun)
{
	unsigned i = 0;

	while (i < tgt->lu_count && tgt->lus[i]->lun < lun)
		i++;
	return i;
}

/* Room in every nexus's per-LU state for count LUs, made before an LU
 * is added so that nothing is half done when memory runs out (a nexus
 * already grown keeps its room).  Doubling: adding LUs one by one to a
 * target with many sessions copies each nexus's state O(log LUs) times. */
static int nexus_lus_reserve(struct nx_target *tgt, unsigned count)
{
	for (struct nx_nexus *n = tgt->nexus_head; n != NULL; n = n->next) {
		if (n->lus_cap >= count)
			continue;
		unsigned cap = NX_MIN(NX_MAX(count, 2 * n->lus_cap), NX_LU_MAX);
		struct nx_nexus_lu *a = nx_alloc(cap * sizeof(*a));

		if (a == NULL)
			return NX_ENOMEM;
		if (tgt->lu_count > 0)
			memcpy(a, n->lus, tgt->lu_count * sizeof(*a));
		nx_free(n->lus);
		n->lus = a;
		n->lus_cap = cap;
	}
	return NX_OK;
}

/* A new LU shifts the per-nexus state, which is indexed by LU index. */
static void nexus_insert_lu(struct nx_nexus *n, unsigned pos, unsigned count)
{
	nx_assert(count < n->lus_cap);
	memmove(&n->lus[pos + 1], &n->lus[pos], (count - pos) * sizeof(n->lus[0]));
	memset(&n->lus[pos], 0, sizeof(n->lus[pos]));
}

static void announce_lu(struct nx_target *tgt, struct nx_lu *lu, unsigned pos)
{
	for (struct nx_nexus *n = tgt->nexus_head; n != NULL; n = n->next) {
		nexus_insert_lu(n, pos, tgt->lu_count - 1);
		nx_ua_establish(n, lu, 0x29, 0x00);
		/* SPC-4 6.33: the LU inventory changed. */
		for (unsigned i = 0; i < tgt->lu_count; i++)
			if (i != pos)
				nx_ua_establish(n, tgt->lus[i], 0x3f, 0x0e);
	}
}

/* LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (SBC-3 5.16.2, 4 bits) of a
 * physical block size; -1 if it is no power-of-two multiple of bsz. */
static int lbppb_exponent(uint32_t bsz, uint32_t pbs)
{
	if (pbs == 0)
		pbs = NX_MAX(bsz, 4096u);
	for (int e = 0; e < 16; e++)
		if ((uint64_t)bsz << e == pbs)
			return e;
	return -1;
}

int nx_target_add_lu(struct nx_target *tgt, const struct nx_lu_config *cfg,
		     struct nx_backstore *bs)
{
	nx_assert(tgt != NULL && cfg != NULL && bs != NULL);
	uint32_t bsz = cfg->block_size ? cfg->block_size : 512;
	int lbppbe = lbppb_exponent(bsz, cfg->phys_block_size);

	if (cfg->lun > 16383 || (bsz != 512 && bsz != 4096) || lbppbe < 0)
		return NX_EINVAL;
	if (nx_target_find_lu(tgt, cfg->lun) != NULL)
		return NX_EINVAL;
	if (tgt->lu_count >= NX_LU_MAX)
		return NX_ENOSPC;
	if (nexus_lus_reserve(tgt, tgt->lu_count + 1) != NX_OK)
		return NX_ENOMEM;
	struct nx_lu *lu = nx_alloc(sizeof(*lu));
	if (lu == NULL)
		return NX_ENOMEM;
	lu->tgt = tgt;
	lu->lun = cfg->lun;
	lu->bs = bs;
	lu->block_size = bsz;
	lu->block_shift = (uint8_t)(bsz == 512 ? 9 : 12);
	lu->nblocks = bs->size_bytes >> lu->block_shift;
	lu->read_only = cfg->read_only;
	lu->removable = cfg->removable;
	lu->lbppbe = (uint8_t)lbppbe;
	lu->sanitize_bps = cfg->sanitize_bps ? cfg->sanitize_bps
					     : NX_SANITIZE_BPS_DEFAULT;
	lu_identity(lu, tgt, cfg);
	nx_mode_lu_init(lu); /* SPC-4 7.5.1: saved values come back */
	nx_alua_lu_init(tgt, lu); /* SPC-4 5.16.2: the groups' states */
	/* SPC-4 5.12.4: APTPL state comes back with the LU. */
	if (nx_pr_lu_init(lu) != NX_OK) {
		nx_free(lu);
		return NX_ENOMEM;
	}

	unsigned pos = lu_insert_pos(tgt, cfg->lun);
	memmove(&tgt->lus[pos + 1], &tgt->lus[pos],
		(tgt->lu_count - pos) * sizeof(tgt->lus[0]));
	tgt->lus[pos] = lu;
	tgt->lu_count++;
	tgt->generation++;
	announce_lu(tgt, lu, pos);
	return NX_OK;
}

unsigned nx_target_lu_count(const struct nx_target *tgt)
{
	return tgt->lu_count;
}

uint64_t nx_target_lun_at(const struct nx_target *tgt, unsigned index)
{
	nx_assert(index < tgt->lu_count);
	return tgt->lus[index]->lun;
}

struct nx_lu *nx_target_find_lu(const struct nx_target *tgt, uint64_t lun)
{
	unsigned lo = 0, hi = tgt->lu_count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		uint64_t l = tgt->lus[mid]->lun;
		if (l == lun)
			return tgt->lus[mid];
		if (l < lun)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

unsigned nx_target_lu_index(const struct nx_target *tgt, const struct nx_lu *lu)
{
	for (unsigned i = 0; i < tgt->lu_count; i++)
		if (tgt->lus[i] == lu)
			return i;
	nx_assert(!"LU not in target");
	return 0;
}

/* ---- I_T nexus ---------------------------------------------------------- */

struct nx_nexus *nx_nexus_new(struct nx_target *tgt, const char *initiator_port,
			      const char *target_port, uint16_t rtpi,
			      const struct nx_nexus_ops *ops, void *ctx)
{
	nx_assert(tgt != NULL && ops != NULL && ops->task_done != NULL);
	struct nx_nexus *n = nx_alloc(sizeof(*n));
	if (n == NULL)
		return NULL;
	if (tgt->lu_count > 0) {
		n->lus = nx_alloc(tgt->lu_count * sizeof(*n->lus));
		if (n->lus == NULL) {
			nx_free(n);
			return NULL;
		}
		n->lus_cap = tgt->lu_count;
	}
	n->tgt = tgt;
	copy_str(n->initiator_port, sizeof(n->initiator_port), initiator_port, "");
	copy_str(n->target_port, sizeof(n->target_port), target_port, "");
	n->rtpi = rtpi;
	nx_alua_port_seen(tgt, rtpi); /* implicit group 1 when none declared */
	n->ops = ops;
	n->ctx = ctx;
	/* SAM-5 6.3.2: a new I_T nexus sees power on / reset on every LU. */
	for (unsigned i = 0; i < tgt->lu_count; i++)
		nx_ua_establish(n, tgt->lus[i], 0x29, 0x00);
	/* Append: nexus order is creation order (deterministic). */
	struct nx_nexus **pp = &tgt->nexus_head;
	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = n;
	nx_alua_nexus_init(n);
	return n;
}

int nx_nexus_set_read_only(struct nx_nexus *n, uint64_t lun)
{
	nx_assert(n != NULL);
	if (lun == NX_NEXUS_RO_ALL) {
		n->ro_all = true;
		return NX_OK;
	}
	for (unsigned i = 0; i < n->ro_count; i++)
		if (n->ro_luns[i] == lun)
			return NX_OK;
	if (n->ro_count >= NX_NEXUS_RO_MAX)
		return NX_ENOSPC;
	n->ro_luns[n->ro_count++] = lun;
	return NX_OK;
}

bool nx_nexus_lu_read_only(const struct nx_nexus *n, const struct nx_lu *lu)
{
	if (lu->read_only || lu->mode.swp)
		return true;
	if (n == NULL)
		return false;
	if (n->ro_all)
		return true;
	for (unsigned i = 0; i < n->ro_count; i++)
		if (n->ro_luns[i] == lu->lun)
			return true;
	return false;
}

void *nx_nexus_ctx(const struct nx_nexus *n)
{
	return n->ctx;
}

struct nx_target *nx_nexus_target(const struct nx_nexus *n)
{
	return n->tgt;
}

void nx_nexus_logout(struct nx_nexus *n)
{
	for (unsigned i = 0; i < n->tgt->lu_count; i++) {
		nx_pr_spc2_reset(n->tgt->lus[i], n);
		nx_prevent_release(n->tgt->lus[i], n);
	}
}

void nx_nexus_free(struct nx_nexus *n)
{
	if (n == NULL)
		return;
	nx_assert(n->tasks_outstanding == 0);
	/* SPC-2 5.5.1: I_T nexus loss ends its SPC-2 reservations;
	 * persistent registrations stay (SPC-4 5.12.7). */
	for (unsigned i = 0; i < n->tgt->lu_count; i++) {
		nx_pr_spc2_reset(n->tgt->lus[i], n);
		nx_prevent_release(n->tgt->lus[i], n); /* SBC-3 5.13 */
	}
	nx_aca_nexus_loss(n->tgt, n); /* SAM-5 5.9.2.5: no dangling owner */
	struct nx_nexus **pp = &n->tgt->nexus_head;
	while (*pp != NULL && *pp != n)
		pp = &(*pp)->next;
	nx_assert(*pp == n);
	*pp = n->next;
	nx_free(n->xcopy); /* NULL: no list ever held results */
	nx_free(n->lus);
	nx_free(n);
}

/* ---- LUN encoding (SAM-5 4.7) ------------------------------------------- */

uint64_t nx_lun_encode(uint64_t lun)
{
	if (lun == NX_WLUN_REPORT_LUNS)
		return NX_WLUN_REPORT_LUNS;
	if (lun < 256)
		return lun << 48; /* peripheral device addressing, bus 0 */
	nx_assert(lun <= 16383);
	return (0x4000ull | lun) << 48; /* flat space addressing (01b) */
}

bool nx_lun_decode(uint64_t field, uint64_t *lun)
{
	uint8_t method = (uint8_t)(field >> 62);
	uint64_t rest = field & 0x0000ffffffffffffull;

	if (field == NX_WLUN_REPORT_LUNS) {
		*lun = NX_WLUN_REPORT_LUNS;
		return true;
	}
	/* Single level only: the second to fourth levels must be zero. */
	if (rest != 0)
		return false;
	uint16_t first = (uint16_t)(field >> 48);
	switch (method) {
	case 0: /* peripheral device: bus identifier must be 0 */
		if ((first >> 8) != 0)
			return false;
		*lun = first & 0xff;
		return true;
	case 1: /* flat space */
		*lun = first & 0x3fff;
		return true;
	default:
		return false;
	}
}
