/*
 * nx_conf.h - the conformance framework: one test per spec requirement,
 * run against nexus on a simulated host (sim, the default), nexus
 * in-process (loopback) or any external iSCSI target (tcp,
 * iscsi://host[:port]/iqn/lun).
 *
 * A test is a CMocka test function (cmocka's assert_* work inside) plus
 * a row in its file's table: suite, name, clause, one-line requirement.
 * The runner gives every test a fresh environment (a new simulated or
 * in-process target for sim/loopback; a fresh set of sessions for tcp),
 * runs it on its own and records PASS / FAIL / SKIP.  A test talks to
 * the target through sessions (nx_conf_login) and the helpers below;
 * expectations are macros (NX_EXPECT_*) that print what was expected
 * and what came back, then fail the test at the caller's line.
 *
 * Optional features follow libiscsi's rule: a target that does not
 * implement an optional command (INVALID COMMAND OPERATION CODE) makes
 * the test SKIPPED, never PASS (NX_SKIP_IF_UNSUPPORTED).
 *
 * Determinism: initiator names, ISIDs, ITTs, data patterns and the
 * simulated network (or the loopback segmenting) all derive from the
 * test name and --seed.
 *
 * Files: nx_conf.c (sessions, commands, expectations), runner.c (running
 * tests, reports), registry.c (the suites' tables), fixture.c,
 * backend_sim.c, backend_loopback.c, backend_tcp.c.  See
 * conformance/README.md for a worked example.
 */
#ifndef NX_CONF_H
#define NX_CONF_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../initiator/nx_initiator.h"
#include "../../initiator/nx_ini_sync.h"
#include "../../initiator/nx_ini_srp.h"

/* ---- registration -------------------------------------------------------- */

struct nx_conf_test {
	const char *suite;       /* "sam5", "spc4", "sbc3", "iscsi" */
	const char *name;        /* unique within the suite: "inquiry_alloc_len" */
	const char *clause;      /* "SPC-4 6.6.1" */
	const char *requirement; /* one line, what the target must do */
	void (*fn)(void **state);
	unsigned fixture;        /* NX_CONF_FX_*: fixture variant (sim, loopback) */
};

/* Fixture variants a test may ask for (the in-process backends build
 * the server accordingly; tcp ignores them, tests check what they got). */
#define NX_CONF_FX_DISCOVERY_CHAP 1u /* discovery sessions need CHAP */
/* Connection caps: 2 connections in sessions of the target under test,
 * 3 connections through one portal (nx_iscsi_limits). */
#define NX_CONF_FX_CONN_CAPS 2u
#define NX_CONF_FX_CONN_CAPS_TARGET 2u
#define NX_CONF_FX_CONN_CAPS_PORTAL 3u
/* Per source address caps: 2 sessions, 2 connections logging in. */
#define NX_CONF_FX_ADDR_CAPS 4u
#define NX_CONF_FX_ADDR_CAPS_SESSIONS 2u
#define NX_CONF_FX_ADDR_CAPS_LOGINS 2u
/* Every stream from one initiator host (one source address); sim
 * otherwise gives each stream slot a host of its own. */
#define NX_CONF_FX_ONE_HOST 8u
/* The target under test refuses TARGET WARM/COLD RESET. */
#define NX_CONF_FX_NO_TARGET_RESET 16u

/* One table per suite file, listed in registry.c. */
struct nx_conf_table {
	const struct nx_conf_test *tests;
	size_t count;
};

