// SPDX-License-Identifier: GPL-2.0
/*
 * The first form of the helpers (6.8): the context names the user's
 * file, ->end_write() gets only that file, splice takes a position.
 */
#include <linux/fs.h>
#include <linux/backing-file.h>
void f2p_probe_end(struct file *user);
void f2p_probe_end(struct file *user)
{
}
const struct backing_file_ctx f2p_probe_ctx = {
	.user_file = NULL,
	.end_write = f2p_probe_end,
};
ssize_t (*f2p_probe_splice)(struct file *in, loff_t *ppos,
			    struct pipe_inode_info *pipe, size_t len,
			    unsigned int flags, struct backing_file_ctx *ctx) =
	backing_file_splice_read;
