/*
 * nx_ini_srp.h - an SRP initiator port (SRP r16a) over platform/nx_rdma.h:
 * one RDMA channel made by the CM with the login in its private data
 * (transports/srp/nx_srp.h explains the choice), SCSI commands as
 * SRP_CMD with their buffers registered for the target's RDMA, task
 * management as SRP_TSK_MGMT, credits (SRP 5.5) and logout either way.
 *
 * SCSI commands use the iSCSI initiator's request structure (struct
 * nx_ini_scsi, nx_initiator.h): fill the "in" fields, submit, done()
 * runs once with the "out" fields set (response 0, status, sense,
 * NX_INI_RSP_* residual flags from DIUNDER/DIOVER/DOUNDER/DOOVER,
 * data_in_got), never inside submit.  A command submitted without a
 * credit waits inside the library until one comes back; one credit is
 * kept for task management (as the Linux initiator does), so a TMF can
 * always be sent.
 *
 * Callbacks run from the platform's events only.
 */
#ifndef NX_INI_SRP_H
#define NX_INI_SRP_H

#include "nx_initiator.h"
#include "../platform/nx_rdma.h"
#include "../transports/srp/nx_srp.h"

#define NX_INI_SRP_SLOTS 256u      /* requests outstanding or waiting */
#define NX_INI_SRP_RX_BUFS 192u
#define NX_INI_SRP_TX_BUFS 192u
#define NX_INI_SRP_RX_LEN 512u     /* largest IU we take from the target */
#define NX_INI_SRP_IT_IU 4096u     /* default REQUESTED MAX IT IU LENGTH */
#define NX_INI_SRP_SPLIT_MAX 32u   /* descriptors per buffer we make */

/* How a command's buffers are described (SRP 6.8). */
enum nx_ini_srp_desc_mode {
	NX_INI_SRP_DIRECT = 0,     /* one memory descriptor */
	NX_INI_SRP_INDIRECT,       /* `split` descriptors, all in the IU */
	NX_INI_SRP_TABLE,          /* `split` descriptors in a table the
				    * target RDMA-READs; `inline_max` of
				    * them also in the IU (partial list) */
};

struct nx_ini_srp_config {
	uint8_t iport[NX_SRP_PORT_ID_LEN];  /* INITIATOR PORT IDENTIFIER */
	uint8_t tport[NX_SRP_PORT_ID_LEN];  /* TARGET PORT IDENTIFIER */
	uint32_t req_it_iu_len;    /* 0: NX_INI_SRP_IT_IU */
	uint16_t req_buf_fmt;      /* 0: DDBD | IDBD */
	uint8_t mca;               /* MULTI-CHANNEL ACTION */
	uint8_t desc_mode;         /* enum nx_ini_srp_desc_mode */
	uint8_t split;             /* 1 .. NX_INI_SRP_SPLIT_MAX */
	uint8_t inline_max;        /* TABLE: < split */
	/* Tests: send every request at once, credits or not (provokes the
	 * target's request limit check). */
	bool ignore_credits;
};

struct nx_ini_srp_ops {
	void (*established)(void *ctx);      /* the login was accepted */
	/* Once, terminal: 0 after a disconnect (either side, logout),
	 * NX_INI_ELOGIN when the login was rejected (nx_ini_srp_rej()),
	 * NX_INI_ECONNRESET when unreachable or the response was bad. */
	void (*closed)(void *ctx, int err);
	/* Optional: an SRP_RSP whose tag matches no request (the answer
	 * to a raw IU). */
	void (*unknown_rsp)(void *ctx, const struct nx_srp_rsp *r);
};

struct nx_ini_srp_tmf {
	/* in */
	uint8_t fn;                /* any value: tests send reserved ones */
	uint64_t lun;
	uint64_t task_tag;         /* ABORT TASK: nx_ini_scsi.itt */
	/* out */
	int err;
	uint8_t rsp_code;          /* enum nx_srp_rsp_code */
	uint64_t tag;
	void (*done)(struct nx_ini_srp_tmf *t);
	void *priv;
};

struct nx_ini_srp_stats {
	uint32_t cred_reqs;        /* SRP_CRED_REQ received */
	uint32_t aer_reqs;
	uint32_t unknown_tags;     /* SRP_RSP for no outstanding request */
	uint32_t t_logouts;
	uint32_t t_logout_reason;  /* of the last SRP_T_LOGOUT */
	uint32_t credits_max;      /* highest request limit seen */
};

struct nx_ini_srp;

int nx_ini_srp_connect(struct nx_rdma_dev *dev, uint32_t dst_ipv4,
		       uint16_t port, const struct nx_ini_srp_config *cfg,
		       const struct nx_ini_srp_ops *ops, void *ctx,
		       struct nx_ini_srp **out);
/* After established: the SRP_LOGIN_RSP; after closed(NX_INI_ELOGIN):
 * the SRP_LOGIN_REJ (reason 0 when the REJ carried none). */
const struct nx_srp_login_rsp *nx_ini_srp_login_rsp(const struct nx_ini_srp *it);
const struct nx_srp_login_rej *nx_ini_srp_rej(const struct nx_ini_srp *it);

/* NX_EAGAIN: no free slot; NX_EINVAL: not established, ended, or a CDB
 * or buffer SRP cannot carry.  cmd->itt gets the SRP tag's low 32 bits
 * (the whole tag: it is below 2^32). */
int nx_ini_srp_scsi_submit(struct nx_ini_srp *it, struct nx_ini_scsi *cmd);
/* On TMF COMPLETE (00h) the commands the function aborted (sent before
 * it, still outstanding) complete with NX_INI_EABORTED: the target sends
 * no response for them. */
int nx_ini_srp_tmf_submit(struct nx_ini_srp *it, struct nx_ini_srp_tmf *t);
/* Completes the request with NX_INI_ECANCELED (a late answer counts as
 * unknown); false if there is none. */
bool nx_ini_srp_cancel(struct nx_ini_srp *it, uint64_t tag);
/* Any bytes in one SEND (tests); take_credit counts it as a request. */
int nx_ini_srp_send_raw(struct nx_ini_srp *it, const void *iu, size_t len,
			bool take_credit);
/* SRP_I_LOGOUT (SRP 6.5), then DREQ; closed(0) follows. */
void nx_ini_srp_logout(struct nx_ini_srp *it);
void nx_ini_srp_disconnect(struct nx_ini_srp *it);
bool nx_ini_srp_established(const struct nx_ini_srp *it);
bool nx_ini_srp_ended(const struct nx_ini_srp *it);
/* Ended or ending (a disconnect was asked for, or a work request failed):
 * no request is taken any more (like nx_ini_conn_is_dead). */
bool nx_ini_srp_is_dead(const struct nx_ini_srp *it);
uint32_t nx_ini_srp_credits(const struct nx_ini_srp *it);
unsigned nx_ini_srp_outstanding(const struct nx_ini_srp *it);
const struct nx_ini_srp_stats *nx_ini_srp_stats(const struct nx_ini_srp *it);
/* Fails what is outstanding (NX_INI_ECONNRESET), frees everything (a DREQ
 * if still connected); no callback after this. */
void nx_ini_srp_free(struct nx_ini_srp *it);

#endif /* NX_INI_SRP_H */
