// SPDX-License-Identifier: GPL-2.0
/* backing-file helpers take the kiocb, not the user file (6.13) */
#include <linux/fs.h>
#include <linux/backing-file.h>
void f2p_probe_end(struct kiocb *iocb, ssize_t ret);
void f2p_probe_end(struct kiocb *iocb, ssize_t ret)
{
}
const struct backing_file_ctx f2p_probe_ctx = { .end_write = f2p_probe_end };
