// SPDX-License-Identifier: GPL-2.0
/*
 * file_write_started() (6.8, "fs: create file_write_started() helper"):
 * it came in the series that moved the backing filesystem's freeze
 * protection into vfs_iocb_iter_write() ("fs: move kiocb_start_write()
 * into vfs_iocb_iter_write()"), and marks that VFS for
 * src/backing-shim.c, which no probe of the function itself could see.
 */
#include <linux/fs.h>
bool (*f2p_probe)(const struct file *file) = file_write_started;
