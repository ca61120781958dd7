/*
 * sync.c - blocking wrappers: submit, then drive the embedder's poll()
 * until the completion fired or the step budget is spent.
 */
#include "nx_ini_sync.h"
#include "ini_internal.h"

static void done_login(struct nx_ini_login *r) { *(bool *)r->priv = true; }
static void done_scsi(struct nx_ini_scsi *r) { *(bool *)r->priv = true; }
static void done_tmf(struct nx_ini_tmf *r) { *(bool *)r->priv = true; }
static void done_nop(struct nx_ini_nop *r) { *(bool *)r->priv = true; }
static void done_text(struct nx_ini_text *r) { *(bool *)r->priv = true; }
static void done_logout(struct nx_ini_logout *r) { *(bool *)r->priv = true; }

/* Polls until *flag; on timeout cancels itt (completing it) and reports
 * NX_INI_ETIMEDOUT. */
static int wait_for(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		    const bool *flag, uint32_t itt)
{
	uint32_t max = d->steps_max != 0 ? d->steps_max
					 : NX_INI_SYNC_STEPS_DEFAULT;

	nx_assert(d->poll != NULL);
	for (uint32_t i = 0; i < max && !*flag; i++)
		d->poll(d->ctx);
	if (*flag)
		return 0;
	nx_ini_cancel(nx_ini_conn_session(c), itt);
	nx_assert(*flag);
	return NX_INI_ETIMEDOUT;
}

int nx_ini_sync_login(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		      struct nx_ini_login *out)
{
	struct nx_ini_login local;
	struct nx_ini_login *req = out != NULL ? out : &local;
	bool fired = false;
	int rc;

	memset(req, 0, sizeof(*req));
	req->done = done_login;
	req->priv = &fired;
	rc = nx_ini_login(c, req);
	if (rc < 0)
		return rc;
	rc = wait_for(c, d, &fired, req->itt);
	return rc < 0 ? rc : req->err;
}

int nx_ini_sync_cmd(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		    struct nx_ini_scsi *cmd)
{
	bool fired = false;
	int rc;

	cmd->done = done_scsi;
	cmd->priv = &fired;
	rc = nx_ini_scsi_submit(c, cmd);
	if (rc < 0)
		return rc;
	rc = wait_for(c, d, &fired, cmd->itt);
	return rc < 0 ? rc : cmd->err;
}

int nx_ini_sync_scsi(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		     uint32_t lun, const uint8_t *cdb, unsigned cdb_len,
		     enum nx_ini_dir dir, void *buf, uint32_t len,
		     struct nx_ini_scsi *result)
{
	nx_assert(result != NULL);
	memset(result, 0, sizeof(*result));
	if (cdb_len == 0 || cdb_len > NX_INI_CDB_MAX)
		return NX_EINVAL;
	result->lun = nx_ini_lun(lun);
	memcpy(result->cdb, cdb, cdb_len);
	result->cdb_len = (uint16_t)cdb_len;
	result->attr = NX_INI_ATTR_SIMPLE;
	if (dir == NX_INI_DIR_READ) {
		result->data_in = buf;
		result->data_in_len = len;
	} else if (dir == NX_INI_DIR_WRITE) {
		result->data_out = buf;
		result->data_out_len = len;
	}
	return nx_ini_sync_cmd(c, d, result);
}

int nx_ini_sync_tmf(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		    struct nx_ini_tmf *tmf)
{
	bool fired = false;
	int rc;

	tmf->done = done_tmf;
	tmf->priv = &fired;
	rc = nx_ini_tmf_submit(c, tmf);
	if (rc < 0)
		return rc;
	rc = wait_for(c, d, &fired, tmf->itt);
	return rc < 0 ? rc : tmf->err;
}

int nx_ini_sync_nop(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		    const void *data, uint32_t len, bool *data_match)
{
	struct nx_ini_nop nop;
	bool fired = false;
	int rc;

	memset(&nop, 0, sizeof(nop));
	nop.data = data;
	nop.len = len;
	nop.done = done_nop;
	nop.priv = &fired;
	rc = nx_ini_nop_submit(c, &nop);
	if (rc < 0)
		return rc;
	rc = wait_for(c, d, &fired, nop.itt);
	if (data_match != NULL)
		*data_match = nop.data_match;
	return rc < 0 ? rc : nop.err;
}

int nx_ini_sync_text(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		     struct nx_ini_text *t)
{
	bool fired = false;
	int rc;

	t->done = done_text;
	t->priv = &fired;
	rc = nx_ini_text_submit(c, t);
	if (rc < 0)
		return rc;
	rc = wait_for(c, d, &fired, t->itt);
	return rc < 0 ? rc : t->err;
}

int nx_ini_sync_sendtargets(struct nx_ini_conn *c,
			    const struct nx_ini_driver *d,
			    struct nx_ini_target *targets, unsigned cap,
			    unsigned *count)
{
	struct nx_ini_text t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.keys = "SendTargets=All";
	t.targets = targets;
	t.targets_cap = cap;
	rc = nx_ini_sync_text(c, d, &t);
	if (count != NULL)
		*count = t.targets_count;
	return rc;
}

int nx_ini_sync_logout(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		       uint8_t reason, uint8_t *response)
{
	struct nx_ini_logout l;
	bool fired = false;
	int rc;

	memset(&l, 0, sizeof(l));
	l.reason = reason;
	l.done = done_logout;
	l.priv = &fired;
	rc = nx_ini_logout_submit(c, &l);
	if (rc < 0)
		return rc;
	rc = wait_for(c, d, &fired, l.itt);
	if (response != NULL)
		*response = l.response;
	return rc < 0 ? rc : l.err;
}
