/*
 * md5.c - MD5 message digest (RFC 1321), for CHAP_A=5 (RFC 1994 / RFC 7143
 * 12.1.3).  Only CHAP uses it; MD5 is not relied on for anything else.
 */
#include "nego_internal.h"

/* RFC 1321 3.4: T[i] = floor(2^32 * abs(sin(i + 1))) */
static const uint32_t md5_t[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
	0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
	0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
	0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
	0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Per-round shift amounts, RFC 1321 3.4 */
static const uint8_t md5_s[16] = {
	7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21,
};

static uint32_t rol32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void md5_block(uint32_t st[4], const uint8_t block[64])
{
	uint32_t x[16];
	uint32_t a = st[0], b = st[1], c = st[2], d = st[3];

	for (unsigned i = 0; i < 16; i++)
		x[i] = get_le32(block + 4 * i);
	for (unsigned i = 0; i < 64; i++) {
		uint32_t f;
		unsigned g;
		unsigned round = i / 16;

		if (round == 0) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (round == 1) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		} else if (round == 2) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		f = f + a + md5_t[i] + x[g];
		a = d;
		d = c;
		c = b;
		b = b + rol32(f, md5_s[round * 4 + i % 4]);
	}
	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
}

void nx_md5_init(struct nx_md5 *m)
{
	nx_assert(m != NULL);
	m->state[0] = 0x67452301;
	m->state[1] = 0xefcdab89;
	m->state[2] = 0x98badcfe;
	m->state[3] = 0x10325476;
	m->bytes = 0;
}

void nx_md5_update(struct nx_md5 *m, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t used = (size_t)(m->bytes % 64);

	nx_assert(p != NULL || len == 0);
	m->bytes += len;
	while (len > 0) {
		size_t take = NX_MIN(len, 64 - used);

		memcpy(m->block + used, p, take);
		used += take;
		p += take;
		len -= take;
		if (used == 64) {
			md5_block(m->state, m->block);
			used = 0;
		}
	}
}

void nx_md5_final(struct nx_md5 *m, uint8_t digest[NX_MD5_DIGEST_LEN])
{
	/* RFC 1321 3.1-3.2: pad with 0x80, zeros to 56 mod 64, then the
	 * bit length little-endian. */
	static const uint8_t pad[64] = { 0x80 };
	uint8_t lenbuf[8];
	uint64_t bits = m->bytes * 8;
	size_t used = (size_t)(m->bytes % 64);
	size_t padlen = used < 56 ? 56 - used : 120 - used;

	put_le32(lenbuf, (uint32_t)bits);
	put_le32(lenbuf + 4, (uint32_t)(bits >> 32));
	nx_md5_update(m, pad, padlen);
	nx_md5_update(m, lenbuf, 8);
	nx_assert(m->bytes % 64 == 0);
	for (unsigned i = 0; i < 4; i++)
		put_le32(digest + 4 * i, m->state[i]);
	memset(m, 0, sizeof(*m)); /* the input may have held a CHAP secret */
}
