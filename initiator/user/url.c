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

/* host, [v6] or host:port, [v6]:port between p and slash. */
static int parse_host(const char *p, const char *slash, struct nx_ini_url *u)
{
	const char *end = slash, *colon;
	char *stop;
	unsigned long v;

	if (p[0] == '[') {
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
	if (end == p || (size_t)(end - p) >= sizeof(u->host))
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
