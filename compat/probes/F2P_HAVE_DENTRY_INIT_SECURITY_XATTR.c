// SPDX-License-Identifier: GPL-2.0
/*
 * security_dentry_init_security() also says which xattr the context
 * belongs in (5.16, "security: Return xattr name from
 * security_dentry_init_security()", for FUSE_SECURITY_CTX; until 6.13:
 * 6.14 hands the context over in a struct lsm_context,
 * F2P_HAVE_LSM_CONTEXT).
 */
#include <linux/security.h>
int f2p_probe(struct dentry *dentry, const char **name, void **ctx, u32 *len);
int f2p_probe(struct dentry *dentry, const char **name, void **ctx, u32 *len)
{
	return security_dentry_init_security(dentry, 0, &dentry->d_name, name,
					     ctx, len);
}
