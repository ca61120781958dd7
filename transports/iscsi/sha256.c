/*
 * sha256.c - SHA-256 (FIPS 180-4 6.2), for CHAP_A=7 (the IANA "PPP
 * Authentication Algorithms" value RFC 7143 12.1.3's CHAP_A draws from).
 * Freestanding: no tables beyond the round constants, no allocation.
 */
#include "nego_internal.h"

/* FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/* FIPS 180-4 6.2.2: one 512-bit block. */
static void sha256_block(uint32_t h[8], const uint8_t block[64])
{
	uint32_t w[64];
	uint32_t v[8];

	for (unsigned t = 0; t < 16; t++)
		w[t] = nx_get_be32(block + 4 * t);
	for (unsigned t = 16; t < 64; t++) {
		uint32_t s0 = ror32(w[t - 15], 7) ^ ror32(w[t - 15], 18) ^
			      (w[t - 15] >> 3);
		uint32_t s1 = ror32(w[t - 2], 17) ^ ror32(w[t - 2], 19) ^
			      (w[t - 2] >> 10);

		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (unsigned t = 0; t < 64; t++) {
		uint32_t e = v[4], a = v[0];
		uint32_t ch = (e & v[5]) ^ (~e & v[6]);
		uint32_t maj = (a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]);
		uint32_t t1 = v[7] + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +
			      ch + sha256_k[t] + w[t];
		uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + maj;

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (unsigned i = 0; i < 8; i++)
		h[i] += v[i];
}

void nx_sha256_init(struct nx_sha256 *s)
{
	/* FIPS 180-4 5.3.3 */
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	nx_assert(s != NULL);
	memcpy(s->state, h0, sizeof(h0));
	s->bytes = 0;
}

void nx_sha256_update(struct nx_sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t used = (size_t)(s->bytes % 64);

	nx_assert(p != NULL || len == 0);
	s->bytes += len;
	while (len > 0) {
		size_t take = NX_MIN(len, 64 - used);

		memcpy(s->block + used, p, take);
		used += take;
		p += take;
		len -= take;
		if (used == 64) {
			sha256_block(s->state, s->block);
			used = 0;
		}
	}
}

void nx_sha256_final(struct nx_sha256 *s, uint8_t digest[NX_SHA256_DIGEST_LEN])
{
	/* FIPS 180-4 5.1.1: 0x80, zeros to 56 mod 64, bit length big-endian */
	static const uint8_t pad[64] = { 0x80 };
	uint8_t lenbuf[8];
	uint64_t bits = s->bytes * 8;
	size_t used = (size_t)(s->bytes % 64);
	size_t padlen = used < 56 ? 56 - used : 120 - used;

	nx_put_be64(lenbuf, bits);
	nx_sha256_update(s, pad, padlen);
	nx_sha256_update(s, lenbuf, 8);
	nx_assert(s->bytes % 64 == 0);
	for (unsigned i = 0; i < 8; i++)
		nx_put_be32(digest + 4 * i, s->state[i]);
	memset(s, 0, sizeof(*s)); /* the input may have held a CHAP secret */
}
