// SPDX-License-Identifier: GPL-2.0
/*
 * ->ki_complete() takes the result alone (5.16, "fs: get rid of the res2
 * iocb->ki_complete argument", 6b19b766e8f0); before, a second result
 * that aio hands to user space as res2.
 */
#include <linux/fs.h>
static void f2p_probe_done(struct kiocb *iocb, long res)
{
}

void f2p_probe(struct kiocb *iocb);
void f2p_probe(struct kiocb *iocb)
{
	iocb->ki_complete = f2p_probe_done;
	iocb->ki_complete(iocb, 0);
}
