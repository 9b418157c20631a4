// SPDX-License-Identifier: GPL-2.0
/*
 * gfx_pool-kdump: a crash dump over the pool. In the crashing kernel it
 * fills pool buffers of every domain (WB, WC, UC and NP) through user
 * mappings, loads a capture kernel into the crashkernel= reservation with
 * kexec_file_load(), and crashes the system (sysrq c) with the buffers
 * still in use. In the capture kernel it reads those pages back from
 * /proc/vmcore and checks every word.
 *
 *   gfx_pool-kdump load <bzImage> <initrd> "<capture kernel arguments>"
 *   gfx_pool-kdump check <d:pfn,...>
 *
 * "load" appends gfxpool_kdump=<d:pfn,...> to the capture kernel's
 * arguments: the domain and PFN of each page it filled. It does not
 * return if the crash works. "check" prints a last line
 * "gfx_pool-kdump: ok pages=N" or "gfx_pool-kdump: not ok ..."; the exit
 * status is 0 only for ok.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/elf.h>
#include <linux/kexec.h>

#include "gfx_pool_util.h"

#define PAGE		4096UL
#define KDUMP_PAGES	8	/* per domain */
#define NR_DOMAINS	4

static unsigned int pattern(unsigned int domain, uint64_t pfn, unsigned int i)
{
	return 0x9e3779b9u * (unsigned int)(pfn * 1024 + i + 1) ^ domain << 28;
}

static int fail(const char *what)
{
	printf("gfx_pool-kdump: not ok %s: %s\n", what, strerror(errno));
	return 1;
}

static int load(const char *kernel, const char *initrd, const char *args)
{
	static char cmdline[2048];
	size_t len = strlen(args);
	struct gfx_pool_dmap before, after;
	unsigned int d, i, w;
	int kfd, ifd, fd;
	unsigned int *map;
	char loaded = 0;

	if (len + 32 > sizeof(cmdline)) {
		errno = E2BIG;
		return fail("capture kernel arguments");
	}
	len = snprintf(cmdline, sizeof(cmdline), "%s gfxpool_kdump=", args);
	for (d = 0; d < NR_DOMAINS; d++) {
		struct test_gfx_pool_buf buf = {
			.domain = d, .npages = KDUMP_PAGES,
		};

		/* Left open and mapped: in use when the system crashes. */
		fd = open(GFX_POOL_DEV, O_RDWR);
		if (fd < 0)
			return fail(GFX_POOL_DEV);
		if (ioctl(fd, TEST_GFX_POOL_ALLOC, &buf))
			return fail("TEST_GFX_POOL_ALLOC");
		map = mmap(NULL, KDUMP_PAGES * PAGE, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			return fail("mmap");
		for (i = 0; i < KDUMP_PAGES; i++) {
			struct test_gfx_pool_buf pte = {
				.addr = (uintptr_t)map + i * PAGE,
			};

			map[i * PAGE / sizeof(*map)] = 0;	/* fault it in */
			if (ioctl(fd, TEST_GFX_POOL_PTE, &pte))
				return fail("TEST_GFX_POOL_PTE");
			for (w = 0; w < PAGE / sizeof(*map); w++)
				map[i * PAGE / sizeof(*map) + w] =
					pattern(d, pte.pfn, w);
			len += snprintf(cmdline + len, sizeof(cmdline) - len,
					"%s%u:%#llx", d || i ? "," : "", d,
					(unsigned long long)pte.pfn);
			if (len >= sizeof(cmdline)) {
				errno = E2BIG;
				return fail("capture kernel arguments");
			}
		}
	}
	if (gfx_pool_dmap_read(&before))
		return fail("direct-map counters");
	kfd = open(kernel, O_RDONLY);
	ifd = open(initrd, O_RDONLY);
	if (kfd < 0 || ifd < 0)
		return fail("capture kernel or initrd");
	if (syscall(SYS_kexec_file_load, kfd, ifd, len + 1, cmdline,
		    KEXEC_FILE_ON_CRASH))
		return fail("kexec_file_load");
	fd = open("/sys/kernel/kexec_crash_loaded", O_RDONLY);
	if (fd < 0 || read(fd, &loaded, 1) != 1 || loaded != '1') {
		errno = ENOENT;
		return fail("/sys/kernel/kexec_crash_loaded says not loaded");
	}
	close(fd);
	if (gfx_pool_dmap_read(&after))
		return fail("direct-map counters");
	printf("gfx_pool-kdump: capture kernel loaded (splits 2M->4K %ld, 1G->2M %ld)\n",
	       after.splits_2m - before.splits_2m,
	       after.splits_1g - before.splits_1g);
	printf("gfx_pool-kdump: crashing with %u pool pages in use in each domain\n",
	       KDUMP_PAGES);
	fflush(stdout);
	sync();
	sleep(1);	/* for the lines above to reach the console */
	gfx_pool_write_file("/proc/sysrq-trigger", "c");
	errno = EAGAIN;
	return fail("still running after sysrq c");
}

/* The file offset of physical address @paddr in /proc/vmcore, or -1. */
static off_t vmcore_offset(const struct elf64_phdr *ph, unsigned int n,
			   uint64_t paddr)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && paddr >= ph[i].p_paddr &&
		    paddr + PAGE <= ph[i].p_paddr + ph[i].p_filesz)
			return ph[i].p_offset + (paddr - ph[i].p_paddr);
	return -1;
}

