/*
 * null.c - a backstore without storage: reads return zeros, writes are
 * discarded, completes inline.  For transport benchmarks and tests where
 * the data does not matter.
 */
#include "nx_backstore.h"

static bool null_in_range(const struct nx_backstore *bs,
			  const struct nx_bs_io *io)
{
	return io->offset <= bs->size_bytes &&
	       io->len <= bs->size_bytes - io->offset;
}

static int null_submit(struct nx_backstore *bs, struct nx_bs_io *io)
{
	nx_assert(io != NULL && io->done != NULL);
	if (io->op != NX_BS_SYNC && !null_in_range(bs, io))
		return NX_EINVAL;
	if (io->op == NX_BS_UNMAP)
		return NX_EINVAL; /* not thin: UNMAP is never advertised */
	if ((io->op == NX_BS_READ || io->op == NX_BS_WRITE) && io->len &&
	    io->buf == NULL)
		return NX_EINVAL;
	if (io->op == NX_BS_READ)
		memset(io->buf, 0, io->len);
	io->err = 0;
	io->done(io);
	return 0;
}

static void null_destroy(struct nx_backstore *bs)
{
	nx_free(bs);
}

static const struct nx_backstore_ops null_ops = {
	.name = "null",
	.submit = null_submit,
	.mapped = NULL,
	.destroy = null_destroy,
};

struct nx_backstore *nx_bs_null_new(uint64_t size_bytes)
{
	struct nx_backstore *bs = nx_alloc(sizeof(*bs));

	if (bs == NULL)
		return NULL;
	bs->ops = &null_ops;
	bs->size_bytes = size_bytes;
	bs->thin = false;
	bs->write_cache = false;
	return bs;
}
