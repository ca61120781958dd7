/*
 * nx_scenario.h - simulator scenarios: C code against the initiator
 * library that runs a workload on a simulated network and checks
 * invariants while it runs and when it ends.  nexus-sim picks one by
 * name from nx_scenarios[] (registry.c) and runs it for a seed.
 *
 * A scenario is a pure function of (seed, link, duration): every choice
 * it makes (operation mix, timing, sizes, LBAs, faults) comes from
 * streams forked from the sim's root stream, so the same arguments give
 * a byte-identical pcap and log.  A failed invariant calls nx_scn_fail(),
 * which never returns: nexus-sim prints the summary line with the
 * reason, the log tail and the command that reproduces the run, and
 * exits 1.
 *
 * Files: registry.c (the table), workload.c (the shared I/O engine,
 * nx_scn_workload), scn_util.c (block contents, sense, self-healing
 * faults shared by workload.c and tmf), one file per scenario (mixed.c,
 * io.c, faults.c, reservations.c), and tmf.c with its modules
 * (tmf_internal.h lists them) and its models in tmf_model.c.
 */
#ifndef NX_SCENARIO_H
#define NX_SCENARIO_H

#include "../nx_sim_iscsi.h"
#include "../nx_sim_iser.h"

/* Fault kinds (--faults link,reset,disk,crash,power | all | none). */
enum nx_scn_fault {
	NX_SCN_FAULT_LINK,   /* partition + heal of one or every path */
	NX_SCN_FAULT_RESET,  /* TCP reset of an initiator's connection */
	NX_SCN_FAULT_DISK,   /* media errors on a range, error + latency burst */
	NX_SCN_FAULT_CRASH,  /* target torn down and rebuilt on the same disk */
	NX_SCN_FAULT_POWER,  /* crash + the sim disk drops its volatile cache */
	NX_SCN_FAULT_KINDS
};
#define NX_SCN_FAULTS_ALL ((1u << NX_SCN_FAULT_KINDS) - 1)
extern const char *const nx_scn_fault_names[NX_SCN_FAULT_KINDS];
/* "all", "none" or a comma list of names; 0 or NX_EINVAL. */
int nx_scn_faults_parse(const char *s, uint32_t *mask);
/* Canonical form of a mask ("none", "all" or the comma list). */
void nx_scn_faults_format(uint32_t mask, char *buf, size_t len);

struct nx_scn_env {
	/* in: set up by nexus-sim */
	struct nx_sim *sim;
	struct nx_sim_net *net;          /* link model and pcap attached */
	/* --transport iser: the sessions run over iSER on this RDMA fabric
	 * (link model's latency/jitter/bandwidth, RoCEv2 capture attached);
	 * NULL: iSCSI over sim TCP on net. */
	struct nx_sim_rdma *fabric;
	/* --transport srp: with fabric, the sessions are SRP channels
	 * (transports/srp) instead of iSER connections. */
	bool srp;
	uint64_t duration_ns;            /* virtual time of the workload */
	uint32_t faults;                 /* --faults mask */
	bool faults_set;                 /* --faults given (else the default) */
	/* out: counters for the summary line */
	uint64_t cmds;                   /* SCSI commands completed */
	uint64_t bytes;                  /* data bytes moved by GOOD commands */
	uint64_t tmfs;
	uint64_t uas;                    /* unit attentions received */
	uint64_t faults_n[NX_SCN_FAULT_KINDS]; /* faults injected per kind */
	uint64_t reconnects;             /* initiator re-logins after faults */
	uint64_t watchdogs;              /* connections dropped as stuck */
	uint32_t faults_used;            /* the mask the scenario ran with */
	char note[768];                  /* scenario's own counters, "k=v ..." */
	/* nexus-sim's failure reporter (prints, exits 1) */
	void (*fail)(struct nx_scn_env *env, const char *why);
	void *priv;
};

struct nx_scenario {
	const char *name;
	const char *summary;             /* one line for --list */
	const char *default_link;        /* when --link is not given */
	uint64_t default_duration_ns;
	/* Returns only on success; failures go through nx_scn_fail(). */
	void (*run)(struct nx_scn_env *env);
};

extern const struct nx_scenario nx_scenario_mixed;   /* mixed.c */
extern const struct nx_scenario nx_scenario_io;      /* io.c */
extern const struct nx_scenario nx_scenario_faults;  /* faults.c */
extern const struct nx_scenario nx_scenario_reservations; /* reservations.c */
extern const struct nx_scenario nx_scenario_tmf;     /* tmf.c */

extern const struct nx_scenario *const nx_scenarios[];
extern const unsigned nx_scenario_count;
const struct nx_scenario *nx_scenario_find(const char *name);

__attribute__((noreturn, format(printf, 2, 3))) void
nx_scn_fail(struct nx_scn_env *env, const char *fmt, ...);

/* ---- the shared workload engine (workload.c) ---------------------------- */

struct nx_scn_workload_opts {
	unsigned initiators;     /* 1 or 2, each on its own host */
	uint32_t qd_max;         /* commands in flight per initiator (<= 32) */
	uint32_t blocks_max;     /* per READ/WRITE (<= 256) */
	uint64_t lu_bytes;       /* LU 0: file backstore on a sim disk */
	/* Unit attentions and task management: MODE SELECT (2Ah/01h to the
	 * others), ABORT TASK, LOGICAL UNIT RESET (29h/03h to all), TAS
	 * drawn from the seed (TAS=0 makes the other initiator recover
	 * with ABORT TASK SET). */
	bool control;
	/* Faults injected from the seed (mask of 1 << enum nx_scn_fault),
	 * with the invariants checked after each; see workload.c. */
	uint32_t faults;
	/* Persistent reservations (needs control): PERSISTENT RESERVE OUT
	 * (REGISTER, RESERVE / RELEASE of an all-registrants type, CLEAR,
	 * PREEMPT, APTPL) and IN join the control operations, checked
	 * against a model; see workload.c. */
	bool pr;
	/* The pure I/O benchmark's shape (io.c), like fio or iscsi-perf:
	 * blocks_fixed: every READ/WRITE is exactly this many blocks (0 =
	 * drawn: mostly small, sometimes up to blocks_max); closed_loop:
	 * each initiator keeps exactly qd_max READs/WRITEs in flight and
	 * sends the next one as soon as one completes (no think time, no
	 * TEST UNIT READY).  The seed still draws the mix and the LBAs. */
	uint32_t blocks_fixed;
	bool closed_loop;
	/* READ/WRITE (and ranged SYNCHRONIZE CACHE) start at a multiple of
	 * this many blocks, as fio's blockalign (= bs by default) does; 0 or
	 * 1: any block.  Still one draw per pick from the seed. */
	uint32_t align_blocks;
	/* Chance per issue of a control operation, parts per million; 0 =
	 * drawn from the seed (200..5000). */
	uint32_t ctl_ppm;
	/* Bounded work (fuzz_sim): after this many sim events the workload
	 * stops issuing and drains as at the end of its duration.  0 =
	 * unlimited. */
	uint64_t events_max;
};

void nx_scn_workload(struct nx_scn_env *env,
		     const struct nx_scn_workload_opts *o);

#endif /* NX_SCENARIO_H */
