// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_inode_sb() (5.18, "fs: introduce alloc_inode_sb() to allocate
 * filesystems specific inode"): the superblock's inode LRU learns of the
 * object's memory cgroup; before, a plain kmem_cache_alloc().
 */
#include <linux/fs.h>
#include <linux/slab.h>
void *f2p_probe(struct super_block *sb, struct kmem_cache *cache);
void *f2p_probe(struct super_block *sb, struct kmem_cache *cache)
{
	return alloc_inode_sb(sb, cache, GFP_KERNEL);
}