#define NX_CONF_TEST(suite_, fn_, clause_, req_)                             \
	{ .suite = suite_, .name = #fn_, .clause = clause_,                  \
	  .requirement = req_, .fn = test_##fn_ }
#define NX_CONF_TEST_FX(suite_, fn_, clause_, req_, fx_)                     \
	{ .suite = suite_, .name = #fn_, .clause = clause_,                  \
	  .requirement = req_, .fn = test_##fn_, .fixture = fx_ }
#define NX_CONF_TABLE(var_, tests_)                                          \
	const struct nx_conf_table var_ = { tests_, sizeof(tests_) /         \
						    sizeof((tests_)[0]) }

extern const struct nx_conf_table *const nx_conf_tables[];
extern const size_t nx_conf_table_count;

/* ---- options and the runner ----------------------------------------------- */

struct nx_conf_opts {
	const char *backend;     /* "sim" (default), "loopback", "tcp" */
	const char *transport;   /* "iscsi" (default), "iser" or "srp" (sim only) */
	const char *target_url;  /* iscsi://host[:port]/iqn/lun (tcp) */
	const char *link;        /* sim link model (nx_link.h); NULL: ideal */
	const char *suite;       /* NULL: all */
	const char *pattern;     /* glob on "suite.name", or a substring */
	const char *junit;       /* JUnit XML path, or NULL */
	const char *matrix;      /* Markdown matrix path, or NULL */
	uint64_t seed;
	bool list;
	bool verbose;            /* print every diagnostic, not only failures' */
};

/* Runs the selected tests; returns the process exit code (0: none
 * failed, 1: failures, 2: usage/backend error). */
int nx_conf_main(const struct nx_conf_opts *opts);

/* ---- backends --------------------------------------------------------------
 *
 * A backend makes the target reachable and moves bytes.  A stream is one
 * connection: the framework fills rx/eof (who consumes received bytes)
 * and the backend fills send/close (how bytes leave).  poll() makes one
 * unit of progress on every stream (one queue hop in loopback, one
 * poll(2) round on tcp, one event in the simulator) and delivers received
 * bytes through rx(); it may call rx/eof but never from inside send.
 */
struct nx_conf_stream {
	/* framework side */
	void (*rx)(struct nx_conf_stream *st, const uint8_t *buf, size_t len);
	void (*eof)(struct nx_conf_stream *st);
	void *owner;
	unsigned port;   /* which target port (portal) to reach: 0, 1 */
	/* backend side, set by connect() */
	void (*send)(struct nx_conf_stream *st, const struct nx_iovec *iov,
		     unsigned n);
	void (*close)(struct nx_conf_stream *st); /* the initiator hangs up */
	void *priv;
	/* A message transport (iSER): each send() and each rx() is one
	 * whole PDU, and the initiator connection gets this datamover. */
	const struct nx_ini_dm_ops *dm;
	void *dm_ctx;
};

/* What the tests talk to; filled by the backend's create(). */
struct nx_conf_target {
	char name[NX_INI_NAME_MAX];   /* target IQN */
	uint32_t lun;                 /* the LU under test */
	uint64_t blocks;              /* 0: unknown (read it) */
	uint32_t block_size;          /* 0: unknown */
	/* A second target that requires CHAP; name "" = none (skip). */
	char chap_name[NX_INI_NAME_MAX];
	char chap_user[NX_INI_NAME_MAX];
	char chap_secret[NX_INI_SECRET_MAX];
	/* The CHAP target's own credentials for mutual CHAP; "" = none. */
	char mutual_user[NX_INI_NAME_MAX];
	char mutual_secret[NX_INI_SECRET_MAX];
	/* A target with an initiator ACL (name "" = none): initiator 0 may
	 * log in, initiator 1 too with every LU read-only, others not. */
	char acl_name[NX_INI_NAME_MAX];
	/* Discovery CHAP credentials when the fixture requires them
	 * (NX_CONF_FX_DISCOVERY_CHAP); user "" = not required. */
	char disc_user[NX_INI_NAME_MAX];
	char disc_secret[NX_INI_SECRET_MAX];
	/* CHAP for the target under test (from the URL); user "" = none. */
	char auth_user[NX_INI_NAME_MAX];
	char auth_secret[NX_INI_SECRET_MAX];
	uint32_t steps_max;           /* sync-layer poll budget per request */
	/* Target ports a stream can reach (nx_conf_stream.port < ports;
	 * 0 means 1).  The in-process fixture serves 2, in 2 target port
	 * groups (SPC-4 5.16). */
	unsigned ports;
	/* In-process backends: the target under test, for what has no wire
	 * command (implicit ALUA transitions); NULL over tcp. */
	struct nx_target *local;
	bool iser;                    /* streams are iSER connections */
	/* Sessions are SRP RDMA channels (SRP r16a): no iSCSI at all; the
	 * backend's srp_connect makes them, to this target port. */
	bool srp;
	uint8_t srp_port_id[NX_SRP_PORT_ID_LEN];  /* of target port 0 */
	/* The NX_CONF_FX_* variants the backend serves for this test (an
	 * external target: none, and the tests that need one skip). */
	unsigned fx;
};

struct nx_conf_backend {
	const char *name;
	int (*create)(const struct nx_conf_opts *opts, uint64_t seed,
		      struct nx_conf_target *tgt, void **ctx);
	int (*connect)(void *ctx, struct nx_conf_stream *st);
	void (*poll)(void *ctx);
	/* After the framework stopped using the stream (its initiator
	 * connection is already freed).  Frees the backend's side. */
	void (*disconnect)(void *ctx, struct nx_conf_stream *st);
	void (*destroy)(void *ctx);
	/* --transport srp: logs an SRP channel in with cfg to target port
	 * `port` (whose identifier replaces cfg's TARGET PORT IDENTIFIER
	 * for port > 0); 0, or the initiator's error (NX_INI_ELOGIN with
	 * *rej filled).  The channel goes back with srp_disconnect (which
	 * frees it). */
	int (*srp_connect)(void *ctx, unsigned port,
			   const struct nx_ini_srp_config *cfg,
			   struct nx_ini_srp **out, struct nx_srp_login_rej *rej);
	void (*srp_disconnect)(void *ctx, struct nx_ini_srp *it);
};

extern const struct nx_conf_backend nx_conf_backend_sim;
extern const struct nx_conf_backend nx_conf_backend_loopback;
extern const struct nx_conf_backend nx_conf_backend_tcp;

/* The fixture every in-process backend (sim, loopback) serves, built by
 * one function (fixture.c): target NX_CONF_TARGET_NAME with LU 0 (RAM,
 * 16 MiB, 512-byte blocks, the LU under test), LU 1 (RAM, 4 MiB,
 * 4096-byte blocks), LU 2 (RAM, 1 MiB, removable medium) and LU 3 (RAM,
 * 1 MiB, read-only); NX_CONF_CHAP_TARGET_NAME requires CHAP and has LU 0.
 * Two portals: portal 0 is TPGT 1 = relative target port 1 in target port
 * group 1, portal 1 is TPGT 2 = relative port 2 in group 2; both groups
 * start active/optimized, IMPLICIT TRANSITION TIME 10 s. */
struct nx_target;
struct nx_iscsi_server_config;
struct nx_conf_fixture {
	struct nx_target *tgt, *chap_tgt, *acl_tgt;
};
/* Builds the targets, fills *sc (portals 0 and 1 with TPGTs 1 and 2,
 * both targets) and *desc.  The caller builds its server from sc, frees
 * the server first, then nx_conf_fixture_free(). */
#define NX_CONF_FIXTURE_PORTS 2
int nx_conf_fixture_new(struct nx_conf_fixture *f, const char *portal,
			const char *portal2, struct nx_iscsi_server_config *sc,
			struct nx_conf_target *desc);
void nx_conf_fixture_free(struct nx_conf_fixture *f);

/* nexus-conform links the simulator platform (sim/platform_sim.c): every
 * backend runs the test on a fresh nx_sim made current (virtual clock,
 * nx_random_u64 from the test's seed, nx_log at WARN to stderr, which
 * the runner keeps as the test's notes). */
struct nx_sim;
struct nx_sim *nx_conf_sim_new(const struct nx_conf_opts *opts, uint64_t seed);
void nx_conf_sim_free(struct nx_sim *sim);

/* Target URLs (iscsi://[user[%secret]@]host[:port]/iqn/lun) are parsed
 * by nx_ini_url_parse() (tools/ini-tcp/nx_ini_tcp.h). */

/* ---- sessions ------------------------------------------------------------- */

struct nx_conf_sess;

/* The environment of the running test. */
const struct nx_conf_target *nx_conf_target(void);
uint32_t nx_conf_lun(void);                  /* the LU under test */
const struct nx_ini_driver *nx_conf_driver(void);
uint64_t nx_conf_seed(void);                 /* per test: --seed ^ name */
unsigned nx_conf_test_fixture(void);         /* NX_CONF_FX_* of the test */
/* The InitiatorName nx_conf_config() gives initiator number i. */
void nx_conf_initiator_name(unsigned i, char *buf, size_t len);

/* Default configuration of initiator number `initiator` (0, 1, ...):
 * its own InitiatorName "iqn.2026-11.dev.nexus:conform.i<N>" and an ISID
 * unique within the test; TargetName = the target under test. */
void nx_conf_config(struct nx_ini_config *cfg, unsigned initiator);

/* Logs in (fails the test if the login does not succeed). */
struct nx_conf_sess *nx_conf_login(unsigned initiator);
struct nx_conf_sess *nx_conf_login_cfg(const struct nx_ini_config *cfg);
/* Logs in through target port `port` (0, 1, ... < nx_conf_target()->ports);
 * a port the backend cannot reach makes the test SKIPPED. */
struct nx_conf_sess *nx_conf_login_port(unsigned initiator, unsigned port);
/* Tries a login; returns the sync layer's code (0, NX_INI_ELOGIN...)
 * with the Login Response status in *out.  *sess gets the session
 * (logged in or not) - free it with nx_conf_drop(). */
int nx_conf_login_try(const struct nx_ini_config *cfg,
		      struct nx_ini_login *out, struct nx_conf_sess **sess);
/* Logout (reason: close the session); asserts Response 0.  Frees. */
void nx_conf_logout(struct nx_conf_sess *s);
/* Drops the connection without logout (I_T nexus loss).  Frees. */
void nx_conf_drop(struct nx_conf_sess *s);

/* The iSCSI objects of a session; over SRP there are none and the test
 * is SKIPPED there (what it does needs iSCSI). */
struct nx_ini_conn *nx_conf_conn(struct nx_conf_sess *s);
struct nx_ini_session *nx_conf_ini(struct nx_conf_sess *s);
/* The SRP INITIATOR PORT IDENTIFIER the framework uses for a session
 * made from cfg over SRP (SRP TransportIDs name it). */
void nx_conf_srp_port_id(const struct nx_ini_config *cfg,
			 uint8_t id[NX_SRP_PORT_ID_LEN]);
/* Over SRP: the session's channel (NULL over iSCSI/iSER). */
struct nx_ini_srp *nx_conf_srp(struct nx_conf_sess *s);
/* Polls the backend n times (lets unsolicited traffic happen). */
void nx_conf_poll(unsigned n);

/* ---- SCSI commands -------------------------------------------------------- */

/* A SCSI command's outcome, sense decoded (fixed or descriptor). */
struct nx_conf_result {
	int err;                 /* 0: a SCSI Response arrived */
	uint8_t response;        /* iSCSI response */
	uint8_t status;
	uint8_t flags;           /* NX_INI_RSP_* (overflow/underflow) */
	uint32_t residual;
	uint32_t data_in_got;
	uint16_t sense_len;
	uint8_t sense[NX_INI_SENSE_MAX];
	uint8_t key, asc, ascq;
	bool info_valid;
	uint64_t info;
	bool sksv;               /* sense key specific valid */
	uint8_t sks[3];
};

/* CDB length from the opcode's group code (SPC-4 4.2.5.1). */
unsigned nx_conf_cdb_len(uint8_t opcode);

/* LU under test, SIMPLE attribute; buf/len is the data-in or data-out
 * buffer (len = expected data transfer length).  Returns r->err. */
int nx_conf_scsi(struct nx_conf_sess *s, const uint8_t *cdb,
		 enum nx_ini_dir dir, void *buf, uint32_t len,
		 struct nx_conf_result *r);

/* INQUIRY (SPC-4 6.6): standard data (evpd false) or VPD page `page`,
 * ALLOCATION LENGTH alloc into d, which is first filled with 0xee so a
 * byte the target did not write shows.  Returns r->err. */
int nx_conf_inquiry(struct nx_conf_sess *s, bool evpd, uint8_t page,
		    uint16_t alloc, uint8_t *d, struct nx_conf_result *r);

/* Everything a command can vary. */
struct nx_conf_cmd {
	uint64_t lun_field;      /* 8-byte LUN field; see nx_ini_lun() */
	const uint8_t *cdb;
	unsigned cdb_len;        /* 0: from the opcode */
	uint8_t attr;            /* enum nx_ini_attr; 0 = UNTAGGED */
	enum nx_ini_dir dir;
	void *buf;
	uint32_t len;
};
int nx_conf_scsi_ex(struct nx_conf_sess *s, const struct nx_conf_cmd *c,
		    struct nx_conf_result *r);

/* Asynchronous use: submit several, then wait for each. */
struct nx_conf_async {
	struct nx_ini_scsi cmd;
	bool done;
};
int nx_conf_submit(struct nx_conf_sess *s, const struct nx_conf_cmd *c,
		   struct nx_conf_async *a);
/* Polls until a completes (or the step budget ends: NX_INI_ETIMEDOUT). */
int nx_conf_wait(struct nx_conf_sess *s, struct nx_conf_async *a,
		 struct nx_conf_result *r);

/* Clears pending unit attentions with TEST UNIT READY (at most 16). */
void nx_conf_clear_ua(struct nx_conf_sess *s);
/* nx_conf_login(initiator), then nx_conf_clear_ua. */
struct nx_conf_sess *nx_conf_login_clear(unsigned initiator);
/* READ CAPACITY(16) of the LU under test (cached per test). */
void nx_conf_capacity(struct nx_conf_sess *s, uint64_t *blocks,
		      uint32_t *block_size);
/* Deterministic block pattern for (lba, salt). */
void nx_conf_pattern(void *buf, uint32_t len, uint64_t lba, uint32_t salt);
/* READ/WRITE(16) helpers that assert GOOD. */
void nx_conf_write(struct nx_conf_sess *s, uint64_t lba, uint32_t blocks,
		   const void *buf);
void nx_conf_read(struct nx_conf_sess *s, uint64_t lba, uint32_t blocks,
		  void *buf);
/* MODE SENSE(10) of page/subpage, PC (0 current, 1 changeable, 2 default,
 * 3 saved), DBD=1; returns r->err. */
int nx_conf_mode_sense(struct nx_conf_sess *s, uint8_t pc, uint8_t page,
		       uint8_t subpage, uint8_t *buf, uint16_t len,
		       struct nx_conf_result *r);

/* ---- task management, NOP, raw PDUs --------------------------------------- */

/* fn: enum nx_ini_tmf_fn; ref: the command for ABORT/QUERY TASK or NULL.
 * Returns err; *response gets the TMF response. */
int nx_conf_tmf(struct nx_conf_sess *s, uint8_t fn, uint64_t lun_field,
		const struct nx_ini_scsi *ref, uint8_t *response);
/* The same with the referenced task named by ITT and CmdSN (0xffffffff:
 * none).  Over SRP the function goes as SRP_TSK_MGMT (SRP r16a 6.7:
 * ABORT TASK, ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT RESET, CLEAR
 * ACA; a function SRP has no code for makes the test SKIPPED) and the
 * SRP response code comes back as the iSCSI one: 00h FUNCTION COMPLETE,
 * 02h REQUEST FIELDS INVALID (the LUN) as NO_LUN, 04h as NOT_SUPPORTED,
 * 05h FAILED as REJECTED. */
int nx_conf_tmf_ex(struct nx_conf_sess *s, uint8_t fn, uint64_t lun_field,
		   uint32_t ref_itt, uint32_t ref_cmdsn, uint8_t *response);
/* Gives up an asynchronous command (no answer is expected any more). */
void nx_conf_cancel(struct nx_conf_sess *s, struct nx_conf_async *a);

/* A PDU as received (no padding/digests). */
struct nx_conf_pdu {
	uint8_t bhs[48];
	uint8_t data[8192];
	uint32_t data_len;       /* full DataSegmentLength; data keeps 8 KiB */
};

/* The next PDU with this opcode (0x3f = any) is consumed by the test
 * instead of the initiator; nx_conf_expect_pdu() polls for it.  Returns
 * 0 or NX_INI_ETIMEDOUT. */
void nx_conf_capture(struct nx_conf_sess *s, uint8_t opcode);
int nx_conf_expect_pdu(struct nx_conf_sess *s, struct nx_conf_pdu *pdu);
/* True if a PDU other than R2T with this ITT arrived since the last
 * nx_conf_capture(). */
/* Starts recording ITTs (for nx_conf_saw_itt) without capturing. */
void nx_conf_watch(struct nx_conf_sess *s);
bool nx_conf_saw_itt(struct nx_conf_sess *s, uint32_t itt);
/* Sends a raw BHS (+ data) on the session's connection. */
void nx_conf_send_pdu(struct nx_conf_sess *s, const uint8_t bhs[48],
		      const void *data, uint32_t len);
/* A fresh ITT the initiator library never uses. */
uint32_t nx_conf_raw_itt(struct nx_conf_sess *s);

/* A bare connection with no initiator on it (login-phase tests). */
struct nx_conf_raw;
struct nx_conf_raw *nx_conf_raw_open(void);
void nx_conf_raw_send(struct nx_conf_raw *r, const uint8_t bhs[48],
		      const void *data, uint32_t len);
/* 0, NX_INI_ECONNRESET (closed by the target) or NX_INI_ETIMEDOUT. */
int nx_conf_raw_recv(struct nx_conf_raw *r, struct nx_conf_pdu *pdu);
void nx_conf_raw_free(struct nx_conf_raw *r);

/* Login Request BHS (RFC 7143 11.12): T=1, CSG/NSG as given, CID 0. */
void nx_conf_login_bhs(uint8_t bhs[48], const uint8_t isid[6], uint32_t itt,
		       uint32_t cmdsn, uint8_t csg, uint8_t nsg,
		       uint32_t data_len);
/* Appends "key=value\0" to buf (cap bytes); returns the new length. */
uint32_t nx_conf_kv(char *buf, uint32_t cap, uint32_t len, const char *key,
		    const char *value);

/* ---- expectations ------------------------------------------------------------
 *
 * Each prints "expected ..., got ..." with the test's file:line and fails
 * the test there.  Exact values only; where the standard allows a choice
 * the test says so explicitly.
 */
#define SK_NO_SENSE 0x0
#define SK_NOT_READY 0x2
#define SK_MEDIUM_ERROR 0x3
#define SK_ILLEGAL_REQUEST 0x5
#define SK_UNIT_ATTENTION 0x6
#define SK_DATA_PROTECT 0x7
#define SK_ABORTED_COMMAND 0xb
#define SK_MISCOMPARE 0xe

#define NX_EXPECT_OK(r) nx_conf_expect_ok_(r, __FILE__, __LINE__)
#define NX_EXPECT_GOOD(r) nx_conf_expect_status_(r, 0x00, __FILE__, __LINE__)
#define NX_EXPECT_STATUS(r, st) nx_conf_expect_status_(r, st, __FILE__, __LINE__)
#define NX_EXPECT_SENSE(r, key, asc, ascq)                                   \
	nx_conf_expect_sense_(r, key, asc, ascq, __FILE__, __LINE__)
#define NX_EXPECT_INVALID_OPCODE(r) NX_EXPECT_SENSE(r, SK_ILLEGAL_REQUEST, 0x20, 0x00)
#define NX_EXPECT_LBA_OOB(r) NX_EXPECT_SENSE(r, SK_ILLEGAL_REQUEST, 0x21, 0x00)
#define NX_EXPECT_INVALID_FIELD_IN_CDB(r)                                    \
	NX_EXPECT_SENSE(r, SK_ILLEGAL_REQUEST, 0x24, 0x00)
#define NX_EXPECT_LU_NOT_SUPPORTED(r)                                        \
	NX_EXPECT_SENSE(r, SK_ILLEGAL_REQUEST, 0x25, 0x00)
#define NX_EXPECT_UA(r, asc, ascq) NX_EXPECT_SENSE(r, SK_UNIT_ATTENTION, asc, ascq)
#define NX_EXPECT_MISCOMPARE(r) NX_EXPECT_SENSE(r, SK_MISCOMPARE, 0x1d, 0x00)
/* Sense-key-specific field pointer (SPC-4 4.5.2.4.2); bit < 0: BPV=0. */
#define NX_EXPECT_FIELD_POINTER(r, cd, byte, bit)                            \
	nx_conf_expect_field_(r, cd, byte, bit, __FILE__, __LINE__)
/* The same where the sense-key specific bytes are optional (SPC-4
 * 4.5.2.4.1): checked when SKSV=1, the bit only when BPV=1. */
#define NX_EXPECT_FIELD_POINTER_OPT(r, cd, byte, bit)                        \
	do {                                                                 \
		if ((r)->sksv)                                               \
			NX_EXPECT_FIELD_POINTER(r, cd, byte,                 \
						((r)->sks[0] & 0x08) ? (bit) \
								     : -1);  \
	} while (0)
#define NX_EXPECT_INFO(r, value)                                             \
	nx_conf_expect_info_(r, value, __FILE__, __LINE__)
#define NX_EXPECT_BYTES(got, exp, len)                                       \
	nx_conf_expect_bytes_(got, exp, len, #got, __FILE__, __LINE__)
/* Integer equality with a label: NX_EXPECT_EQ("ADDITIONAL LENGTH", d[4], 91) */
#define NX_EXPECT_EQ(what, got, exp)                                         \
	nx_conf_expect_eq_(what, (uint64_t)(got), (uint64_t)(exp), __FILE__, \
			   __LINE__)
#define NX_EXPECT_TRUE(what, cond)                                           \
	nx_conf_expect_true_(what, (cond), #cond, __FILE__, __LINE__)

/* Marks the test SKIPPED (never PASS) and leaves it. */
#define NX_SKIP(...)                                                         \
	do {                                                                 \
		nx_conf_skip_note(__VA_ARGS__);                              \
		skip();                                                      \
	} while (0)
/* ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE => SKIPPED. */
#define NX_SKIP_IF_UNSUPPORTED(r, what)                                      \
	do {                                                                 \
		if (nx_conf_unsupported(r))                                  \
			NX_SKIP("%s not implemented by the target", what);   \
	} while (0)

/* Tests of what only a byte-stream transport has (digests, R2T and
 * Data-In PDUs, raw Data-Out framing) skip over iSER, naming the RFC 7145
 * clause that takes it away. */
#define NX_SKIP_IF_ISER(why)                                                 \
	do {                                                                 \
		if (nx_conf_is_iser())                                       \
			NX_SKIP("not over iSER: %s", why);                   \
	} while (0)

/* Tests of what only iSCSI has (its PDUs, login, sessions) skip over
 * SRP; the runner skips the whole iscsi suite there. */
#define NX_SKIP_IF_SRP(why)                                                  \
	do {                                                                 \
		if (nx_conf_is_srp())                                        \
			NX_SKIP("not over SRP: %s", why);                    \
	} while (0)

bool nx_conf_is_iser(void);
bool nx_conf_is_srp(void);
bool nx_conf_unsupported(const struct nx_conf_result *r);
void nx_conf_skip_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A diagnostic line recorded with the test (and printed on failure). */
void nx_conf_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Records up to 32 bytes as hex (shown when the test fails). */
void nx_conf_note_hex(const char *what, const void *buf, size_t len);
/* "GOOD", "CHECK CONDITION 5/24/00 (ILLEGAL REQUEST)", "transport error -104" */
void nx_conf_describe(const struct nx_conf_result *r, char *buf, size_t cap);

void nx_conf_expect_ok_(const struct nx_conf_result *r, const char *file,
			int line);
void nx_conf_expect_status_(const struct nx_conf_result *r, uint8_t status,
			    const char *file, int line);
void nx_conf_expect_sense_(const struct nx_conf_result *r, uint8_t key,
			   uint8_t asc, uint8_t ascq, const char *file,
			   int line);
void nx_conf_expect_field_(const struct nx_conf_result *r, bool cd,
			   uint16_t byte, int bit, const char *file, int line);
void nx_conf_expect_info_(const struct nx_conf_result *r, uint64_t value,
			  const char *file, int line);
void nx_conf_expect_bytes_(const void *got, const void *exp, size_t len,
			   const char *what, const char *file, int line);
void nx_conf_expect_eq_(const char *what, uint64_t got, uint64_t exp,
			const char *file, int line);
void nx_conf_expect_true_(const char *what, bool cond, const char *expr,
			  const char *file, int line);

/* ---- internal: runner <-> nx_conf.c ---------------------------------------- */
const char *nx_conf_test_name(void);  /* "suite.name" of the running test */
int nx_conf_env_setup(const struct nx_conf_backend *be,
		      const struct nx_conf_opts *opts, uint64_t seed);
void nx_conf_env_teardown(void);
bool nx_conf_env_skipped(void);
const char *nx_conf_env_notes(void);
void nx_conf_env_reset_notes(void);

#endif /* NX_CONF_H */
