/*
 * scn_util.c - what the I/O scenarios share (scn_util.h).
 */
#include <string.h>

#include "scn_util.h"
#include "../../core/nx_wire.h"

#define BLOCK NX_SCN_BLOCK

/* ---- block contents ----------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A block is self-describing: tag, LBA, then words derived from both
 * (a cheap per-word step after one strong mix: a block of another tag or
 * LBA, a torn or shifted block all differ). */
#define WORD_STEP 0x9e3779b97f4a7c15ull

/* Word k (k >= 2) of a block is w + (k - 1) * WORD_STEP.  Filling and
 * checking every byte of every block is most of the workload's own cost,
 * so both walk the words in vectors (GNU vector extension) with no
 * branch until the end: words 2..3 in one 16-byte vector, then VW words
 * at a time in two vectors.  x86-64 gets an AVX2 copy of each (32-byte
 * vectors, picked once at run time), everything else 16-byte vectors
 * (SSE2, NEON, or plain code). */
typedef uint64_t u64x2 __attribute__((vector_size(16)));
#define WORDS (BLOCK / 8)
_Static_assert((WORDS - 4) % 4 == 0, "words 4.. go by whole vectors");

/* Words 4 .. WORDS - 1: 2 * VW per round, then one VW-word vector if
 * that much is left. */
#define WORDS_FILL(VEC, VW)                                                \
	{                                                                  \
		VEC a, b, step;                                            \
		u64x2 head = { w + WORD_STEP, w + 2 * WORD_STEP };         \
		unsigned k = 4;                                            \
                                                                           \
		for (unsigned i = 0; i < VW; i++) {                        \
			a[i] = w + (3 + i) * WORD_STEP;                    \
			step[i] = 2 * VW * WORD_STEP;                      \
		}                                                          \
		b = a + step / 2;                                          \
		memcpy(p + 16, &head, 16);                                 \
		for (; k + 2 * VW <= WORDS; k += 2 * VW) {                 \
			memcpy(p + 8 * k, &a, sizeof(a));                  \
			memcpy(p + 8 * k + sizeof(a), &b, sizeof(b));      \
			a += step;                                         \
			b += step;                                         \
		}                                                          \
		if (k < WORDS)                                             \
			memcpy(p + 8 * k, &a, sizeof(a));                  \
	}

#define WORDS_CHECK(VEC, VW)                                               \
	{                                                                  \
		VEC a, b, step, ga, gb, da, db;                            \
		u64x2 head = { w + WORD_STEP, w + 2 * WORD_STEP }, gh;     \
		unsigned k = 4;                                            \
		uint64_t d;                                                \
                                                                           \
		for (unsigned i = 0; i < VW; i++) {                        \
			a[i] = w + (3 + i) * WORD_STEP;                    \
			step[i] = 2 * VW * WORD_STEP;                      \
		}                                                          \
		b = a + step / 2;                                          \
		da = a - a;                                                \
		db = da;                                                   \
		memcpy(&gh, p + 16, 16);                                   \
		gh ^= head;                                                \
		for (; k + 2 * VW <= WORDS; k += 2 * VW) {                 \
			memcpy(&ga, p + 8 * k, sizeof(ga));                \
			memcpy(&gb, p + 8 * k + sizeof(ga), sizeof(gb));   \
			da |= ga ^ a;                                      \
			db |= gb ^ b;                                      \
			a += step;                                         \
			b += step;                                         \
		}                                                          \
		if (k < WORDS) {                                           \
			memcpy(&ga, p + 8 * k, sizeof(ga));                \
			da |= ga ^ a;                                      \
		}                                                          \
		da |= db;                                                  \
		d = gh[0] | gh[1];                                         \
		for (unsigned i = 0; i < VW; i++)                          \
			d |= da[i];                                        \
		return d == 0;                                             \
	}

/* A never-written block reads as zeros: all BLOCK bytes (the zero tag
 * included) OR-ed in vectors, not a scalar word at a time (a read of
 * such a block cost as much as checking a written one's pattern). */
#define WORDS_ZERO(VEC, VW)                                                \
	{                                                                  \
		VEC a, b, g;                                               \
		uint64_t d = 0;                                            \
                                                                           \
		memcpy(&a, p, sizeof(a));                                  \
		memcpy(&b, p + sizeof(a), sizeof(b));                      \
		for (unsigned k = 2 * sizeof(a); k < BLOCK;                \
		     k += 2 * sizeof(a)) {                                 \
			memcpy(&g, p + k, sizeof(g));                      \
			a |= g;                                            \
			memcpy(&g, p + k + sizeof(g), sizeof(g));          \
			b |= g;                                            \
		}                                                          \
		a |= b;                                                    \
		for (unsigned i = 0; i < VW; i++)                          \
			d |= a[i];                                         \
		return d == 0;                                             \
	}

