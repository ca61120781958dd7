/*
 * file.c - a backstore on a file through the platform's asynchronous file
 * interface (nx_file_*): user space uses a thread pool, the simulator its
 * sim disk, the kernel its own I/O path.  Completions always arrive later
 * from the event loop.  The host page cache (or the sim disk's cache) is a
 * volatile write cache: FUA writes and SYNC make data durable.  No UNMAP
 * (thin = false): nexus does not punch holes through nx_file.
 */
#include "nx_backstore.h"

struct file_bs {
	struct nx_backstore bs;
	struct nx_file *file;
};

static void file_done(void *arg, int err)
{
	struct nx_bs_io *io = arg;

	io->err = err;
	io->done(io);
}

static int file_op(const struct nx_bs_io *io, enum nx_file_op *op)
{
	switch (io->op) {
	case NX_BS_READ:
		*op = NX_FILE_READ;
		return 0;
	case NX_BS_WRITE:
		*op = (io->flags & NX_BS_FUA) ? NX_FILE_WRITE_FUA : NX_FILE_WRITE;
		return 0;
	case NX_BS_SYNC:
		*op = NX_FILE_SYNC;
		return 0;
	default:
		return NX_EINVAL;
	}
}

static int file_submit(struct nx_backstore *bs, struct nx_bs_io *io)
{
	struct file_bs *f = (struct file_bs *)bs;
	enum nx_file_op op;

	nx_assert(io != NULL && io->done != NULL);
	if (file_op(io, &op) != 0)
		return NX_EINVAL;
	if (op != NX_FILE_SYNC) {
		if (io->offset > bs->size_bytes ||
		    io->len > bs->size_bytes - io->offset)
			return NX_EINVAL;
		if (io->len && io->buf == NULL)
			return NX_EINVAL;
	}
	return nx_file_submit(f->file, op, io->buf, io->len, io->offset,
			      file_done, io);
}

static void file_destroy(struct nx_backstore *bs)
{
	struct file_bs *f = (struct file_bs *)bs;

	nx_file_close(f->file);
	nx_free(f);
}

static const struct nx_backstore_ops file_ops = {
	.name = "file",
	.submit = file_submit,
	.mapped = NULL,
	.destroy = file_destroy,
};

int nx_bs_file_new(const char *path, uint64_t size_bytes, bool direct,
		   struct nx_backstore **out)
{
	unsigned flags = (direct ? NX_FILE_DIRECT : 0) |
			 (size_bytes ? NX_FILE_CREATE : 0);
	uint64_t size = size_bytes;
	struct nx_file *file;
	struct file_bs *f;
	int err;

	nx_assert(path != NULL && out != NULL);
	err = nx_file_open(path, flags, &size, &file);
	if (err != 0)
		return err;
	if (size == 0 || (f = nx_alloc(sizeof(*f))) == NULL) {
		nx_file_close(file);
		return size == 0 ? NX_EINVAL : NX_ENOMEM;
	}
	f->bs.ops = &file_ops;
	f->bs.size_bytes = size;
	f->bs.thin = false;
	f->bs.write_cache = true;
	f->file = file;
	*out = &f->bs;
	return 0;
}