static int check(char *list)
{
	unsigned int page[PAGE / sizeof(unsigned int)];
	unsigned int d, w, pages = 0, bad = 0;
	unsigned long long pfn;
	struct elf64_phdr *ph;
	struct elf64_hdr eh;
	char *tok;
	off_t off;
	int fd;

	fd = open("/proc/vmcore", O_RDONLY);
	if (fd < 0)
		return fail("/proc/vmcore");
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(*ph)) {
		errno = ENOEXEC;
		return fail("/proc/vmcore ELF header");
	}
	ph = calloc(eh.e_phnum, sizeof(*ph));
	if (!ph || pread(fd, ph, eh.e_phnum * sizeof(*ph), eh.e_phoff) !=
		   (ssize_t)(eh.e_phnum * sizeof(*ph)))
		return fail("/proc/vmcore program headers");
	for (tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		if (sscanf(tok, "%u:%llx", &d, &pfn) != 2 || d >= NR_DOMAINS) {
			errno = EINVAL;
			return fail(tok);
		}
		off = vmcore_offset(ph, eh.e_phnum, pfn * PAGE);
		if (off < 0) {
			printf("gfx_pool-kdump: %s pfn %#llx is in no PT_LOAD of /proc/vmcore\n",
			       gfx_pool_domain_names[d], pfn);
			bad++;
			continue;
		}
		if (pread(fd, page, PAGE, off) != (ssize_t)PAGE)
			return fail("reading /proc/vmcore");
		for (w = 0; w < PAGE / sizeof(*page); w++)
			if (page[w] != pattern(d, pfn, w))
				break;
		if (w < PAGE / sizeof(*page)) {
			printf("gfx_pool-kdump: %s pfn %#llx differs at word %u\n",
			       gfx_pool_domain_names[d], pfn, w);
			bad++;
		}
		pages++;
	}
	close(fd);
	if (bad || pages != NR_DOMAINS * KDUMP_PAGES) {
		printf("gfx_pool-kdump: not ok pages=%u bad=%u\n", pages, bad);
		return 1;
	}
	printf("gfx_pool-kdump: ok pages=%u\n", pages);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "load"))
		return load(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "check"))
		return check(argv[2]);
	fprintf(stderr, "usage: %s load <bzImage> <initrd> \"<args>\" | check <d:pfn,...>\n",
		argv[0]);
	return 2;
}