_Static_assert(BLOCK % 64 == 0, "zero check: whole pairs of vectors");

static void words_fill(uint8_t *p, uint64_t w) WORDS_FILL(u64x2, 2)
static bool words_zero(const uint8_t *p) WORDS_ZERO(u64x2, 2)
static bool words_check(const uint8_t *p, uint64_t w) WORDS_CHECK(u64x2, 2)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
typedef uint64_t u64x4 __attribute__((vector_size(32)));
__attribute__((target("avx2"))) static void
words_fill_avx2(uint8_t *p, uint64_t w) WORDS_FILL(u64x4, 4)
__attribute__((target("avx2"))) static bool
words_check_avx2(const uint8_t *p, uint64_t w) WORDS_CHECK(u64x4, 4)
__attribute__((target("avx2"))) static bool
words_zero_avx2(const uint8_t *p) WORDS_ZERO(u64x4, 4)

static int have_avx2 = -1;

static bool use_avx2(void)
{
	if (have_avx2 < 0)
		have_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	return have_avx2 == 1;
}
#else
#define use_avx2() false
#define words_fill_avx2 words_fill
#define words_check_avx2 words_check
#define words_zero_avx2 words_zero
#endif

/* avx2: use_avx2(), asked once per run of blocks (the byte stores of a
 * block may alias the flag, so the compiler would reload it for each). */
static inline __attribute__((always_inline)) void
block_fill(uint8_t *p, uint64_t tag, uint64_t lba, bool avx2)
{
	uint64_t w = mix64(tag ^ (lba * WORD_STEP));

	if (tag == 0) {
		memset(p, 0, BLOCK);
		return;
	}
	nx_put_be64(p, tag);
	nx_put_be64(p + 8, lba);
	if (avx2)
		words_fill_avx2(p, w);
	else
		words_fill(p, w);
}

void nx_scn_block_fill(uint8_t *p, uint64_t tag, uint64_t lba)
{
	block_fill(p, tag, lba, use_avx2());
}

void nx_scn_blocks_fill(uint8_t *p, uint64_t tag, uint64_t lba, uint32_t n)
{
	bool avx2 = use_avx2();

	for (uint32_t i = 0; i < n; i++)
		block_fill(p + (size_t)i * BLOCK, tag, lba + i, avx2);
}

void nx_scn_blocks_fill_range(uint8_t *dst, uint64_t tag, uint64_t lba,
			      uint32_t off, uint32_t len, uint8_t *scratch)
{
	uint32_t head = off % BLOCK, n;

	lba += off / BLOCK;
	if (head != 0 && len > 0) {
		n = NX_MIN(len, BLOCK - head);
		nx_scn_block_fill(scratch, tag, lba++);
		memcpy(dst, scratch + head, n);
		dst += n;
		len -= n;
	}
	nx_scn_blocks_fill(dst, tag, lba, len / BLOCK);
	n = len % BLOCK;
	if (n != 0) {
		nx_scn_block_fill(scratch, tag, lba + len / BLOCK);
		memcpy(dst + len - n, scratch, n);
	}
}

/* Inlined into the per-block loop of a read's Data-In (rx_block), where
 * the call cost more than a tenth of the check. */
static inline __attribute__((always_inline)) bool
block_valid(const uint8_t *p, uint64_t lba, uint64_t *tag, bool avx2)
{
	uint64_t w;

	*tag = nx_get_be64(p);
	if (*tag == 0)
		return avx2 ? words_zero_avx2(p) : words_zero(p);
	if (nx_get_be64(p + 8) != lba)
		return false;
	w = mix64(*tag ^ (lba * WORD_STEP));
	return avx2 ? words_check_avx2(p, w) : words_check(p, w);
}

bool nx_scn_block_valid(const uint8_t *p, uint64_t lba, uint64_t *tag)
{
	return block_valid(p, lba, tag, use_avx2());
}

/* ---- a read's blocks where they arrive --------------------------------------- */

void nx_scn_rx_reset(struct nx_scn_rx *rx, uint32_t nblk)
{
	nx_assert(nblk <= NX_SCN_RX_BLOCKS_MAX);
	memset(rx->placed, 0, (nblk + 63) / 64 * sizeof(rx->placed[0]));
}

/* Block i, all of it at data (inlined: the loop over a read's blocks is
 * per block of every read). */
static inline __attribute__((always_inline)) void rx_block(struct nx_scn_rx *rx, uint64_t lba, uint32_t i,
		     const uint8_t *data, bool avx2)
{
	uint64_t bit = 1ull << (i % 64), tag;

	if (block_valid(data, lba + i, &tag, avx2)) {
		rx->tag[i] = tag;
		rx->placed[i / 64] |= bit;
		return;
	}
	rx->placed[i / 64] &= ~bit;
	memcpy(rx->buf + (size_t)i * BLOCK, data, BLOCK);
}

