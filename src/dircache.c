// SPDX-License-Identifier: GPL-2.0
/*
 * The listing cache of a directory (FOPEN_CACHE_DIR).
 *
 * When the server opens a directory with CACHE_DIR, the records of a
 * listing read from its start are appended, after dir.c checked them and
 * as plain fuse_dirent records (READDIRPLUS ones lose their entry part),
 * to the directory inode's own page cache.  Once a READDIR at the offset
 * after the last record comes back empty the cache is complete, and
 * listings by opens with CACHE_DIR are answered from it without asking
 * the server, until the cache is dropped:
 *
 *   - a change we made in the directory (f2p_dir_changed in namei.c),
 *   - NOTIFY_INVAL_INODE of the directory with a data range,
 *   - new attributes with another mtime or size,
 *   - an OPENDIR answered without FOPEN_KEEP_CACHE,
 *   - a page of the cache lost (below), or more than F2P_DCACHE_MAX
 *     bytes of records.
 *
 * What a page holds.  The cache is dcache.size bytes of records; byte B
 * of it is byte B % PAGE_SIZE of page B / PAGE_SIZE of the mapping.  A
 * page holds whole records packed from its first byte, then an empty
 * record header (namelen 0) when one fits; what follows is undefined.  A
 * record never straddles a page: one that does not fit in the rest of the
 * last page goes at the start of the next, so only the last page ends
 * at dcache.size, and every other page ends at its end marker (or with
 * fewer bytes left than a header).
 *
 * Who fills it.  Only f2p_dcache_add, with the folio locked, one record
 * at a time, each the next of the listing from its start (dcache.end is
 * the server's offset it must have been read at).  The record that goes
 * at byte 0 of a page starts the page: it is the only one that may
 * create the folio, and it marks it uptodate.  Any later record of that
 * page takes the folio only if it is still there and uptodate, and
 * otherwise the page is lost: a folio made again there would hold, below
 * the new record, whatever memory it was given.  Within a version only
 * one record goes at byte 0 of a page (size only grows), so an uptodate
 * folio found there is the one that record started.
 *
 * When it is trusted.  Only when complete, and only as dcache.version's:
 * dropping bumps the version (under fi->lock) before the pages go, an
 * append or read that started under an older version does nothing, and
 * both check the version with the folio locked, so the bytes a reader
 * copies out belong to the version it checked.  A page below
 * dcache.size that is not in the mapping, or not uptodate, was lost to
 * reclaim (or to a drop racing with an append): a lost page is the end
 * of the cache, whoever meets it drops it, and the listing goes on from
 * the server, which the next listing from the start fills again.
 *
 * Records are checked again on the way out, before a name is emitted or
 * a length is believed: a record that runs past the bytes of its page,
 * has an empty or over-long name or one with '/', or an end marker short
 * of dcache.size, cannot have come from the appends above.  That is a bug
 * of ours: it is warned about once and drops the cache as a lost page
 * does.  Names are emitted from a copy of the page, with no lock held
 * while they go to user memory.
 *
 * The pages are the mapping's like any file data: reclaim may take them
 * (see above) and evict frees them.
 */
#include <linux/pagemap.h>
#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "fuse2pt.h"

/* the most bytes of records one directory keeps */
#define F2P_DCACHE_MAX	(8 << 20)

/*
 * Forget the listing, whichever version it is (@any), or only if it is
 * still @version's.  May sleep: the pages present go at once (waiting
 * for one an append or read has locked); one an append of the new
 * version creates meanwhile stays, and is either that version's or not
 * uptodate.
 */
static void f2p_dcache_reset(struct inode *dir, bool any, u64 version)
{
	struct f2p_inode *fi = F2P_I(dir);
	bool had;

	spin_lock(&fi->lock);
	if (!any && fi->dcache.version != version) {
		spin_unlock(&fi->lock);
		return;
	}
	had = fi->dcache.size || fi->dcache.complete;
	fi->dcache.version++;
	fi->dcache.size = 0;
	fi->dcache.end = 0;
	fi->dcache.complete = false;
	spin_unlock(&fi->lock);
	if (had || dir->i_mapping->nrpages)
		truncate_inode_pages(dir->i_mapping, 0);
}

void f2p_dcache_drop(struct inode *dir)
{
	f2p_dcache_reset(dir, true, 0);
}

