// SPDX-License-Identifier: GPL-2.0
/* LSM contexts travel in a struct lsm_context (6.14) */
#include <linux/security.h>
int f2p_probe(struct dentry *dentry, const char **name);
int f2p_probe(struct dentry *dentry, const char **name)
{
	struct lsm_context ctx = {};
	int err;

	err = security_dentry_init_security(dentry, 0, &dentry->d_name, name,
					    &ctx);
	if (!err)
		security_release_secctx(&ctx);
	return err;
}