/* n < BLOCK bytes of block i at data, from byte off of the read. */
static void rx_piece(struct nx_scn_rx *rx, uint64_t lba, uint32_t i,
		     uint32_t off, const uint8_t *data, uint32_t n)
{
	if (nx_scn_rx_placed(rx, i)) {
		block_fill(rx->buf + (size_t)i * BLOCK, rx->tag[i], lba + i,
			   use_avx2());
		rx->placed[i / 64] &= ~(1ull << (i % 64));
	}
	memcpy(rx->buf + off, data, n);
}

void nx_scn_rx_data(struct nx_scn_rx *rx, uint64_t lba, uint32_t off,
		    const uint8_t *data, uint32_t len)
{
	uint32_t end = off + len;
	bool avx2 = use_avx2();

	nx_assert(end >= off && end <= NX_SCN_RX_BLOCKS_MAX * BLOCK);
	if ((off | len) % BLOCK == 0) { /* the usual case: whole blocks */
		for (uint32_t i = off / BLOCK; i < end / BLOCK; i++, data += BLOCK)
			rx_block(rx, lba, i, data, avx2);
		return;
	}
	while (off < end) {
		uint32_t i = off / BLOCK, n = NX_MIN(BLOCK - off % BLOCK, end - off);

		if (n == BLOCK)
			rx_block(rx, lba, i, data, avx2);
		else
			rx_piece(rx, lba, i, off, data, n);
		data += n;
		off += n;
	}
}

/* ---- sense ------------------------------------------------------------------------ */

void nx_scn_sense_decode(const uint8_t *s, uint32_t len, uint8_t *key,
			 uint8_t *asc, uint8_t *ascq)
{
	*key = *asc = *ascq = 0;
	if (len >= 4 && (s[0] & 0x7f) >= 0x72) {
		*key = s[1] & 0x0f;
		*asc = s[2];
		*ascq = s[3];
	} else if (len >= 14) {
		*key = s[2] & 0x0f;
		*asc = s[12];
		*ascq = s[13];
	}
}

/* ---- faults that heal by themselves --------------------------------------------- */

static void heal_link(void *arg)
{
	struct nx_scn_heal *h = arg;

	h->link_ev = NX_SIM_EVENT_NONE;
	if (!h->cut)
		return;
	nx_link_cut(nx_sim_net_link(h->env->net), h->cut_a, h->cut_b, false);
	h->cut = false;
	nx_log(NX_LOG_INFO, "scn: fault: link healed");
}

static void heal_disk(void *arg)
{
	struct nx_scn_heal *h = arg;
	const struct nx_sim_disk_opts *o = &h->dopts;

	h->disk_ev = NX_SIM_EVENT_NONE;
	nx_sim_disk_clear_bad(h->disk);
	nx_sim_disk_set_faults(h->disk, o->read_err_ppb, o->write_err_ppb,
			       o->tail_ppb, o->tail_lat_ns);
	h->disk_faulty = false;
	nx_log(NX_LOG_INFO, "scn: fault: disk healed");
}

void nx_scn_heal_link_cut(struct nx_scn_heal *h, unsigned a, unsigned b,
			  uint64_t dur_ns)
{
	nx_assert(!h->cut);
	nx_link_cut(nx_sim_net_link(h->env->net), a, b, true);
	h->cut = true;
	h->cut_a = a;
	h->cut_b = b;
	h->link_ev = nx_sim_schedule(h->env->sim, dur_ns, heal_link, h);
	nx_assert(h->link_ev != NX_SIM_EVENT_NONE);
	nx_log(NX_LOG_INFO, "scn: fault: link cut %u<->%d for %llu ns", a,
	       b == NX_LINK_ALL ? -1 : (int)b, (unsigned long long)dur_ns);
}

void nx_scn_heal_disk_after(struct nx_scn_heal *h, uint64_t dur_ns)
{
	h->disk_faulty = true;
	h->disk_ev = nx_sim_schedule(h->env->sim, dur_ns, heal_disk, h);
	nx_assert(h->disk_ev != NX_SIM_EVENT_NONE);
}

void nx_scn_heal_all(struct nx_scn_heal *h)
{
	if (h->link_ev != NX_SIM_EVENT_NONE) {
		nx_sim_cancel(h->env->sim, h->link_ev);
		heal_link(h);
	}
	if (h->disk_ev != NX_SIM_EVENT_NONE) {
		nx_sim_cancel(h->env->sim, h->disk_ev);
		heal_disk(h);
	}
}
