/*
 * sha3.c - SHA3-256 (FIPS 202: Keccak-f[1600], rate 1088 bits, domain
 * suffix 01), for CHAP_A=8.  Freestanding, 64-bit integer arithmetic only
 * (fine in the kernel on every 64-bit architecture we build for).
 */
#include "nego_internal.h"

#define SHA3_ROUNDS 24

/* FIPS 202 3.2.5: iota round constants. */
static const uint64_t sha3_rc[SHA3_ROUNDS] = {
	0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull,
	0x8000000080008000ull, 0x000000000000808bull, 0x0000000080000001ull,
	0x8000000080008081ull, 0x8000000000008009ull, 0x000000000000008aull,
	0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
	0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull,
	0x8000000000008003ull, 0x8000000000008002ull, 0x8000000000000080ull,
	0x000000000000800aull, 0x800000008000000aull, 0x8000000080008081ull,
	0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

/* FIPS 202 3.2.2-3.2.3: rho offsets, visited along the pi permutation's
 * single cycle starting at lane (1,0); lane index = x + 5y. */
static const uint8_t sha3_rho[24] = {
	1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14,
	27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
};
static const uint8_t sha3_pi[24] = {
	10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4,
	15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
};

static uint64_t rol64(uint64_t x, unsigned n)
{
	return (x << n) | (x >> (64 - n));
}

static void keccak_theta(uint64_t a[25])
{
	uint64_t c[5];

	for (unsigned x = 0; x < 5; x++)
		c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
	for (unsigned x = 0; x < 5; x++) {
		uint64_t d = c[(x + 4) % 5] ^ rol64(c[(x + 1) % 5], 1);

		for (unsigned y = 0; y < 25; y += 5)
			a[y + x] ^= d;
	}
}

static void keccak_rho_pi(uint64_t a[25])
{
	uint64_t cur = a[1];

	for (unsigned i = 0; i < 24; i++) {
		unsigned to = sha3_pi[i];
		uint64_t next = a[to];

		a[to] = rol64(cur, sha3_rho[i]);
		cur = next;
	}
}

static void keccak_chi(uint64_t a[25])
{
	for (unsigned y = 0; y < 25; y += 5) {
		uint64_t row[5];

		memcpy(row, a + y, sizeof(row));
		for (unsigned x = 0; x < 5; x++)
			a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
	}
}

/* FIPS 202 3.3: Keccak-p[1600, 24]. */
static void keccak_f1600(uint64_t a[25])
{
	for (unsigned r = 0; r < SHA3_ROUNDS; r++) {
		keccak_theta(a);
		keccak_rho_pi(a);
		keccak_chi(a);
		a[0] ^= sha3_rc[r];
	}
}

/* Lanes are little-endian (FIPS 202 B.1). */
static void sha3_absorb_byte(struct nx_sha3_256 *s, uint8_t b)
{
	s->state[s->pos / 8] ^= (uint64_t)b << (8 * (s->pos % 8));
	if (++s->pos == NX_SHA3_256_RATE) {
		keccak_f1600(s->state);
		s->pos = 0;
	}
}

void nx_sha3_256_init(struct nx_sha3_256 *s)
{
	nx_assert(s != NULL);
	memset(s, 0, sizeof(*s));
}

void nx_sha3_256_update(struct nx_sha3_256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	nx_assert(p != NULL || len == 0);
	nx_assert(s->pos < NX_SHA3_256_RATE);
	for (size_t i = 0; i < len; i++)
		sha3_absorb_byte(s, p[i]);
}

void nx_sha3_256_final(struct nx_sha3_256 *s,
		       uint8_t digest[NX_SHA3_256_DIGEST_LEN])
{
	/* FIPS 202 6.1 + B.2: SHA-3 suffix 01, then pad10*1: the first pad
	 * byte is 0x06, the last byte of the block gets 0x80 (both in the
	 * same byte when only one is left). */
	s->state[s->pos / 8] ^= (uint64_t)0x06 << (8 * (s->pos % 8));
	s->state[(NX_SHA3_256_RATE - 1) / 8] ^= (uint64_t)0x80
					       << (8 * ((NX_SHA3_256_RATE - 1) % 8));
	keccak_f1600(s->state);
	for (unsigned i = 0; i < NX_SHA3_256_DIGEST_LEN; i++)
		digest[i] = (uint8_t)(s->state[i / 8] >> (8 * (i % 8)));
	memset(s, 0, sizeof(*s)); /* the input may have held a CHAP secret */
}
