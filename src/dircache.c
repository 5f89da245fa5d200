// SPDX-License-Identifier: GPL-2.0
/*
 * The listing cache of a directory (FOPEN_CACHE_DIR).
 *
 * When the server opens a directory with CACHE_DIR, the records of a
 * listing read from its start are appended, checked and as plain
 * fuse_dirent records (READDIRPLUS ones lose their entry part), to the
 * directory inode's own page cache.  Once a READDIR at the offset after
 * the last record comes back empty the cache is complete, and listings
 * by opens with CACHE_DIR are answered from it without asking the
 * server, until the cache is dropped:
 *
 *   - a change we made in the directory (f2p_dir_changed in namei.c),
 *   - NOTIFY_INVAL_INODE of the directory with a data range,
 *   - new attributes with another mtime or size,
 *   - an OPENDIR answered without FOPEN_KEEP_CACHE,
 *   - a page of the cache taken by reclaim, or more than
 *     F2P_DCACHE_MAX bytes of records.
 *
 * Dropping bumps dcache.version (under fi->lock); an append or a read
 * that started under an older version does nothing.  Pages are only
 * written with their folio locked and readers copy a page out under the
 * folio lock after checking the version, so what they copy belongs to
 * the version they checked; names are emitted from that copy, with no
 * lock held while they go to user memory.
 *
 * A record never straddles a page.  After each record an empty record
 * header (namelen 0) is written if it fits in the page: a reader meeting
 * it, or fewer bytes than a header, goes on at the next page.
 *
 * The pages are the mapping's like any file data: reclaim may take them
 * (the next read notices and drops the cache) and evict frees them.
 */
#include <linux/pagemap.h>
#include <linux/highmem.h>
#include <linux/slab.h>
#include "fuse2pt.h"

/* the most bytes of records one directory keeps */
#define F2P_DCACHE_MAX	(8 << 20)

/*
 * Forget the listing.  May sleep: the pages go at once, except those an
 * append or read holds right now, which go at evict or the next drop.
 */
void f2p_dcache_drop(struct inode *dir)
{
	struct f2p_inode *fi = F2P_I(dir);
	bool had;

	spin_lock(&fi->lock);
	had = fi->dcache.size || fi->dcache.complete;
	fi->dcache.version++;
	fi->dcache.size = 0;
	fi->dcache.end = 0;
	fi->dcache.complete = false;
	spin_unlock(&fi->lock);
	if (had || dir->i_mapping->nrpages)
		truncate_inode_pages(dir->i_mapping, 0);
}

/* The version a READDIR about to be sent would append to. */
u64 f2p_dcache_version(struct inode *dir)
{
	struct f2p_inode *fi = F2P_I(dir);
	u64 version;

	spin_lock(&fi->lock);
	version = fi->dcache.version;
	spin_unlock(&fi->lock);
	return version;
}

/*
 * May a record read at server offset @pos be appended?  Only as the
 * next one of the listing the cache holds so far, from the start.
 */
static bool f2p_dcache_next(const struct f2p_inode *fi, u64 version, u64 pos)
{
	return !fi->dcache.complete && fi->dcache.version == version &&
	       fi->dcache.end == pos && (fi->dcache.size || !pos);
}

/* Where a record of @reclen bytes goes after @size bytes of records. */
static loff_t f2p_dcache_slot(loff_t size, size_t reclen)
{
	if (offset_in_page(size) + reclen > PAGE_SIZE)
		return round_up(size, PAGE_SIZE);
	return size;
}

/*
 * Append record @d, which f2p_dirent_check() passed and which the server
 * gave for offset @pos, to the cache of @dir as of @version.
 */
void f2p_dcache_add(struct inode *dir, u64 version, u64 pos,
		    const struct fuse_dirent *d)
{
	struct f2p_inode *fi = F2P_I(dir);
	size_t reclen = FUSE_DIRENT_SIZE(d);
	struct folio *folio;
	loff_t size, at;
	size_t in_page;
	char *p;

	spin_lock(&fi->lock);
	if (!f2p_dcache_next(fi, version, pos)) {
		spin_unlock(&fi->lock);
		return;
	}
	size = fi->dcache.size;
	spin_unlock(&fi->lock);

	at = f2p_dcache_slot(size, reclen);
	if (at + reclen > F2P_DCACHE_MAX) {
		f2p_dcache_drop(dir);
		return;
	}
	folio = f2p_folio_or_null(__filemap_get_folio(dir->i_mapping,
						       at >> PAGE_SHIFT,
						       FGP_LOCK | FGP_CREAT,
						       mapping_gfp_mask(dir->i_mapping)));
	if (!folio) {
		/* a record missing from the middle would be a lie */
		f2p_dcache_drop(dir);
		return;
	}

	spin_lock(&fi->lock);
	/* someone else appended or dropped meanwhile: theirs stands */
	if (f2p_dcache_next(fi, version, pos) && fi->dcache.size == size) {
		in_page = offset_in_page(at);
		p = kmap_local_folio(folio, 0);
		memcpy(p + in_page, d, reclen);
		if (in_page + reclen + FUSE_NAME_OFFSET <= PAGE_SIZE)
			memset(p + in_page + reclen, 0, FUSE_NAME_OFFSET);
		kunmap_local(p);
		if (!folio_test_uptodate(folio))
			folio_mark_uptodate(folio);
		fi->dcache.size = at + reclen;
		fi->dcache.end = d->off;
	}
	spin_unlock(&fi->lock);
	folio_unlock(folio);
	folio_put(folio);
}

