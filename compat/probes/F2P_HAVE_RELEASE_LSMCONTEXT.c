// SPDX-License-Identifier: GPL-2.0
/*
 * security_release_secctx() takes a struct lsmcontext: not a mainline
 * form, but that of the LSM stacking patches Ubuntu carries (its 5.15,
 * 5.15.0-208 checked); mainline's pointer and length, and 6.14's struct
 * lsm_context (F2P_HAVE_LSM_CONTEXT), are the others.
 */
#include <linux/security.h>
void f2p_probe(char *context, u32 len);
void f2p_probe(char *context, u32 len)
{
	struct lsmcontext lc;

	lsmcontext_init(&lc, context, len, 0);
	security_release_secctx(&lc);
}
