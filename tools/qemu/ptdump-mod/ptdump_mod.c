// SPDX-License-Identifier: GPL-2.0
/*
 * Re-expose arm64's /sys/kernel/debug/kernel_page_tables on kernels built
 * with CONFIG_PTDUMP_CORE=y but CONFIG_PTDUMP_DEBUGFS unset (Debian's arm64
 * 6.1 and 6.12 kernels: PTDUMP_CORE is there only for DEBUG_WX; 7.x calls it CONFIG_PTDUMP).
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
#include <linux/version.h>

/*
 * Used only when the kernel's own kernel_ptdump_info is not in kallsyms (5.10, 6.1: no
 * KALLSYMS_ALL).  Newer kernels compute their markers at run time (6.12: vabits_actual), so
 * there the module requires kinfo.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#define SHADOW_INFO 1
static struct addr_marker address_markers[] = {
	{ PAGE_OFFSET,			"Linear Mapping start" },
	{ 0 /* PAGE_END */,		"Linear Mapping end" },
#if defined(CONFIG_KASAN_GENERIC) || defined(CONFIG_KASAN_SW_TAGS)
	{ 0 /* KASAN_SHADOW_START */,	"Kasan shadow start" },
	{ KASAN_SHADOW_END,		"Kasan shadow end" },
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 13, 0)
	{ BPF_JIT_REGION_START,		"BPF start" },	/* v5.10's table */
	{ BPF_JIT_REGION_END,		"BPF end" },
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
#endif

static unsigned long walk;
module_param(walk, ulong, 0400);
MODULE_PARM_DESC(walk, "address of ptdump_walk from /proc/kallsyms (0: look it up via a kprobe on kallsyms_lookup_name)");
static unsigned long markers, mm, fva;
module_param(fva, ulong, 0400);
MODULE_PARM_DESC(fva, "address of find_vm_area from /proc/kallsyms: given, the module needs no kprobe (whose instruction slot page would be one more read-only page)");
module_param(markers, ulong, 0400);
MODULE_PARM_DESC(markers, "address of the kernel's own address_markers (ptdump_init's static copy, 'address_markers.N' in kallsyms with KALLSYMS_ALL, e.g. Debian 6.12)");
module_param(mm, ulong, 0400);
MODULE_PARM_DESC(mm, "address of init_mm (kallsyms with KALLSYMS_ALL)");

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
static void report_range(const char *what, unsigned long base, unsigned long size, unsigned long ro_size)
{
	unsigned long a;

	for (a = base; a < base + size; a += PAGE_SIZE) {
		struct page *pg = vmalloc_to_page((void *)a);

		if (pg)
			pr_info("ptdump_mod: page +%#lx -> linear %px phys %pa (%s%s)\n",
				a - base, page_address(pg), &(phys_addr_t){page_to_phys(pg)},
				what, a - base < ro_size ? ", layout: text/rodata" : "");
	}
}

static void report_own_pages(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	/* v6.4 (ac3b43283923) split the layouts into mem[MOD_TEXT ... MOD_INIT_RODATA] */
	static const char *const names[] = { "text", "data", "rodata", "ro_after_init" };
	enum mod_mem_type t;

	for (t = MOD_TEXT; t <= MOD_RO_AFTER_INIT; t++) {
		const struct module_memory *m = &THIS_MODULE->mem[t];

		pr_info("ptdump_mod: mem[%s] base=%px size=%#x\n", names[t], m->base, m->size);
		report_range(names[t], (unsigned long)m->base, m->size, t == MOD_DATA ? 0 : m->size);
	}
#else
	const struct module_layout *l = &THIS_MODULE->core_layout;

	pr_info("ptdump_mod: core_layout base=%px size=%#x text=%#x ro=%#x ro_after_init=%#x\n",
		l->base, l->size, l->text_size, l->ro_size, l->ro_after_init_size);
	report_range("core", (unsigned long)l->base, l->size, l->ro_size);
#endif
}

/*
 * Read-only vmalloc/module pages: with rodata_full, set_memory_ro() of such a page makes its
 * linear-map alias read-only too, so each run printed here names the cause (the area's caller)
 * of a read-only island in the Linear Mapping section.  A walk of the live tables from TTBR1
 * (vmalloc space is sparse: absent entries are skipped whole).
 */
static struct vm_struct *(*find_vm_area_fn)(const void *);
static unsigned long run_va, run_pa, run_n;
static struct vm_struct *last_area;

static void flush_run(void)
{
	struct vm_struct *vm;

	if (!run_n)
		return;
	vm = find_vm_area_fn ? find_vm_area_fn((void *)run_va) : NULL;
	pr_info("ptdump_mod: ro vmalloc va=%lx phys=%lx pages=%lu caller=%pS\n",
		run_va, run_pa, run_n, vm ? vm->caller : NULL);
	/*
	 * change_memory_common() (arch/arm64/mm/pageattr.c) makes the linear alias of every page of
	 * the VM_ALLOC area read-only, not only the pages of the range: list them, once per area.
	 */
	if (vm && (vm->flags & VM_ALLOC) && vm != last_area) {
		unsigned int i, n = 0;
		unsigned long first = 0, prev = 0;

		last_area = vm;
		for (i = 0; i <= vm->nr_pages; i++) {
			unsigned long pa = i < vm->nr_pages ? page_to_phys(vm->pages[i]) : 0;

			if (n && i < vm->nr_pages && pa == prev + PAGE_SIZE) { n++; prev = pa; continue; }
			if (n)
				pr_info("ptdump_mod: ro area %px phys=%lx pages=%u caller=%pS\n",
					vm->addr, first, n, vm->caller);
			first = prev = pa;
			n = 1;
		}
	}
	run_n = 0;
}