/* An empty READDIR reply at @pos: complete if the cache reached @pos. */
void f2p_dcache_end(struct inode *dir, u64 version, u64 pos)
{
	struct f2p_inode *fi = F2P_I(dir);

	spin_lock(&fi->lock);
	if (f2p_dcache_next(fi, version, pos))
		fi->dcache.complete = true;
	spin_unlock(&fi->lock);
}

/*
 * Copy the records of the page holding cache byte @off, from @off up to
 * @size or the page's end, to @buf.  Returns the bytes copied, 0 when
 * the cache changed under us (look again), or -ENOENT when the page is
 * gone (reclaimed: the cache is no longer whole).
 */
static ssize_t f2p_dcache_copy(struct inode *dir, u64 version, loff_t off,
			       loff_t size, char *buf)
{
	struct f2p_inode *fi = F2P_I(dir);
	size_t in_page = offset_in_page(off);
	ssize_t len = min_t(loff_t, PAGE_SIZE - in_page, size - off);
	struct folio *folio;
	bool same;
	char *p;

	folio = f2p_folio_or_null(__filemap_get_folio(dir->i_mapping,
						       off >> PAGE_SHIFT,
						       FGP_LOCK, 0));
	if (!folio)
		return -ENOENT;
	spin_lock(&fi->lock);
	same = fi->dcache.complete && fi->dcache.version == version;
	spin_unlock(&fi->lock);
	if (same && !folio_test_uptodate(folio)) {
		len = -ENOENT;
	} else if (same) {
		p = kmap_local_folio(folio, 0);
		memcpy(buf, p + in_page, len);
		kunmap_local(p);
	} else {
		len = 0;
	}
	folio_unlock(folio);
	folio_put(folio);
	return len;
}

/*
 * Emit what one page copy holds, from where this open stands in the
 * cache.  Records before ctx->pos (after a seek) are passed over.
 * Returns false when the caller's buffer is full.
 */
static bool f2p_dcache_emit(struct f2p_file *ff, struct dir_context *ctx,
			    const char *buf, size_t len)
{
	size_t o = 0;

	while (len - o >= FUSE_NAME_OFFSET) {
		const struct fuse_dirent *d = (const void *)(buf + o);
		size_t reclen;

		if (!d->namelen)
			break;
		reclen = FUSE_DIRENT_SIZE(d);
		if ((u64)ctx->pos == ff->dc_pos) {
			if (!dir_emit(ctx, d->name, d->namelen, d->ino, d->type))
				return false;
			ctx->pos = d->off;
		}
		ff->dc_pos = d->off;
		ff->dc_off += reclen;
		o += reclen;
	}
	/* the rest of the page holds no record: on at the next */
	if (o < len)
		ff->dc_off = round_up(ff->dc_off + 1, PAGE_SIZE);
	return true;
}

/*
 * Serve a listing from the cache.  Returns 1 when the cache cannot (it
 * is not complete, or went away): the caller asks the server.
 */
int f2p_dcache_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *dir = file_inode(file);
	struct f2p_inode *fi = F2P_I(dir);
	struct f2p_file *ff = file->private_data;
	loff_t size;
	u64 version;
	ssize_t len;
	char *buf;
	int err;

	/* a listing from the start sees the newest mtime the server gave */
	if (!ctx->pos && f2p_inode_conn(dir)->auto_inval_data) {
		err = f2p_update_attr(dir, file, false);
		if (err)
			return err;
	}
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	/* a seek: look for ctx->pos from the start of the cache */
	if (ff->dc_pos != (u64)ctx->pos) {
		ff->dc_off = 0;
		ff->dc_pos = 0;
	}
	for (;;) {
		spin_lock(&fi->lock);
		if (!fi->dcache.complete) {
			spin_unlock(&fi->lock);
			err = 1;
			break;
		}
		version = fi->dcache.version;
		size = fi->dcache.size;
		spin_unlock(&fi->lock);
		/* a new cache: look for ctx->pos in it from its start */
		if (ff->dc_version != version) {
			ff->dc_version = version;
			ff->dc_off = 0;
			ff->dc_pos = 0;
		}
		err = 0;
		if (ff->dc_off >= size)
			break;		/* the end of the listing */
		len = f2p_dcache_copy(dir, version, ff->dc_off, size, buf);
		if (len == -ENOENT) {
			f2p_dcache_drop(dir);
			err = 1;
			break;
		}
		if (len > 0 && !f2p_dcache_emit(ff, ctx, buf, len))
			break;
	}
	kfree(buf);
	return err;
}
