/*
 * chap.c - CHAP arithmetic for the initiator (RFC 1994 4.1, RFC 7143
 * 12.1.3): the response digest and the binary value encodings.  The
 * exchange itself (which key when) lives in login.c.  MD5 is the target
 * transport's (transports/iscsi/md5.c): one implementation of a primitive,
 * tested against RFC 1321 vectors there and here.
 */
#include "ini_internal.h"
#include "../transports/iscsi/nego_internal.h"

void nx_ini_chap_response(uint8_t id, const char *secret, const uint8_t *chal,
		       uint32_t chal_len, uint8_t out[16])
{
	struct nx_md5 m;

	nx_assert(secret != NULL);
	nx_assert(chal != NULL || chal_len == 0);
	nx_md5_init(&m);
	nx_md5_update(&m, &id, 1);
	nx_md5_update(&m, secret, strlen(secret));
	nx_md5_update(&m, chal, chal_len);
	nx_md5_final(&m, out);
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int b64_digit(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* RFC 7143 6.1 hex-constant; an odd digit count has an implied leading 0. */
static int decode_hex(const char *p, uint8_t *out, uint32_t cap)
{
	size_t n = strlen(p);
	uint32_t len = 0;
	size_t i = 0;

	if (n == 0 || (n + 1) / 2 > cap)
		return NX_EINVAL;
	if (n % 2 == 1) {
		int d = hex_digit(p[0]);

		if (d < 0)
			return NX_EINVAL;
		out[len++] = (uint8_t)d;
		i = 1;
	}
	for (; i < n; i += 2) {
		int hi = hex_digit(p[i]);
		int lo = hex_digit(p[i + 1]);

		if (hi < 0 || lo < 0)
			return NX_EINVAL;
		out[len++] = (uint8_t)(hi << 4 | lo);
	}
	return (int)len;
}

/* RFC 7143 6.1 base64-constant (RFC 4648 alphabet, '=' padding). */
static int decode_b64(const char *p, uint8_t *out, uint32_t cap)
{
	uint32_t acc = 0, bits = 0, len = 0;
	bool pad = false;

	if (*p == '\0')
		return NX_EINVAL;
	for (; *p != '\0'; p++) {
		int d;

		if (*p == '=') {
			pad = true;
			continue;
		}
		d = b64_digit(*p);
		if (d < 0 || pad)
			return NX_EINVAL;
		acc = (acc << 6 | (uint32_t)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len >= cap)
				return NX_EINVAL;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)len;
}

int nx_ini_decode_binary(const char *v, uint8_t *out, uint32_t cap)
{
	nx_assert(v != NULL);
	nx_assert(out != NULL);
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		return decode_hex(v + 2, out, cap);
	if (v[0] == '0' && (v[1] == 'b' || v[1] == 'B'))
		return decode_b64(v + 2, out, cap);
	return NX_EINVAL;
}

bool nx_ini_encode_hex(const uint8_t *in, uint32_t len, char *out, uint32_t cap)
{
	static const char digits[] = "0123456789abcdef";

	if (cap < 3 || (cap - 3) / 2 < len)
		return false;
	out[0] = '0';
	out[1] = 'x';
	for (uint32_t i = 0; i < len; i++) {
		out[2 + 2 * i] = digits[in[i] >> 4];
		out[3 + 2 * i] = digits[in[i] & 0xf];
	}
	out[2 + 2 * len] = '\0';
	return true;
}
