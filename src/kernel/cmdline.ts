/**
 * The kernel command line, as far as map_mem() cares: rodata=, crashkernel=, debug_pagealloc=,
 * kpti=, kfence.sample_interval=. Other parameters that are common on real command lines and do not
 * change the linear map are accepted and ignored; anything else is an error, so that a misspelt
 * option is not silently dropped.
 */
import { oneLine } from "../memmap/errors.js";

/** What the command line says. Undefined fields were not given. */
export interface Cmdline {
  /** rodata=on|off|full|noalias (arch_parse_debug_rodata(); which values a release knows: rules.rodataSyntax). */
  rodata: "on" | "off" | "full" | "noalias" | undefined;
  /** Every crashkernel= value, in order. */
  crashkernel: string[];
  /** debug_pagealloc= (kstrtobool). */
  debugPagealloc: boolean | undefined;
  /** kpti= (kstrtobool). */
  kpti: boolean | undefined;
  /** cma=SIZE: the CMA area's size (placement forms are not modelled). */
  cma: string | undefined;
  /** kfence.sample_interval= in ms. */
  kfenceSampleInterval: number | undefined;
  /** nokaslr (or kaslr.disabled=1): KASLR off, so the linear map is not moved and KPTI not forced. */
  nokaslr: boolean;
  /** The parameters accepted and ignored. */
  ignored: string[];
}

/** A command-line parameter the model cannot take; the message is one line. */
export class CmdlineError extends Error {
  constructor(param: string, reason: string) {
    super(oneLine(`--cmdline: ${param}: ${reason}`));
    this.name = "CmdlineError";
  }
}

/** Parameters that do not shape the linear map (boot, console, init, security, devices). */
const IGNORED = new Set([
  "BOOT_IMAGE", "root", "rootfstype", "rootflags", "rootwait", "rootdelay", "ro", "rw", "quiet", "splash",
  "console", "earlycon", "earlyprintk", "loglevel", "ignore_loglevel", "init", "initrd",
  "panic", "oops", "audit", "selinux", "apparmor", "security", "lsm", "mitigations", "nosmp", "maxcpus",
  "nr_cpus", "efi", "acpi", "noefi", "swiotlb", "coherent_pool", "ip", "nfsroot", "fsck", "noinitrd",
  "elevator", "transparent_hugepage", "hugepagesz", "hugepages", "default_hugepagesz", "numa", "nohz",
  "isolcpus", "irqaffinity", "rcu_nocbs", "cgroup_disable", "cgroup_enable", "systemd", "net", "biosdevname",
  "resume", "noresume", "hibernate", "pci", "iommu", "sysrq_always_enabled", "printk", "earlyparam",
  "nowatchdog", "nmi_watchdog", "softlockup_panic", "crash_kexec_post_notifiers", "reset_devices",
]);

/** kstrtobool(): y/n, 1/0, on/off. */
function bool(param: string, v: string | undefined): boolean {
  const s = (v ?? "").toLowerCase();
  if (["1", "y", "yes", "on", "true"].includes(s)) return true;
  if (["0", "n", "no", "off", "false"].includes(s)) return false;
  throw new CmdlineError(param, `"${v ?? ""}" is not a boolean (on/off, 1/0, y/n)`);
}

/** Splits a command line into parameters, honouring double quotes as the kernel's next_arg() does. */
export function splitCmdline(text: string): string[] {
  const out: string[] = [];
  const re = /(?:[^\s"]+|"[^"]*")+/g;
  for (const m of text.matchAll(re)) out.push(m[0].replace(/"/g, ""));
  return out;
}

/** Parses a command line. */
export function parseCmdline(text: string): Cmdline {
  const c: Cmdline = { rodata: undefined, crashkernel: [], debugPagealloc: undefined, kpti: undefined, kfenceSampleInterval: undefined, cma: undefined, nokaslr: false, ignored: [] };
  for (const param of splitCmdline(text)) {
    if (param === "--") break; // the rest goes to init
    const eq = param.indexOf("=");
    const name = eq < 0 ? param : param.slice(0, eq);
    const value = eq < 0 ? undefined : param.slice(eq + 1);
    switch (name) {
      case "rodata":
        if (value !== "on" && value !== "off" && value !== "full" && value !== "noalias") throw new CmdlineError(param, "rodata takes on, off, full (before 6.18) or noalias (6.18+)");
        c.rodata = value;
        break;
      case "crashkernel":
        if (!value) throw new CmdlineError(param, "crashkernel needs a value (e.g. 256M, 512M@0x80000000, 1G-:256M, 1G,high)");
        c.crashkernel.push(value);
        break;
      case "debug_pagealloc":
        c.debugPagealloc = bool(param, value);
        break;
      case "kpti":
        c.kpti = bool(param, value);
        break;
      case "cma":
        if (!value || !/^\d+[KMG]?$/i.test(value)) throw new CmdlineError(param, "cma takes a size (e.g. 64M); placement forms are not modelled");
        c.cma = value;
        break;
      case "nokaslr":
        c.nokaslr = true;
        break;
      case "kfence.sample_interval":
        if (value === undefined || !/^\d+$/.test(value)) throw new CmdlineError(param, "kfence.sample_interval takes a number of milliseconds");
        c.kfenceSampleInterval = Number(value);
        break;
      default: {
        const base = name.split(".")[0];
        if (name.startsWith("kfence.")) throw new CmdlineError(param, "unknown KFENCE parameter");
        // Module parameters (foo.bar=) and the common boot parameters do not touch the linear map.
        if (IGNORED.has(base) || name.includes(".") || name.startsWith("rd.") || name.startsWith("systemd.")) {
          c.ignored.push(param);
          break;
        }
        throw new CmdlineError(param, "unknown parameter (it might change the linear map, so it is not ignored)");
      }
    }
  }
  return c;
}
