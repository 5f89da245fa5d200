// SPDX-License-Identifier: GPL-2.0
/*
 * Request extensions of the requests that make a new object (MKNOD,
 * MKDIR, SYMLINK, CREATE, TMPFILE): records after the arguments, counted
 * in the header's total_extlen (8-byte units).  Each record begins with
 * {size, type} and is padded to 8 bytes; the server skips types it does
 * not know.
 *
 *   FUSE_SECURITY_CTX (7.36): the context the LSM wants the object to
 *     have, so that the server can label it as it makes it.  The record's
 *     type slot holds the number of contexts (types 0..31); each context
 *     is a fuse_secctx, the xattr's name with its NUL, then the context.
 *     It is sent, with no context in it, also when no LSM has one.
 *   FUSE_CREATE_SUPP_GROUP (7.38): the parent's group, when the caller
 *     belongs to it only as a supplementary group, so that a server that
 *     takes on the caller's credentials may create where only that group
 *     may write.  One group, as mainline sends.
 */
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/xattr.h>
#include "fuse2pt.h"

#define F2P_SUPP_GROUPS_SIZE	FUSE_REC_ALIGN(sizeof(struct fuse_ext_header) + \
					       sizeof(struct fuse_supp_groups) + \
					       sizeof(u32))

/* The parent's group, when the caller is in it but not by its fsgid. */
static bool f2p_supp_group(struct f2p_conn *fc, struct inode *dir, u32 *gid)
{
	kgid_t kgid = dir->i_gid;

	*gid = from_kgid(fc->user_ns, kgid);
	return *gid != (u32)-1 && !gid_eq(kgid, current_fsgid()) &&
	       in_group_p(kgid);
}

static u32 f2p_secctx_size(const struct f2p_secctx *sc)
{
	u32 size = sizeof(struct fuse_secctx_header);

	if (sc->len)
		size += FUSE_REC_ALIGN(sizeof(struct fuse_secctx) +
				       strlen(sc->xattr) + 1 + sc->len);
	return size;
}

static void *f2p_put_secctx(void *p, const struct f2p_secctx *sc, u32 size)
{
	struct fuse_secctx_header *sh = p;
	struct fuse_secctx *one;
	size_t namelen;

	sh->size = size;
	sh->nr_secctx = sc->len ? 1 : 0;
	if (sc->len) {
		one = (void *)(sh + 1);
		one->size = sc->len;
		namelen = strlen(sc->xattr) + 1;
		memcpy(one + 1, sc->xattr, namelen);
		memcpy((char *)(one + 1) + namelen, sc->context, sc->len);
	}
	return p + size;
}

static void f2p_put_supp_group(void *p, u32 gid)
{
	struct fuse_ext_header *xh = p;
	struct fuse_supp_groups *sg = (void *)(xh + 1);

	xh->size = F2P_SUPP_GROUPS_SIZE;
	xh->type = FUSE_EXT_GROUPS;
	sg->nr_groups = 1;
	sg->groups[0] = gid;
}

/*
 * Add the extensions the server asked for to @args, which makes @entry in
 * @dir with @mode, as its last in argument.  f2p_create_ext_free() ends it.
 * The flags are only known once INIT is answered: wait for it here.
 */
int f2p_create_ext(struct inode *dir, struct dentry *entry, umode_t mode,
		   struct f2p_args *args)
{
	struct f2p_conn *fc = f2p_inode_conn(dir);
	struct f2p_secctx sc = {};
	bool secctx, groups = false, release = false;
	u32 size = 0, sc_size = 0, gid = 0;
	void *buf, *p;
	int err;

	err = f2p_wait_init(fc);
	if (err)
		return err;
	secctx = fc->init_flags & FUSE_SECURITY_CTX;
	if (fc->init_flags & FUSE_CREATE_SUPP_GROUP)
		groups = f2p_supp_group(fc, dir, &gid);
	if (!secctx && !groups)
		return 0;
	if (WARN_ON_ONCE(args->in_numargs >= ARRAY_SIZE(args->in_args)))
		return -EINVAL;

	if (secctx) {
		err = f2p_dentry_init_security(entry, mode, &sc);
		if (err == -EOPNOTSUPP) {
			/* no LSM has a context to give: an empty record */
			memset(&sc, 0, sizeof(sc));
		} else if (err) {
			return err;
		} else {
			release = true;
			/* no xattr could carry it: refuse, as mainline does */
			if (sc.len && (!sc.xattr ||
				       strlen(sc.xattr) > XATTR_NAME_MAX ||
				       sc.len > XATTR_SIZE_MAX)) {
				err = -EIO;
				goto out;
			}
		}
		sc_size = f2p_secctx_size(&sc);
		size += sc_size;
	}
	if (groups)
		size += F2P_SUPP_GROUPS_SIZE;

	buf = kzalloc(size, GFP_KERNEL);
	err = -ENOMEM;
	if (!buf)
		goto out;
	p = buf;
	if (secctx)
		p = f2p_put_secctx(p, &sc, sc_size);
	if (groups)
		f2p_put_supp_group(p, gid);

	args->in_args[args->in_numargs].size = size;
	args->in_args[args->in_numargs].value = buf;
	args->in_numargs++;
	args->ext = true;
	err = 0;
out:
	if (release)
		f2p_release_secctx(&sc);
	return err;
}

void f2p_create_ext_free(struct f2p_args *args)
{
	if (!args->ext)
		return;
	args->in_numargs--;
	kfree(args->in_args[args->in_numargs].value);
	args->in_args[args->in_numargs].value = NULL;
	args->ext = false;
}
