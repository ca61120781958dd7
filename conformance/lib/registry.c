/*
 * registry.c - every suite file's table, in run order.  A new suite file
 * defines `NX_CONF_TABLE(nx_conf_table_<suite>_<file>, tests);` and gets
 * one line here.
 */
#include "nx_conf.h"

extern const struct nx_conf_table nx_conf_table_sam5_ua;
extern const struct nx_conf_table nx_conf_table_sam5_task;
extern const struct nx_conf_table nx_conf_table_sam5_tmf;
extern const struct nx_conf_table nx_conf_table_sam5_aca;
extern const struct nx_conf_table nx_conf_table_spc4_inquiry;
extern const struct nx_conf_table nx_conf_table_spc4_luns;
extern const struct nx_conf_table nx_conf_table_spc4_cdb;
extern const struct nx_conf_table nx_conf_table_spc4_mode;
extern const struct nx_conf_table nx_conf_table_spc4_vpd;
extern const struct nx_conf_table nx_conf_table_spc4_rsoc;
extern const struct nx_conf_table nx_conf_table_spc4_sense;
extern const struct nx_conf_table nx_conf_table_spc4_log;
extern const struct nx_conf_table nx_conf_table_spc4_mode2;
extern const struct nx_conf_table nx_conf_table_spc4_pr;
extern const struct nx_conf_table nx_conf_table_spc4_alua;
extern const struct nx_conf_table nx_conf_table_sbc3_capacity;
extern const struct nx_conf_table nx_conf_table_sbc3_rw;
extern const struct nx_conf_table nx_conf_table_sbc3_verify;
extern const struct nx_conf_table nx_conf_table_sbc3_writeverify;
extern const struct nx_conf_table nx_conf_table_sbc3_sync;
extern const struct nx_conf_table nx_conf_table_sbc3_prefetch;
extern const struct nx_conf_table nx_conf_table_sbc3_boundaries;
extern const struct nx_conf_table nx_conf_table_sbc3_thin;
extern const struct nx_conf_table nx_conf_table_sbc3_caw;
extern const struct nx_conf_table nx_conf_table_sbc3_startstop;
extern const struct nx_conf_table nx_conf_table_sbc3_xcopy;
extern const struct nx_conf_table nx_conf_table_sbc3_atomic;
extern const struct nx_conf_table nx_conf_table_sbc3_sanitize;
extern const struct nx_conf_table nx_conf_table_sbc3_format;
extern const struct nx_conf_table nx_conf_table_sbc3_defect;
extern const struct nx_conf_table nx_conf_table_sbc3_removable;
extern const struct nx_conf_table nx_conf_table_sbc3_physblock;
extern const struct nx_conf_table nx_conf_table_iscsi_login;
extern const struct nx_conf_table nx_conf_table_iscsi_ffp;
extern const struct nx_conf_table nx_conf_table_iscsi_data;
extern const struct nx_conf_table nx_conf_table_iscsi_session;
extern const struct nx_conf_table nx_conf_table_iscsi_security;
extern const struct nx_conf_table nx_conf_table_iscsi_limits;

const struct nx_conf_table *const nx_conf_tables[] = {
	&nx_conf_table_sam5_ua,
	&nx_conf_table_sam5_task,
	&nx_conf_table_sam5_tmf,
	&nx_conf_table_sam5_aca,
	&nx_conf_table_spc4_inquiry,
	&nx_conf_table_spc4_luns,
	&nx_conf_table_spc4_cdb,
	&nx_conf_table_spc4_mode,
	&nx_conf_table_spc4_vpd,
	&nx_conf_table_spc4_rsoc,
	&nx_conf_table_spc4_sense,
	&nx_conf_table_spc4_log,
	&nx_conf_table_spc4_mode2,
	&nx_conf_table_spc4_pr,
	&nx_conf_table_spc4_alua,
	&nx_conf_table_sbc3_capacity,
	&nx_conf_table_sbc3_rw,
	&nx_conf_table_sbc3_verify,
	&nx_conf_table_sbc3_writeverify,
	&nx_conf_table_sbc3_sync,
	&nx_conf_table_sbc3_prefetch,
	&nx_conf_table_sbc3_boundaries,
	&nx_conf_table_sbc3_thin,
	&nx_conf_table_sbc3_caw,
	&nx_conf_table_sbc3_startstop,
	&nx_conf_table_sbc3_xcopy,
	&nx_conf_table_sbc3_atomic,
	&nx_conf_table_sbc3_sanitize,
	&nx_conf_table_sbc3_format,
	&nx_conf_table_sbc3_defect,
	&nx_conf_table_sbc3_removable,
	&nx_conf_table_sbc3_physblock,
	&nx_conf_table_iscsi_login,
	&nx_conf_table_iscsi_ffp,
	&nx_conf_table_iscsi_data,
	&nx_conf_table_iscsi_session,
	&nx_conf_table_iscsi_security,
	&nx_conf_table_iscsi_limits,
};

const size_t nx_conf_table_count = NX_ARRAY_SIZE(nx_conf_tables);