/* A page of @version's cache is gone, or holds what we never wrote. */
static void f2p_dcache_lost(struct inode *dir, u64 version)
{
	f2p_dcache_reset(dir, false, version);
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
 * The locked folio a record at cache byte @at goes into: at a page's
 * start, found or made; after other records, only the uptodate folio
 * the page's first record started.  NULL: out of memory, or the page
 * was lost.
 */
static struct folio *f2p_dcache_folio(struct inode *dir, loff_t at)
{
	struct address_space *mapping = dir->i_mapping;
	struct folio *folio;

	if (!offset_in_page(at))
		return f2p_folio_or_null(f2p_filemap_get_folio(mapping,
						at >> PAGE_SHIFT,
						FGP_LOCK | FGP_CREAT,
						mapping_gfp_mask(mapping)));
	folio = f2p_folio_or_null(f2p_filemap_get_folio(mapping,
						at >> PAGE_SHIFT,
						FGP_LOCK, 0));
	if (folio && !f2p_folio_test_uptodate(folio)) {
		f2p_folio_unlock(folio);
		f2p_folio_put(folio);
		folio = NULL;
	}
	return folio;
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
		f2p_dcache_lost(dir, version);
		return;
	}
	folio = f2p_dcache_folio(dir, at);
	if (!folio) {
		/* a record missing from the middle would be a lie */
		f2p_dcache_lost(dir, version);
		return;
	}

	spin_lock(&fi->lock);
	/* someone else appended or dropped meanwhile: theirs stands */
	if (f2p_dcache_next(fi, version, pos) && fi->dcache.size == size) {
		in_page = offset_in_page(at);
		p = f2p_kmap_local_folio(folio, 0);
		memcpy(p + in_page, d, reclen);
		if (in_page + reclen + FUSE_NAME_OFFSET <= PAGE_SIZE)
			memset(p + in_page + reclen, 0, FUSE_NAME_OFFSET);
		f2p_kunmap_local(p);
		if (!in_page)
			f2p_folio_mark_uptodate(folio);
		fi->dcache.size = at + reclen;
		fi->dcache.end = d->off;
	}
	spin_unlock(&fi->lock);
	f2p_folio_unlock(folio);
	f2p_folio_put(folio);
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
 * the cache changed under us (look again), or -ENOENT when the page was
 * lost.
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

	folio = f2p_folio_or_null(f2p_filemap_get_folio(dir->i_mapping,
							off >> PAGE_SHIFT,
							FGP_LOCK, 0));
	if (!folio)
		return -ENOENT;
	spin_lock(&fi->lock);
	same = fi->dcache.complete && fi->dcache.version == version;
	spin_unlock(&fi->lock);
	if (same && !f2p_folio_test_uptodate(folio)) {
		len = -ENOENT;
	} else if (same) {
		p = f2p_kmap_local_folio(folio, 0);
		memcpy(buf, p + in_page, len);
		f2p_kunmap_local(p);
	} else {
		len = 0;
	}
	f2p_folio_unlock(folio);
	f2p_folio_put(folio);
	return len;
}

/*
 * What the copy holds at @d, @room bytes before the copy's end: a record
 * (its length), the page's end (0), or nothing an append wrote
 * (-EUCLEAN).  @page_end: the copy reaches the page's end, so the page's
 * records may stop short of it.
 */
static ssize_t f2p_dcache_record(const struct fuse_dirent *d, size_t room,
				 bool page_end)
{
	size_t reclen;

	if (room < FUSE_NAME_OFFSET || !d->namelen)
		return page_end ? 0 : -EUCLEAN;
	if (d->namelen > F2P_NAME_MAX)
		return -EUCLEAN;
	reclen = FUSE_DIRENT_SIZE(d);
	if (reclen > room || memchr(d->name, '/', d->namelen))
		return -EUCLEAN;
	return reclen;
}

/*
 * Emit what one page copy of @len bytes holds, from where this open
 * stands in the cache.  Records before ctx->pos (after a seek) are passed
 * over.  Returns 0 when the copy is used up, 1 when the caller's buffer
 * is full, -EUCLEAN when the copy holds what no append wrote.
 */
static int f2p_dcache_emit(struct f2p_file *ff, struct dir_context *ctx,
			   const char *buf, size_t len, bool page_end)
{
	size_t o = 0;

	while (o < len) {
		const struct fuse_dirent *d = (const void *)(buf + o);
		ssize_t reclen = f2p_dcache_record(d, len - o, page_end);

		if (reclen < 0)
			return reclen;
		if (!reclen) {
			/* the rest of the page holds no record: on at the next */
			ff->dc_off = round_up(ff->dc_off + 1, PAGE_SIZE);
			return 0;
		}
		if ((u64)ctx->pos == ff->dc_pos) {
			if (!dir_emit(ctx, d->name, d->namelen, d->ino, d->type))
				return 1;
			ctx->pos = d->off;
		}
		ff->dc_pos = d->off;
		ff->dc_off += reclen;
		o += reclen;
	}
	return 0;
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
	bool page_end;
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
		if (len > 0) {
			page_end = offset_in_page(ff->dc_off) + len == PAGE_SIZE;
			err = f2p_dcache_emit(ff, ctx, buf, len, page_end);
			if (err > 0) {
				err = 0;	/* the caller's buffer is full */
				break;
			}
			WARN_ONCE(err,
				  "fuse2pt: bad record at byte %lld of the listing cache of nodeid %llu\n",
				  ff->dc_off, f2p_nodeid(dir));
		}
		if (len < 0 || err) {
			/* the cache ends here: the server goes on from ctx->pos */
			f2p_dcache_lost(dir, version);
			err = 1;
			break;
		}
	}
	kfree(buf);
	return err;
}
