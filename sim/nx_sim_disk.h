/*
 * nx_sim_disk.h - the simulated disk: a block store with a latency
 * distribution, seeded and targeted I/O errors, and a volatile write cache.
 *
 * Durability model (what SBC-3 4.18 / 5.27 SYNCHRONIZE CACHE and the FUA
 * bit promise, and no more):
 *  - a WRITE lands in the volatile cache when it completes (write-back)
 *    unless the disk has no cache (cache_chunks_max == 0: write-through);
 *  - WRITE_FUA completes only once its blocks are durable;
 *  - SYNC makes every write that completed before the SYNC completes
 *    durable; writes still in flight are not covered;
 *  - the cache also destages on its own (oldest chunk first) when full;
 *  - power loss drops the volatile part.  With tearing, each dirty block
 *    independently survives or not, drawn from the disk's seeded stream,
 *    modelling a cache that was half destaged when the lights went out.
 *    The block (block_size) is the atomic unit: a block is old or new.
 * In-flight I/Os at power loss vanish: their callbacks never run (the
 * machine that issued them is gone too).
 *
 * Disks are registered by name in their sim: nx_file_open(name) in
 * platform_sim.c opens them, so core/backstore/file.c runs unchanged on a
 * sim disk.  Tests and scenarios use the direct API below for invariants.
 */
#ifndef NX_SIM_DISK_H
#define NX_SIM_DISK_H

#include "nx_sim.h"

#define NX_SIM_DISK_CHUNK (64u * 1024)      /* allocation/cache granule */
#define NX_SIM_DISK_SIZE_MAX (64ull << 30)  /* chunk table stays <= 8 MiB */
#define NX_SIM_DISK_BAD_MAX 16
#define NX_SIM_DISK_NAME_MAX 128

struct nx_sim_disk;

struct nx_sim_disk_opts {
	uint64_t size_bytes;
	uint32_t block_size;          /* 512..NX_SIM_DISK_CHUNK, power of 2 */
	uint64_t read_lat_min_ns, read_lat_max_ns;   /* uniform */
	uint64_t write_lat_min_ns, write_lat_max_ns; /* into the cache */
	uint64_t media_lat_ns;        /* extra for FUA, and per SYNC */
	uint32_t tail_ppb;            /* chance of a slow outlier ... */
	uint64_t tail_lat_ns;         /* ... adding up to this much */
	uint32_t read_err_ppb;        /* seeded transient errors per I/O */
	uint32_t write_err_ppb;
	uint32_t cache_chunks_max;    /* 0 = write-through */
	uint32_t tear_keep_ppb;       /* per dirty block survival at tear */
	uint32_t inflight_max;        /* 0 = 1024 */
};

void nx_sim_disk_opts_default(struct nx_sim_disk_opts *o, uint64_t size_bytes);
/* A random but plausible disk (latencies, cache size, error rates) drawn
 * from rng, TigerBeetle style: one seed explores many disk behaviours. */
void nx_sim_disk_opts_from_seed(struct nx_sim_disk_opts *o,
				uint64_t size_bytes, struct nx_rng *rng);

/* Registers the disk under name in sim (names are unique per sim). */
struct nx_sim_disk *nx_sim_disk_new(struct nx_sim *sim, const char *name,
				    const struct nx_sim_disk_opts *opts);
void nx_sim_disk_free(struct nx_sim_disk *disk);
struct nx_sim_disk *nx_sim_disk_find(struct nx_sim *sim, const char *name);
/* nx_sim_free() frees every disk still registered in it. */
void nx_sim_disk_free_all(struct nx_sim *sim);

uint64_t nx_sim_disk_size(const struct nx_sim_disk *disk);
uint32_t nx_sim_disk_block_size(const struct nx_sim_disk *disk);

typedef void (*nx_sim_disk_done_fn)(void *arg, int err);
/* Asynchronous I/O; done(arg, err) always runs from a later event.
 * Offset and length must be block aligned and inside the disk
 * (NX_EINVAL); NX_EAGAIN when inflight_max I/Os are pending.  owner tags
 * the I/O for nx_sim_disk_cancel_owner(). */
int nx_sim_disk_submit(struct nx_sim_disk *disk, enum nx_file_op op,
		       void *buf, size_t len, uint64_t offset,
		       nx_sim_disk_done_fn done, void *arg, const void *owner);
/* Drops owner's pending I/Os without calling their callbacks. */
unsigned nx_sim_disk_cancel_owner(struct nx_sim_disk *disk, const void *owner);
unsigned nx_sim_disk_inflight(const struct nx_sim_disk *disk);

/* Media errors on [offset, offset+len) for the ops in op_mask
 * (1 << NX_FILE_READ | 1 << NX_FILE_WRITE ...) until cleared. */
int nx_sim_disk_inject_bad(struct nx_sim_disk *disk, uint64_t offset,
			   uint64_t len, unsigned op_mask);
void nx_sim_disk_clear_bad(struct nx_sim_disk *disk);

/* Fault bursts: replaces the seeded error rates and the latency tail
 * (tail_ppb, tail_lat_ns) from now on; I/Os already submitted keep
 * their draws.  Scenarios restore the original values to heal. */
void nx_sim_disk_set_faults(struct nx_sim_disk *disk, uint32_t read_err_ppb,
			    uint32_t write_err_ppb, uint32_t tail_ppb,
			    uint64_t tail_lat_ns);

/* Every I/O submitted from now on takes ns longer (0: back to normal):
 * scenarios park tasks in the target's task set for a known while. */
void nx_sim_disk_set_extra_latency(struct nx_sim_disk *disk, uint64_t ns);

/* Power loss: pending I/Os vanish, the volatile cache is dropped (or
 * torn, see above), and the epoch advances so files opened before it
 * fail with NX_EIO. */
void nx_sim_disk_power_loss(struct nx_sim_disk *disk, bool tear);
uint32_t nx_sim_disk_epoch(const struct nx_sim_disk *disk);

/* Invariant checks: what survives a power loss right now (durable), and
 * what a read would return right now (cache over durable). */
void nx_sim_disk_read_durable(const struct nx_sim_disk *disk, uint64_t offset,
			      void *buf, size_t len);
void nx_sim_disk_read_visible(const struct nx_sim_disk *disk, uint64_t offset,
			      void *buf, size_t len);
uint64_t nx_sim_disk_dirty_blocks(const struct nx_sim_disk *disk);

struct nx_sim_disk_stats {
	uint64_t reads, writes, fuas, syncs;
	uint64_t errors;            /* I/Os completed with an error */
	uint64_t destages;          /* chunks destaged because cache was full */
	uint64_t power_losses;
	uint64_t blocks_lost;       /* dirty blocks dropped at power loss */
};
void nx_sim_disk_stats(const struct nx_sim_disk *disk,
		       struct nx_sim_disk_stats *out);

#endif /* NX_SIM_DISK_H */
