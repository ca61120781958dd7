/*
 * registry.c - every scenario nexus-sim knows, in --list order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_scenario.h"

const struct nx_scenario *const nx_scenarios[] = {
	&nx_scenario_mixed,
	&nx_scenario_io,
	&nx_scenario_faults,
	&nx_scenario_reservations,
	&nx_scenario_tmf,
};
const unsigned nx_scenario_count = sizeof(nx_scenarios) / sizeof(nx_scenarios[0]);

const struct nx_scenario *nx_scenario_find(const char *name)
{
	for (unsigned i = 0; i < nx_scenario_count; i++)
		if (strcmp(nx_scenarios[i]->name, name) == 0)
			return nx_scenarios[i];
	return NULL;
}

const char *const nx_scn_fault_names[NX_SCN_FAULT_KINDS] = {
	"link", "reset", "disk", "crash", "power",
};

int nx_scn_faults_parse(const char *s, uint32_t *mask)
{
	char buf[128], *save = NULL;

	*mask = 0;
	if (strcmp(s, "all") == 0) {
		*mask = NX_SCN_FAULTS_ALL;
		return 0;
	}
	if (strcmp(s, "none") == 0)
		return 0;
	if (strlen(s) >= sizeof(buf))
		return NX_EINVAL;
	strcpy(buf, s);
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		unsigned k = 0;

		while (k < NX_SCN_FAULT_KINDS && strcmp(t, nx_scn_fault_names[k]) != 0)
			k++;
		if (k == NX_SCN_FAULT_KINDS)
			return NX_EINVAL;
		*mask |= 1u << k;
	}
	return 0;
}

void nx_scn_faults_format(uint32_t mask, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (mask == 0 || mask == NX_SCN_FAULTS_ALL) {
		snprintf(buf, len, "%s", mask ? "all" : "none");
		return;
	}
	for (unsigned k = 0; k < NX_SCN_FAULT_KINDS && n < len; k++)
		if (mask & (1u << k))
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n ? "," : "", nx_scn_fault_names[k]);
}

void nx_scn_fail(struct nx_scn_env *env, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	nx_log(NX_LOG_ERR, "scn: FAIL: %s", why);
	if (env->fail != NULL)
		env->fail(env, why);
	fprintf(stderr, "FAIL: %s\n", why);
	exit(1);
}
