/*
 * scn_util.h - what the I/O scenarios share (workload.c, tmf/): the
 * self-describing block contents both write and check, sense decoding,
 * and the link / disk faults that heal by themselves.
 */
#ifndef NX_SCN_UTIL_H
#define NX_SCN_UTIL_H

#include "nx_scenario.h"
#include "../nx_sim_disk.h"

#define NX_SCN_BLOCK 512u

/* ---- block contents (scn_util.c) -------------------------------------------- */

/* A block is self-describing: tag (big-endian), LBA, then words derived
 * from both.  Tag 0 is the never-written block: all zeros. */
void nx_scn_block_fill(uint8_t *p, uint64_t tag, uint64_t lba);
/* True when p is a block nx_scn_block_fill() wrote for lba (or all
 * zeros); *tag is its header tag either way. */
bool nx_scn_block_valid(const uint8_t *p, uint64_t lba, uint64_t *tag);

/* Sense key, ASC, ASCQ of fixed or descriptor sense (SPC-4 4.5); zeros
 * when len is too short to hold them. */
void nx_scn_sense_decode(const uint8_t *s, uint32_t len, uint8_t *key,
			 uint8_t *asc, uint8_t *ascq);

/* ---- faults that heal by themselves ------------------------------------------ */

struct nx_scn_heal {
	struct nx_scn_env *env;
	struct nx_sim_disk *disk;
	struct nx_sim_disk_opts dopts;   /* as built: healing restores these */
	bool cut;                        /* a link cut is in force */
	unsigned cut_a, cut_b;
	nx_sim_event_id link_ev, disk_ev;
	bool disk_faulty;
};

/* Cuts the link between nodes a and b (NX_LINK_ALL: every node) and heals
 * it dur_ns later; h->cut must be false. */
void nx_scn_heal_link_cut(struct nx_scn_heal *h, unsigned a, unsigned b,
			  uint64_t dur_ns);
/* The caller just made the disk faulty: back to h->dopts dur_ns later. */
void nx_scn_heal_disk_after(struct nx_scn_heal *h, uint64_t dur_ns);
/* Heals now what is still broken. */
void nx_scn_heal_all(struct nx_scn_heal *h);

#endif /* NX_SCN_UTIL_H */
