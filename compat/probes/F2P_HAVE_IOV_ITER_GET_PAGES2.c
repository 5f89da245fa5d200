// SPDX-License-Identifier: GPL-2.0
/*
 * iov_iter_get_pages2(), which advances the iterator past the pages it
 * hands out, and user_backed_iter() (6.0, Al Viro's iov_iter rework);
 * before, iov_iter_get_pages() left the iterator where it was, and
 * iter_is_iovec() told user memory.
 */
#include <linux/uio.h>
ssize_t f2p_probe(struct iov_iter *i, struct page **pages, size_t *start);
ssize_t f2p_probe(struct iov_iter *i, struct page **pages, size_t *start)
{
	if (!user_backed_iter(i))
		return 0;
	return iov_iter_get_pages2(i, pages, PAGE_SIZE, 1, start);
}
