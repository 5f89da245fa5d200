// SPDX-License-Identifier: GPL-2.0
/*
 * fuse2pt: a FUSE kernel client with passthrough, as a module of its own.
 *
 * It owns /dev/fuse2pt and the "fuse2pt" filesystem type, so it lives
 * beside the kernel's fuse without either noticing the other.
 */
#include <linux/module.h>
#include <linux/workqueue.h>
#include "fuse2pt.h"

/*
 * Work of ours that I/O completion waits for (backing-shim.c's write
 * completions): it may be needed to free memory, so it has a rescuer.
 */
struct workqueue_struct *f2p_wq;

static int __init f2p_init(void)
{
	int err;

	f2p_wq = alloc_workqueue("fuse2pt", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!f2p_wq)
		return -ENOMEM;
	err = f2p_request_cache_init();
	if (err)
		goto undo_wq;
	err = f2p_inode_cache_init();
	if (err)
		goto undo_request_cache;
	err = f2p_ctl_init();
	if (err)
		goto undo_inode_cache;
	err = f2p_fs_init();
	if (err)
		goto undo_ctl;
	err = f2p_dev_init();
	if (err)
		goto undo_fs;
	pr_info("protocol %u.%u loaded\n", FUSE_KERNEL_VERSION,
		FUSE_KERNEL_MINOR_VERSION);
	return 0;

undo_fs:
	f2p_fs_exit();
undo_ctl:
	f2p_ctl_exit();
undo_inode_cache:
	f2p_inode_cache_exit();
undo_request_cache:
	f2p_request_cache_exit();
undo_wq:
	destroy_workqueue(f2p_wq);
	return err;
}

static void __exit f2p_exit(void)
{
	f2p_dev_exit();
	f2p_fs_exit();
	f2p_ctl_exit();
	f2p_inode_cache_exit();
	f2p_request_cache_exit();
	destroy_workqueue(f2p_wq);
}

module_init(f2p_init);
module_exit(f2p_exit);

MODULE_DESCRIPTION("FUSE client with passthrough, beside the stock fuse module");
MODULE_AUTHOR("The fuse2pt developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(F2P_VERSION);
/*
 * No "devname:" alias: /dev/fuse2pt has a dynamic misc minor, and depmod
 * only turns devname aliases that come with a fixed char-major-M-N into a
 * static node.  fs-fuse2pt (super.c) loads the module on mount -t fuse2pt;
 * mount.fuse2pt runs modprobe itself before it opens the device.
 */
