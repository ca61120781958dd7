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
/* n blocks from lba (one call: a write fills them all at once). */
void nx_scn_blocks_fill(uint8_t *p, uint64_t tag, uint64_t lba, uint32_t n);
/* Bytes [off, off + len) of the blocks from lba, written to dst:
 * whole blocks in place, a block split at either end through scratch
 * (BLOCK bytes).  What blocks_fill + memcpy of the range would give. */
void nx_scn_blocks_fill_range(uint8_t *dst, uint64_t tag, uint64_t lba,
			      uint32_t off, uint32_t len, uint8_t *scratch);
/* True when p is a block nx_scn_block_fill() wrote for lba (or all
 * zeros); *tag is its header tag either way. */
bool nx_scn_block_valid(const uint8_t *p, uint64_t lba, uint64_t *tag);

/* A read's blocks checked where the initiator receives them (its Data-In
 * sink), not copied into buf and read back: a whole valid block keeps
 * only its header tag; anything else - part of a block split between
 * two deliveries, a corrupt block, bytes that overwrite part of a block
 * taken earlier - goes to its place in buf as the plain copy would have
 * put it (a block taken earlier gets its bytes back first: a valid block
 * is exactly nx_scn_block_fill(tag, lba)).  So buf and the blocks taken
 * in place always stand for exactly what the copy would have left in
 * buf, whatever the offsets and their order. */
#define NX_SCN_RX_BLOCKS_MAX 256u
struct nx_scn_rx {
	uint8_t *buf;            /* the read's buffer */
	uint64_t *tag;           /* NX_SCN_RX_BLOCKS_MAX: tags of placed blocks */
	uint64_t placed[NX_SCN_RX_BLOCKS_MAX / 64]; /* bit i: block i in place */
};
/* A new read of nblk blocks: every block counts as in buf. */
void nx_scn_rx_reset(struct nx_scn_rx *rx, uint32_t nblk);
/* Bytes [off, off + len) of the read of the blocks from lba. */
void nx_scn_rx_data(struct nx_scn_rx *rx, uint64_t lba, uint32_t off,
		    const uint8_t *data, uint32_t len);
static inline bool nx_scn_rx_placed(const struct nx_scn_rx *rx, uint32_t i)
{
	return ((rx->placed[i / 64] >> (i % 64)) & 1) != 0;
}

/* nx_scn_block_valid() of block i (at lba + i) as the copy would have
 * left it in buf. */
static inline bool nx_scn_rx_valid(const struct nx_scn_rx *rx, uint64_t lba,
				   uint32_t i, uint64_t *tag)
{
	if (!nx_scn_rx_placed(rx, i))
		return nx_scn_block_valid(rx->buf + (size_t)i * NX_SCN_BLOCK, lba + i,
					  tag);
	*tag = rx->tag[i];
	return true;
}

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
