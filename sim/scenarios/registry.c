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
};
const unsigned nx_scenario_count = sizeof(nx_scenarios) / sizeof(nx_scenarios[0]);

const struct nx_scenario *nx_scenario_find(const char *name)
{
	for (unsigned i = 0; i < nx_scenario_count; i++)
		if (strcmp(nx_scenarios[i]->name, name) == 0)
			return nx_scenarios[i];
	return NULL;
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
