/*
 * url.c - iscsi://[user[%secret]@]host[:port]/iqn/lun (libiscsi's URL
 * form), shared by nexus-conform --target and nexus-replay --target.
 */
#include <stdlib.h>
#include <string.h>

#include "nx_ini_tcp.h"

static int parse_auth(const char **pp, const char *slash, struct nx_ini_url *u)
{
	const char *p = *pp;
	const char *at = memchr(p, '@', (size_t)(slash - p));
	const char *pct;
	size_t ul;

	if (at == NULL)
		return 0;
	pct = memchr(p, '%', (size_t)(at - p));
	ul = (size_t)((pct ? pct : at) - p);
	if (ul >= sizeof(u->user))
		return NX_EINVAL;
	memcpy(u->user, p, ul);
	if (pct != NULL) {
		if ((size_t)(at - pct - 1) >= sizeof(u->secret))
			return NX_EINVAL;
		memcpy(u->secret, pct + 1, (size_t)(at - pct - 1));
	}
	*pp = at + 1;
	return 0;
}

/* RFC 3986 3.2.2: a host is an ASCII name or an IP literal; the
 * characters that delimit the URL's parts ('@', '/', brackets),
 * whitespace and control characters never belong to one
 * (fuzz/regressions/fuzz_url).  Brackets hold an IPv6 address (so a
 * ':'), which may carry a zone after '%' ("[fe80::1%eth0]", RFC 6874). */
static bool host_ok(const char *p, const char *end, bool bracketed)
{
	if (bracketed && memchr(p, ':', (size_t)(end - p)) == NULL)
		return false;
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || c == '@' || c == '/' || c == '[' ||
		    c == ']' || (c == '%' && !bracketed))
			return false;
	}
	return true;
}

/* host, [v6] or host:port, [v6]:port between p and slash. */
static int parse_host(const char *p, const char *slash, struct nx_ini_url *u)
{
	const char *end = slash, *colon;
	bool v6 = p[0] == '[';
	char *stop;
	unsigned long v;

	if (v6) {
		const char *rb = memchr(p, ']', (size_t)(slash - p));

		if (rb == NULL)
			return NX_EINVAL;
		colon = rb + 1 < slash && rb[1] == ':' ? rb + 1 : NULL;
		if (colon == NULL && rb + 1 != slash)
			return NX_EINVAL;
		p++;
		end = rb;
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		if (colon != NULL)
			end = colon;
	}
	if (end == p || (size_t)(end - p) >= sizeof(u->host) ||
	    !host_ok(p, end, v6))
		return NX_EINVAL;
	memcpy(u->host, p, (size_t)(end - p));
	if (colon == NULL)
		return 0;
	v = strtoul(colon + 1, &stop, 10);
	if (stop != slash || colon + 1 == slash || v == 0 || v > 65535)
		return NX_EINVAL;
	u->port = (uint16_t)v;
	return 0;
}

int nx_ini_url_parse(const char *url, struct nx_ini_url *u)
{
	const char *p, *slash, *lun;
	char *end;
	unsigned long v;

	memset(u, 0, sizeof(*u));
	u->port = 3260;
	if (url == NULL || strncmp(url, "iscsi://", 8) != 0)
		return NX_EINVAL;
	p = url + 8;
	slash = strchr(p, '/');
	if (slash == NULL || parse_auth(&p, slash, u) != 0 ||
	    parse_host(p, slash, u) != 0)
		return NX_EINVAL;
	lun = strrchr(slash + 1, '/');
	if (lun == NULL || lun == slash + 1 ||
	    (size_t)(lun - slash - 1) >= sizeof(u->target))
		return NX_EINVAL;
	memcpy(u->target, slash + 1, (size_t)(lun - slash - 1));
	v = strtoul(lun + 1, &end, 10);
	if (*end != '\0' || lun[1] == '\0' || lun[1] == '-' || v > 16383)
		return NX_EINVAL;
	u->lun = (uint32_t)v;
	return 0;
}
