// SPDX-License-Identifier: GPL-2.0
/*
 * vma_set_file() (5.11, "mm: introduce vma_set_file function v5"):
 * replaces a vma's file and drops the old one's reference at once.
 */
#include <linux/mm.h>
void f2p_probe(struct vm_area_struct *vma, struct file *file);
void f2p_probe(struct vm_area_struct *vma, struct file *file)
{
	vma_set_file(vma, file);
}
