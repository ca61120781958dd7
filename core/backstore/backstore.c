/*
 * backstore.c - what every backstore shares: destruction through its ops.
 */
#include "nx_backstore.h"

void nx_bs_destroy(struct nx_backstore *bs)
{
	if (bs == NULL)
		return;
	nx_assert(bs->ops != NULL && bs->ops->destroy != NULL);
	bs->ops->destroy(bs);
}
