/*
 * fuzz_url.c - the iSCSI URL parser of tools/ini-tcp (url.c), which
 * nexus-conform --target and nexus-replay --target run on what a user
 * typed: iscsi://[user[%secret]@]host[:port]/target-iqn/lun (libiscsi's
 * form; host may be [IPv6]).
 *
 * Invariants for a URL the parser accepts: every field is NUL terminated
 * inside its buffer, the host is not empty and holds no character that
 * delimits the URL's parts ('/', '@', brackets, and '%' or ':' outside
 * brackets: an IPv6 literal may carry a zone) nor whitespace, control
 * or non-ASCII characters, the port is 1..65535 and the LUN
 * 0..16383, the target is not empty; and the URL printed back from the
 * fields parses to the same fields (round trip).
 *
 * Input: the URL (a NUL in it ends it, as for a C string).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "tools/ini-tcp/nx_ini_tcp.h"

static void terminated(const char *s, size_t cap, const char *what)
{
	if (memchr(s, '\0', cap) == NULL)
		fz_fail("%s not NUL terminated", what);
}

static void check_host(const char *h)
{
	bool v6 = strchr(h, ':') != NULL;

	if (h[0] == '\0')
		fz_fail("empty host accepted");
	for (const char *p = h; *p != '\0'; p++)
		if (*p == '/' || *p == '@' || (*p == '%' && !v6) || *p == '[' ||
		    *p == ']' || (unsigned char)*p <= ' ' ||
		    (unsigned char)*p >= 0x7f)
			fz_fail("host \"%s\" accepted (character %02x)", h,
				(unsigned char)*p);
}

static void round_trip(const struct nx_ini_url *u)
{
	char buf[2048];
	struct nx_ini_url v;
	bool v6 = strchr(u->host, ':') != NULL;
	int n;

	n = snprintf(buf, sizeof(buf), "iscsi://%s%s%s%s%s%s%s:%u/%s/%u",
		     u->user, u->secret[0] ? "%" : "", u->secret,
		     u->user[0] || u->secret[0] ? "@" : "", v6 ? "[" : "",
		     u->host, v6 ? "]" : "", u->port, u->target, u->lun);
	fz_check(n > 0 && (size_t)n < sizeof(buf));
	if (nx_ini_url_parse(buf, &v) != 0)
		fz_fail("\"%s\" (printed from the parsed fields) refused", buf);
	if (strcmp(u->host, v.host) || u->port != v.port ||
	    strcmp(u->target, v.target) || u->lun != v.lun ||
	    strcmp(u->user, v.user) || strcmp(u->secret, v.secret))
		fz_fail("\"%s\" parses to other fields", buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1);
	struct nx_ini_url u;

	fz_check(url != NULL);
	memcpy(url, data, size);
	url[size] = '\0';
	if (nx_ini_url_parse(url, &u) == 0) {
		terminated(u.host, sizeof(u.host), "host");
		terminated(u.target, sizeof(u.target), "target");
		terminated(u.user, sizeof(u.user), "user");
		terminated(u.secret, sizeof(u.secret), "secret");
		check_host(u.host);
		if (u.target[0] == '\0')
			fz_fail("empty target accepted");
		if (u.port == 0 || u.lun > 16383)
			fz_fail("port %u lun %u accepted", u.port, u.lun);
		round_trip(&u);
	}
	free(url);
	return 0;
}
