/*
 * keys.c - "key=value" text as carried by Login and Text PDUs (RFC 7143
 * 6.1): NUL-terminated pairs, key names of at most 63 characters from a
 * restricted set.  Written independently of the target's params.c on
 * purpose: the initiator is also the checker of that code.
 */
#include "ini_internal.h"

#define INI_KEY_NAME_MAX 63

/* RFC 7143 6.1: key names use letters, digits, '.', '-', '+', '@', '_'. */
static bool key_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
	       ch == '+' || ch == '@' || ch == '_';
}

int nx_ini_kv_next(const char *text, uint32_t len, uint32_t *off,
		struct ini_kv *kv)
{
	uint32_t i = *off;
	uint32_t eq = 0;
	uint32_t end;

	/* Tolerate NUL padding between/after pairs. */
	while (i < len && text[i] == '\0')
		i++;
	if (i >= len) {
		*off = len;
		return 0;
	}
	for (end = i; end < len && text[end] != '\0'; end++) {
		if (text[end] == '=' && eq == 0)
			eq = end;
	}
	/* The caller keeps a NUL after len, so text[end] is readable. */
	if (eq == 0 || eq == i || eq - i > INI_KEY_NAME_MAX)
		return NX_EINVAL;
	for (uint32_t k = i; k < eq; k++) {
		if (!key_char_ok(text[k]))
			return NX_EINVAL;
	}
	kv->key = text + i;
	kv->value = text + eq + 1;
	*off = end + 1;
	return 1;
}

/* Keys compare up to '=' (the pair is not split in place). */
bool nx_ini_kv_is(const struct ini_kv *kv, const char *name)
{
	size_t n = strlen(name);

	return strncmp(kv->key, name, n) == 0 && kv->key[n] == '=';
}

bool nx_ini_kv_add(char *buf, uint32_t cap, uint32_t *len, const char *key,
		const char *value)
{
	size_t kl = strlen(key);
	size_t vl = strlen(value);

	if (*len > cap || cap - *len < kl + vl + 2)
		return false;
	memcpy(buf + *len, key, kl);
	buf[*len + kl] = '=';
	memcpy(buf + *len + kl + 1, value, vl);
	buf[*len + kl + 1 + vl] = '\0';
	*len += (uint32_t)(kl + vl + 2);
	return true;
}

bool nx_ini_kv_add_u32(char *buf, uint32_t cap, uint32_t *len, const char *key,
		    uint32_t value)
{
	char num[12];

	nx_snprintf(num, sizeof(num), "%u", (unsigned)value);
	return nx_ini_kv_add(buf, cap, len, key, num);
}

bool nx_ini_kv_add_lines(char *buf, uint32_t cap, uint32_t *len,
		      const char *lines)
{
	const char *p = lines;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (n > 0) {
			if (*len > cap || cap - *len < n + 1)
				return false;
			memcpy(buf + *len, p, n);
			buf[*len + n] = '\0';
			*len += (uint32_t)(n + 1);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	return true;
}

static int hex_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* RFC 7143 6.1: decimal-constant or hex-constant, 32 bits here. */
bool nx_ini_parse_u32(const char *v, uint32_t *out)
{
	uint64_t acc = 0;
	bool hex = v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
	const char *p = hex ? v + 2 : v;

	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++) {
		int d = hex ? hex_val(*p) : (*p >= '0' && *p <= '9' ? *p - '0' : -1);

		if (d < 0)
			return false;
		acc = acc * (hex ? 16 : 10) + (uint64_t)d;
		if (acc > 0xffffffffu)
			return false;
	}
	*out = (uint32_t)acc;
	return true;
}
