/*
 * ua.c - unit attention conditions (SAM-5 5.14) and the unit attention
 * interlocks of the control mode page (UA_INTLCK_CTRL, SPC-4 7.5.8
 * table 461): 00b clears a UA when a CHECK CONDITION reports it; 10b and
 * 11b keep it until REQUEST SENSE reports it; 11b also turns a BUSY,
 * TASK SET FULL or RESERVATION CONFLICT status into a PREVIOUS ... STATUS
 * unit attention for that I_T_L nexus, once until it is reported.
 *
 * One bounded queue per (I_T nexus, LU), kept in priority order: a reset
 * class UA (29h) first, then commands cleared (2Fh), parameters changed
 * (2Ah), operating conditions changed (3Fh), anything else; FIFO within a
 * class.  An identical UA already queued is not queued twice.  When the
 * queue is full the lowest priority (newest of its class) UA is dropped if
 * the new one outranks it, otherwise the new one is dropped: the highest
 * priority conditions are always kept (SAM-5 5.14 lets a device server
 * discard lower-priority UAs; a later 29h covers what was lost).
 */
#include "scsi_internal.h"

/* Every change of a queue's length goes through here (n->ua_pending). */
static void ua_set_count(struct nx_nexus *n, unsigned idx, unsigned count)
{
	struct nx_nexus_lu *l = &n->lus[idx];

	nx_assert(count <= NX_UA_MAX && n->ua_pending >= l->ua_count);
	n->ua_pending = n->ua_pending - l->ua_count + count;
	l->ua_count = (uint8_t)count;
}

static unsigned ua_priority(uint8_t asc)
{
	switch (asc) {
	case 0x29: /* power on, reset, I_T nexus loss */
		return 0;
	case 0x2f: /* commands cleared by another initiator */
		return 1;
	case 0x2a: /* parameters changed, reservations preempted... */
		return 2;
	case 0x3f: /* target operating conditions have changed */
		return 3;
	default:
		return 4;
	}
}

void nx_ua_establish(struct nx_nexus *n, const struct nx_lu *lu, uint8_t asc,
		     uint8_t ascq)
{
	nx_assert(n != NULL && lu != NULL);
	unsigned idx = nx_target_lu_index(n->tgt, lu);
	struct nx_ua *q = n->lus[idx].ua;
	unsigned count = n->lus[idx].ua_count;
	unsigned prio = ua_priority(asc);

	nx_assert(count <= NX_UA_MAX);
	for (unsigned i = 0; i < count; i++)
		if (q[i].asc == asc && q[i].ascq == ascq)
			return;
	unsigned pos = 0;
	while (pos < count && ua_priority(q[pos].asc) <= prio)
		pos++;
	if (count == NX_UA_MAX) {
		if (pos == NX_UA_MAX)
			return; /* outranked by everything queued: drop it */
		count--;    /* drop the last (lowest priority) entry */
	}
	memmove(&q[pos + 1], &q[pos], (count - pos) * sizeof(q[0]));
	q[pos].asc = asc;
	q[pos].ascq = ascq;
	ua_set_count(n, idx, count + 1);
}

void nx_ua_establish_all(struct nx_target *tgt, const struct nx_lu *lu,
			 const struct nx_nexus *except, uint8_t asc,
			 uint8_t ascq)
{
	nx_assert(tgt != NULL);
	for (struct nx_nexus *n = tgt->nexus_head; n != NULL; n = n->next) {
		if (n == except)
			continue;
		if (lu != NULL) {
			nx_ua_establish(n, lu, asc, ascq);
			continue;
		}
		for (unsigned i = 0; i < tgt->lu_count; i++)
			nx_ua_establish(n, tgt->lus[i], asc, ascq);
	}
}

bool nx_ua_pop(struct nx_nexus *n, const struct nx_lu *lu, struct nx_ua *ua)
{
	nx_assert(n != NULL && lu != NULL);
	if (n->ua_pending == 0)
		return false;
	unsigned idx = nx_target_lu_index(n->tgt, lu);
	struct nx_ua *q = n->lus[idx].ua;
	unsigned count = n->lus[idx].ua_count;

	if (count == 0)
		return false;
	if (ua != NULL)
		*ua = q[0];
	memmove(&q[0], &q[1], (count - 1) * sizeof(q[0]));
	ua_set_count(n, idx, count - 1);
	return true;
}

bool nx_ua_report(struct nx_nexus *n, const struct nx_lu *lu, struct nx_ua *ua)
{
	nx_assert(n != NULL && lu != NULL && ua != NULL);
	if (n->ua_pending == 0)
		return false;
	unsigned idx = nx_target_lu_index(n->tgt, lu);

	if (lu->mode.ua_intlck_ctrl == 0)
		return nx_ua_pop(n, lu, ua);
	if (n->lus[idx].ua_count == 0)
		return false;
	*ua = n->lus[idx].ua[0];
	return true;
}

/* SPC-4 7.5.8 table 461 (11b) and SAM-5 5.3.1: PREVIOUS BUSY STATUS
 * 2Ch/07h, PREVIOUS TASK SET FULL STATUS 2Ch/08h, PREVIOUS RESERVATION
 * CONFLICT STATUS 2Ch/09h.  "Only once until cleared": nx_ua_establish()
 * never queues the same UA twice. */
void nx_ua_after_status(struct nx_task *t)
{
	const struct nx_lu *lu = t->priv.lu;
	uint8_t ascq;

	if (lu == NULL || lu->mode.ua_intlck_ctrl != 3)
		return;
	switch (t->status) {
	case NX_STATUS_BUSY:
		ascq = 0x07;
		break;
	case NX_STATUS_TASK_SET_FULL:
		ascq = 0x08;
		break;
	case NX_STATUS_RESERVATION_CONFLICT:
		ascq = 0x09;
		break;
	default:
		return;
	}
	nx_ua_establish(t->nexus, lu, 0x2c, ascq);
}
