/*
 * main.c - nexus-target: the nexus iSCSI target daemon.
 */
#include <stdlib.h>

#include "daemon.h"

#define NEXUS_VERSION "0.1"

int main(int argc, char **argv)
{
	struct nx_daemon_config cfg;
	struct nx_daemon *d;
	char err[1024];
	bool usage_error;
	int rc;

	nx_config_init(&cfg);
	if (nx_config_parse_args(&cfg, argc, argv, err, sizeof(err)) < 0 ||
	    nx_config_finish(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "nexus-target: %s\nTry 'nexus-target --help'.\n", err);
		nx_config_free(&cfg);
		return 2;
	}
	if (cfg.help || cfg.version) {
		if (cfg.help)
			nx_config_usage(stdout);
		else
			printf("nexus-target %s\n", NEXUS_VERSION);
		nx_config_free(&cfg);
		return 0;
	}
	if (nx_daemon_start(&cfg, &d, &usage_error, err, sizeof(err)) < 0) {
		fprintf(stderr, "nexus-target: %s\n", err);
		nx_config_free(&cfg);
		return usage_error ? 2 : 1;
	}
	nx_daemon_banner(d, stdout);
	rc = nx_daemon_run(d);
	nx_daemon_totals(d, stdout);
	nx_daemon_free(d);
	nx_config_free(&cfg);
	return rc;
}
