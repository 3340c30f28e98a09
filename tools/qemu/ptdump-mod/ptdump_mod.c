// SPDX-License-Identifier: GPL-2.0
/*
 * Re-expose arm64's /sys/kernel/debug/kernel_page_tables on kernels built
 * with CONFIG_PTDUMP_CORE=y but CONFIG_PTDUMP_DEBUGFS unset (Debian's arm64
 * 6.1 and 6.12 kernels: PTDUMP_CORE is there only for DEBUG_WX).
 *
 * The dump is produced by the kernel's OWN ptdump_walk() (arch/arm64/mm/
 * ptdump.c, looked up through kallsyms), with an address_markers[] table
 * copied verbatim from that file (v6.1).  Because init_mm is neither exported
 * nor in kallsyms (no KALLSYMS_ALL), the walk is given a shadow mm_struct
 * whose pgd is the table TTBR1_EL1 points at (swapper_pg_dir, reached via
 * its kernel-image alias: phys + kimage_voffset).  ptdump_walk_pgd() still
 * takes init_mm's mmap lock itself (mm != &init_mm branch).
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/mm_types.h>
#include <linux/mmap_lock.h>
#include <linux/cpumask.h>
#include <linux/vmalloc.h>
#include <asm/fixmap.h>
#include <asm/memory.h>
#include <asm/pgtable.h>
#include <asm/ptdump.h>
#include <asm/sysreg.h>

static struct addr_marker address_markers[] = {
	{ PAGE_OFFSET,			"Linear Mapping start" },
	{ 0 /* PAGE_END */,		"Linear Mapping end" },
#if defined(CONFIG_KASAN_GENERIC) || defined(CONFIG_KASAN_SW_TAGS)
	{ 0 /* KASAN_SHADOW_START */,	"Kasan shadow start" },
	{ KASAN_SHADOW_END,		"Kasan shadow end" },
#endif
	{ MODULES_VADDR,		"Modules start" },
	{ MODULES_END,			"Modules end" },
	{ VMALLOC_START,		"vmalloc() area" },
	{ VMALLOC_END,			"vmalloc() end" },
	{ FIXADDR_START,		"Fixmap start" },
	{ FIXADDR_TOP,			"Fixmap end" },
	{ PCI_IO_START,			"PCI I/O start" },
	{ PCI_IO_END,			"PCI I/O end" },
	{ VMEMMAP_START,		"vmemmap start" },
	{ VMEMMAP_START + VMEMMAP_SIZE,	"vmemmap end" },
	{ -1,				NULL },
};

static unsigned long walk;
module_param(walk, ulong, 0400);
MODULE_PARM_DESC(walk, "address of ptdump_walk from /proc/kallsyms (0: look it up via a kprobe on kallsyms_lookup_name)");

static void (*ptdump_walk_fn)(struct seq_file *, struct ptdump_info *);
static struct mm_struct *shadow_mm;
static struct ptdump_info info;
static struct dentry *dent;

static unsigned long lookup_name(const char *name)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long (*fn)(const char *);

	if (register_kprobe(&kp) < 0)
		return 0;
	fn = (void *)kp.addr;
	unregister_kprobe(&kp);
	return fn ? fn(name) : 0;
}

static int ptd_show(struct seq_file *m, void *v)
{
	ptdump_walk_fn(m, &info);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ptd);

/*
 * Loading a module makes the linear-map alias of its read-only pages
 * read-only too (rodata_full).  Log those physical pages so that a consumer
 * can tell them apart from what the kernel itself did.
 */
static void report_own_pages(void)
{
	const struct module_layout *l = &THIS_MODULE->core_layout;
	unsigned long a, base = (unsigned long)l->base;

	pr_info("ptdump_mod: core_layout base=%px size=%#x text=%#x ro=%#x ro_after_init=%#x\n",
		l->base, l->size, l->text_size, l->ro_size, l->ro_after_init_size);
	for (a = base; a < base + l->size; a += PAGE_SIZE) {
		struct page *pg = vmalloc_to_page((void *)a);

		if (pg)
			pr_info("ptdump_mod: page +%#lx -> linear %px phys %pa %s\n",
				a - base, page_address(pg), &(phys_addr_t){page_to_phys(pg)},
				a - base < l->ro_size ? "(layout: text/rodata)" : "(layout: data/bss)");
	}
}

static int __init ptd_init(void)
{
	u64 ttbr1 = read_sysreg(ttbr1_el1);
	phys_addr_t pgd_phys = ttbr1 & GENMASK_ULL(47, 12);

	ptdump_walk_fn = (void *)(walk ? walk : lookup_name("ptdump_walk"));
	if (!ptdump_walk_fn) {
		pr_err("ptdump_mod: ptdump_walk not found\n");
		return -ENOENT;
	}
	shadow_mm = kzalloc(sizeof(*shadow_mm) + cpumask_size(), GFP_KERNEL);
	if (!shadow_mm)
		return -ENOMEM;
	init_rwsem(&shadow_mm->mmap_lock);
	shadow_mm->pgd = (pgd_t *)(unsigned long)(pgd_phys + kimage_voffset);
	address_markers[1].start_address = PAGE_END;
#if defined(CONFIG_KASAN_GENERIC) || defined(CONFIG_KASAN_SW_TAGS)
	address_markers[2].start_address = KASAN_SHADOW_START;
#endif
	info.mm = shadow_mm;
	info.markers = address_markers;
	info.base_addr = PAGE_OFFSET;
	pr_info("ptdump_mod: ptdump_walk=%pS ttbr1=%llx pgd=%px\n",
		ptdump_walk_fn, ttbr1, shadow_mm->pgd);
	report_own_pages();
	dent = debugfs_create_file("kernel_page_tables", 0400, NULL, NULL, &ptd_fops);
	return 0;
}

static void __exit ptd_exit(void)
{
	debugfs_remove(dent);
	kfree(shadow_mm);
}

module_init(ptd_init);
module_exit(ptd_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kernel_page_tables via the kernel's own ptdump_walk()");
