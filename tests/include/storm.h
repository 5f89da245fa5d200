/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tree of the signal-storm test (89-storm.sh): what the server
 * (tests/servers/stormsrv.c) serves and the workload (tests/life/storm.c)
 * checks.
 *
 *   /f0 .. /f3    regular files; file k has storm_size[k] bytes, byte i
 *                 of it is storm_byte(k, i)
 *   /d            a directory of STORM_ENTRIES regular files e00, e01, ...;
 *                 eNN is NN bytes long (its content is never read)
 *   /missing      never there: LOOKUP answers ENOENT
 */
#ifndef FUSE2PT_STORM_H
#define FUSE2PT_STORM_H

#include <stdint.h>
#include <stdio.h>

#define STORM_FILES	4
#define STORM_ENTRIES	40
#define STORM_DIR	"d"
#define STORM_MISSING	"missing"

/* nodeids */
#define STORM_ROOT_ID	1
#define STORM_FILE_ID0	2			/* f0 .. f3: 2 .. 5 */
#define STORM_DIR_ID	10
#define STORM_ENTRY_ID0	100			/* e00 ..: 100 .. */

/* a byte, a page, a few pages plus some, and more than one READ's worth */
static const uint64_t storm_size[STORM_FILES] = { 1, 4096, 70001, 300007 };

static inline unsigned char storm_byte(unsigned int k, uint64_t i)
{
	uint32_t x = (uint32_t)(i / 251) * 2654435761u ^ (k + 1) * 40503u;

	return (unsigned char)(x >> 11) + (unsigned char)i;
}

static inline void storm_file_name(char *buf, size_t size, unsigned int k)
{
	snprintf(buf, size, "f%u", k);
}

static inline void storm_entry_name(char *buf, size_t size, unsigned int i)
{
	snprintf(buf, size, "e%02u", i);
}

#endif /* FUSE2PT_STORM_H */
