// SPDX-License-Identifier: GPL-2.0
/*
 * The helpers take the user's kiocb, not the user's file (6.13): no
 * user_file in the context, ->end_write() gets the kiocb, splice takes a
 * kiocb for the position.
 */
#include <linux/fs.h>
#include <linux/backing-file.h>
void f2p_probe_end(struct kiocb *iocb, ssize_t ret);
void f2p_probe_end(struct kiocb *iocb, ssize_t ret)
{
}
const struct backing_file_ctx f2p_probe_ctx = { .end_write = f2p_probe_end };
ssize_t (*f2p_probe_splice)(struct file *in, struct kiocb *iocb,
			    struct pipe_inode_info *pipe, size_t len,
			    unsigned int flags, struct backing_file_ctx *ctx) =
	backing_file_splice_read;
