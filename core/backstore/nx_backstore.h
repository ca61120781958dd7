/*
 * nx_backstore.h - where a logical unit's blocks live.
 *
 * Asynchronous by contract: submit() starts an I/O and io->done(io) reports
 * it.  RAM and null backstores complete inline (done runs before submit
 * returns); file completes later from the event loop.  The core copes with
 * both.  Offsets and lengths are in bytes and always block aligned.
 */
#ifndef NX_BACKSTORE_H
#define NX_BACKSTORE_H

#include "../../platform/nx_platform.h"

struct nx_backstore;

enum nx_bs_op {
	NX_BS_READ,
	NX_BS_WRITE,
	NX_BS_SYNC,  /* flush volatile cache for [offset, offset + len); len 0 = all */
	NX_BS_UNMAP, /* deallocate; later reads return zeros */
};

enum nx_bs_io_flags {
	NX_BS_FUA = 1 << 0, /* write through to stable storage before done */
};

struct nx_bs_io {
	enum nx_bs_op op;
	unsigned flags;
	uint64_t offset;
	uint32_t len;
	uint8_t *buf;
	int err;                          /* 0 or negative NX_E* on completion */
	void (*done)(struct nx_bs_io *io);
	void *arg;
};

struct nx_backstore_ops {
	const char *name;
	/* 0: started (done will be called, maybe already was);
	 * < 0: refused synchronously, done is NOT called. */
	int (*submit)(struct nx_backstore *bs, struct nx_bs_io *io);
	/* Thin provisioning: is the block at offset mapped?  NULL = always. */
	bool (*mapped)(struct nx_backstore *bs, uint64_t offset);
	void (*destroy)(struct nx_backstore *bs);
};

struct nx_backstore {
	const struct nx_backstore_ops *ops;
	uint64_t size_bytes;
	bool thin;          /* supports UNMAP and reports mapping state */
	bool write_cache;   /* has a volatile cache that SYNC flushes */
};

static inline int nx_bs_submit(struct nx_backstore *bs, struct nx_bs_io *io)
{
	return bs->ops->submit(bs, io);
}

/* RAM: thin-provisioned, memory allocated on first write. */
struct nx_backstore *nx_bs_ram_new(uint64_t size_bytes);
/* null: reads return zeros, writes are discarded. */
struct nx_backstore *nx_bs_null_new(uint64_t size_bytes);
/* file: through nx_file_*; size_bytes 0 = use the file's size (creates the
 * file with that size otherwise); direct = O_DIRECT (SCST BLOCKIO-like). */
int nx_bs_file_new(const char *path, uint64_t size_bytes, bool direct,
		   struct nx_backstore **out);

void nx_bs_destroy(struct nx_backstore *bs);

#endif /* NX_BACKSTORE_H */
