// SPDX-License-Identifier: GPL-2.0
/*
 * ->end_write() of the helpers also gets the position and the result
 * (the form of 6.12); the context still names the user's file, splice
 * still takes a position.
 */
#include <linux/fs.h>
#include <linux/backing-file.h>
void f2p_probe_end(struct file *user, loff_t pos, ssize_t ret);
void f2p_probe_end(struct file *user, loff_t pos, ssize_t ret)
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