static void note_ro(unsigned long va, unsigned long pa)
{
	if (run_n && va == run_va + run_n * PAGE_SIZE && pa == run_pa + run_n * PAGE_SIZE) {
		run_n++;
		return;
	}
	flush_run();
	run_va = va;
	run_pa = pa;
	run_n = 1;
}

/* pmd_sect()/pud_sect() are gone by v7.x; pXd_leaf() (v5.8+) says the same for live entries */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define ptd_pud_sect(pud)	pud_leaf(pud)
#define ptd_pmd_sect(pmd)	pmd_leaf(pmd)
#else
#define ptd_pud_sect(pud)	pud_sect(pud)
#define ptd_pmd_sect(pmd)	pmd_sect(pmd)
#endif

static void walk_ro(pgd_t *pgdir, unsigned long start, unsigned long end)
{
	unsigned long a = start;

	while (a < end && a >= start) {
		pgd_t *pgd = pgdir + pgd_index(a);
		p4d_t *p4d;
		pud_t *pud;
		pmd_t *pmd;
		pte_t *pte;

		/*
		 * A folded level's pXd_addr_end() is the walk's end (pgtable-nop4d.h): skip an empty
		 * folded entry to the next boundary of the level above it instead.
		 */
		if (pgd_none(READ_ONCE(*pgd))) { a = pgd_addr_end(a, end); continue; }
		p4d = p4d_offset(pgd, a);
		if (p4d_none(READ_ONCE(*p4d))) { a = min(p4d_addr_end(a, end), pgd_addr_end(a, end)); continue; }
		pud = pud_offset(p4d, a);
		if (pud_none(READ_ONCE(*pud)) || ptd_pud_sect(READ_ONCE(*pud))) {
			a = min3(pud_addr_end(a, end), p4d_addr_end(a, end), pgd_addr_end(a, end));
			continue;
		}
		pmd = pmd_offset(pud, a);
		if (pmd_none(READ_ONCE(*pmd)) || ptd_pmd_sect(READ_ONCE(*pmd))) { a = min(pmd_addr_end(a, end), min3(pud_addr_end(a, end), p4d_addr_end(a, end), pgd_addr_end(a, end))); continue; }
		pte = pte_offset_kernel(pmd, a);
		if (pte_valid(READ_ONCE(*pte)) && !pte_write(READ_ONCE(*pte)))
			note_ro(a, __pte_to_phys(READ_ONCE(*pte)));
		a += PAGE_SIZE;
	}
	flush_run();
}

static void report_ro_vmalloc(void)
{
	u64 ttbr1 = read_sysreg(ttbr1_el1);
	pgd_t *pgdir = (pgd_t *)(unsigned long)((ttbr1 & GENMASK_ULL(47, 12)) + kimage_voffset);

	find_vm_area_fn = (void *)(fva ? fva : lookup_name("find_vm_area"));
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 13, 0)
	walk_ro(pgdir, BPF_JIT_REGION_START, BPF_JIT_REGION_END);	/* v5.10: BPF JIT has its own region */
#endif
	walk_ro(pgdir, MODULES_VADDR, MODULES_END);
	walk_ro(pgdir, VMALLOC_START, VMALLOC_END);
}

static int __init ptd_init(void)
{

	ptdump_walk_fn = (void *)(walk ? walk : lookup_name("ptdump_walk"));
	if (!ptdump_walk_fn) {
		pr_err("ptdump_mod: ptdump_walk not found\n");
		return -ENOENT;
	}
	if (markers && mm) {
		/* exactly what ptdump_init() would register: its markers, init_mm, the real PAGE_OFFSET */
		info.mm = (struct mm_struct *)mm;
		info.markers = (const struct addr_marker *)markers;
		info.base_addr = _PAGE_OFFSET(vabits_actual);
		pr_info("ptdump_mod: ptdump_walk=%pS markers=%px (%s) init_mm=%px base=%lx\n",
			ptdump_walk_fn, info.markers, info.markers[0].name, info.mm, info.base_addr);
	} else {
#ifdef SHADOW_INFO
		u64 ttbr1 = read_sysreg(ttbr1_el1);
		phys_addr_t pgd_phys = ttbr1 & GENMASK_ULL(47, 12);

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
#else
		pr_err("ptdump_mod: give markers= and mm= (kallsyms address_markers.N and init_mm)\n");
		return -ENOENT;
#endif
	}
	report_own_pages();
	report_ro_vmalloc();
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
