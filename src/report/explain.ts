/**
 * `explain`: why each range of the linear map is mapped the way it is. What is mapped (leaf sizes,
 * CONT, validity, read-only) is read from the table the boot built (`pt.ranges()`); why is taken
 * from the boot result (the bank loop's flags and reasons, the kernel alias, the KFENCE pool, the
 * crashkernel, the steps after boot) and from the release's rules (src/kernel/rules.ts), with the
 * commits that made them.
 */
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, PTE_CONT, PTE_RDONLY, PTE_VALID } from "../descriptor.js";
import { type Geometry, entrySize, linuxBlockLevel } from "../geometry.js";
import { type Cmdline, parseCmdline } from "../kernel/cmdline.js";
import { DEFAULT_CONFIG, type KernelConfig } from "../kernel/config.js";
import { type KernelRule, type RuleField, type RuleReason, mainlineVia, ruleApplies, ruleHistory, rulesFor } from "../kernel/rules.js";
import type { Scenario, ScenarioInput } from "../scenario.js";
import { formatSize } from "../units.js";

/** A rule of the release that decided something in this map. */
export interface ExplainRule {
  field: RuleField;
  /** The value as the docs print it. */
  value: string;
  commit: string | null;
  subject: string | null;
  /** How the rule reaches the release: "mainline 5.11", "backport 6.1.65; …", "baseline 5.10". */
  via: string;
  /** What the rule does. */
  note: string;
}

/** One region of the linear map with one explanation; physical addresses, end exclusive. */
export interface ExplainRegion {
  start: bigint;
  end: bigint;
  /** The leaf size, named by the granule: "1G", "2M", "4K" (4K pages), "32M", "16K", "512M", "64K". */
  mapping: string;
  /** The leaves carry the contiguous hint. */
  cont: boolean;
  /** The first line says how it is mapped; the others why, each with its commit where one decided it. */
  why: string[];
  /** The commits (12 hex digits) named in `why`, in order, without repeats. */
  commits: string[];
}

/** What `explain` prints. */
export interface Explanation {
  /** The release as given. */
  release: string;
  /** The line whose rules apply and where they were read. */
  line: string;
  evidence: string;
  /** The flags of map_mem()'s bank loop, as text. */
  bankFlags: string;
  rules: ExplainRule[];
  regions: ExplainRegion[];
  notes: string[];
}

/** A line of `why` and the commit it cites. */
interface Why {
  text: string;
  commit?: string;
  /** The text without its citation (used when a line above already cites the commit). */
  plain?: string;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;
const span = (a: bigint, b: bigint) => `[${hex(a)}, ${hex(b)})`;
const PAGE_FLAGS_TEXT = "NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS";

/** `commit abc "subject" (mainline 5.11)`, with the via cut to its first clause. */
function cite(r: RuleReason): string {
  const via = r.via.split(";")[0];
  return `commit ${r.commit} "${r.subject}" (${via})`;
}

/** A line of `why`, citing the rule `r` decided it by (its commit, or where it holds from when it has none). */
function why(text: string, r?: RuleReason): Why {
  if (!r) return { text };
  if (!r.commit) return { text: `${text} (${r.via.split(";")[0]})` };
  return { text: `${text}: ${cite(r)}`, commit: r.commit, plain: text };
}

/** A piece of the table: one leaf size, one CONT state, one validity, inside one part of the boot. */
interface Piece {
  start: bigint;
  end: bigint;
  d: number;
  cont: boolean;
  valid: boolean;
  ro: boolean;
}

type Part = "pool" | "alias" | "dataAlias" | "crash" | "crashLow" | "bank";

/** Builds the explanation of a booted scenario; `input` is what it was booted from. */
export function explainScenario(sc: Scenario, input: ScenarioInput): Explanation {
  const { pt, policy, boot } = sc;
  const g = pt.geometry;
  const rel = policy.release;
  const rules = rulesFor(rel);
  /**
   * The rule of field `f` that decided the value, or, where several rules of the field give the
   * release its value, the one whose note matches `about` (e.g. of v6.18's two BBML2 commits, the one
   * that brought force_pte_mapping()).
   */
  const rule = (f: RuleField, about?: RegExp): RuleReason => {
    const decided = rules.find((r) => r.field === f)!;
    if (!about) return decided;
    const h = ruleHistory(rel, f).filter((r) => r.value === decided.value && about.test(r.note));
    const r: KernelRule | undefined = h[h.length - 1];
    return r ? { ...decided, commit: r.commit, subject: r.subject, note: r.note, via: viaOf(r, rel) } : decided;
  };
  const cmdline: Cmdline = parseCmdline(input.cmdline ?? "");
  const config: KernelConfig = input.config ?? { ...DEFAULT_CONFIG };
  const strategy = input.crashStrategy ?? "kernel";
  const kfenceInterval = cmdline.kfenceSampleInterval ?? config.kfenceSampleInterval;
  const ck = boot.crashkernel && boot.crashkernel.size > 0n ? boot.crashkernel : undefined;
  const overlapsBank = (b: bigint, e: bigint) => boot.banks.some((x) => x.base < e && b < x.base + x.size);
  // A crashkernel the bank loop skipped was reserved early and mapped apart (NOMAP carve-out).
  const crashCarved = ck !== undefined && !overlapsBank(ck.base, ck.base + ck.size);
  const splitStep = boot.steps.find((s) => s.what.startsWith("linear_map_split_to_ptes"));
  const bankPages = (boot.flags & NO_BLOCK_MAPPINGS) !== 0 || splitStep !== undefined;
  // From 6.1 map_mem() asks can_set_direct_map() (rule 2081b3bd0c11's note).
  const hasCanSetDirectMap = ruleHistory(rel, "rodataOnHonoured").some((r) => r.commit === "2081b3bd0c11");

  // The parts of the boot, by physical address.
  const parts: Array<{ part: Part; base: bigint; end: bigint }> = [];
  if (boot.kfencePool) parts.push({ part: "pool", base: boot.kfencePool.base, end: boot.kfencePool.base + boot.kfencePool.size });
  if (boot.alias.size > 0n) parts.push({ part: "alias", base: boot.alias.base, end: boot.alias.base + boot.alias.size });
  if (boot.dataAlias.size > 0n) parts.push({ part: "dataAlias", base: boot.dataAlias.base, end: boot.dataAlias.base + boot.dataAlias.size });
  if (ck) parts.push({ part: "crash", base: ck.base, end: ck.base + ck.size });
  if (ck?.low) parts.push({ part: "crashLow", base: ck.low.base, end: ck.low.base + ck.low.size });
  const partAt = (pa: bigint) => parts.find((p) => p.base <= pa && pa < p.end);
  const bankAt = (pa: bigint) => boot.banks.find((b) => b.base <= pa && pa < b.base + b.size);
  const cuts = new Set<bigint>();
  for (const p of parts) cuts.add(p.base).add(p.end);
  for (const b of boot.banks) cuts.add(b.base).add(b.base + b.size);
  const sortedCuts = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  // The leaves, from the table, cut where the parts of the boot meet.
  const toPa = (va: bigint) => va - sc.linear.start + boot.memstart;
  const pieces: Piece[] = [];
  for (const r of pt.ranges({ start: sc.linear.start, end: sc.linear.end })) {
    if (r.descriptor === 0n) continue;
    const base = { d: 3 - r.level, cont: (r.descriptor & PTE_CONT) !== 0n, valid: (r.descriptor & PTE_VALID) !== 0n, ro: (r.descriptor & PTE_RDONLY) !== 0n };
    let s = toPa(r.start);
    const e = toPa(r.end);
    for (const c of sortedCuts) {
      if (c <= s || c >= e) continue;
      pieces.push({ start: s, end: c, ...base });
      s = c;
    }
    pieces.push({ start: s, end: e, ...base });
  }

  const leaf = (d: number) => formatSize(entrySize(g, d));
  const contGroup = (d: number) => entrySize(g, d) * BigInt(g.contEntries[d]);
  const maxBlock = linuxBlockLevel(g, 2) && g.levels > 2 ? 2 : 1;
  const shape = (p: Piece) => `${leaf(p.d)} ${p.d === 0 ? "pages" : "blocks"}${p.cont ? ` in ${formatSize(contGroup(p.d))} CONT groups` : ""}`;

  /** Why a piece has smaller leaves, or no CONT, than [rs, re) with `flags` would allow: alignment. */
  const alignment = (p: Piece, rs: bigint, re: bigint, flags: number): Why[] => {
    const out: Why[] = [];
    const edge = (size: bigint, what: string) => {
      const up = ((rs + size - 1n) / size) * size;
      const down = (re / size) * size;
      const at: string[] = [];
      if (p.start < up) at.push(`starts at ${hex(rs)}`);
      if (p.end > down) at.push(`ends at ${hex(re)}`);
      if (at.length > 0) out.push({ text: `${what}: the range mapped ${span(rs, re)} ${at.join(" and ")}, not ${formatSize(size)}-aligned` });
      return at.length > 0;
    };
    if ((flags & NO_BLOCK_MAPPINGS) === 0 && p.d < maxBlock && linuxBlockLevel(g, p.d + 1)) {
      if (!edge(entrySize(g, p.d + 1), `${p.d === 0 ? "pages" : `${leaf(p.d)} blocks`}, not ${leaf(p.d + 1)} blocks`)) {
        const size = entrySize(g, p.d + 1);
        const w0 = (p.start / size) * size;
        const by = boot.steps.filter((s) => s.range && !s.what.startsWith("map ") && s.range.base < w0 + size && w0 < s.range.base + s.range.size).pop();
        out.push({ text: `not ${leaf(p.d + 1)} blocks, though ${span(rs, re)} covers whole ones here: split after boot${by ? ` (${by.what})` : ""}` });
      }
    }
    // CONT groups exist for pages and PMD blocks only.
    if ((flags & NO_CONT_MAPPINGS) === 0 && !p.cont && p.d <= 1) edge(contGroup(p.d), "no CONT");
    return out;
  };

  /** Why the bank loop's flags are what they are. */
  const bankReasons = (): Why[] => {
    if (splitStep) return [why(`${splitStep.what}`, rule("bbml2", /linear_map_split_to_ptes/))];
    if (bankPages) {
      const out: Why[] = boot.reasons.map((r) => {
        if (r.startsWith("crashkernel=")) return why(r, rule("crash"));
        if (r.startsWith("rodata=on") && policy.rodataSyntax === "full") return why(r, rule("rodataOnHonoured"));
        if (/^rodata/.test(r) && policy.rodataSyntax === "noalias") return why(r, rule("rodataSyntax"));
        if (/KFENCE/.test(r)) return why(r, rule("kfence"));
        if (/BBML2/.test(r)) return why(r, rule("bbml2", /force_pte_mapping/));
        return why(r);
      });
      const direct = boot.reasons.some((r) => !r.startsWith("crashkernel="));
      out.push({ text: `${direct && hasCanSetDirectMap ? "can_set_direct_map() is true, so " : ""}map_mem() passes ${PAGE_FLAGS_TEXT}` });
      return out;
    }
    const out: Why[] = [];
    if (boot.rodataFull && policy.bbml2) {
      out.push(why("rodata_full is on, but with BBML2_NOABORT on every CPU force_pte_mapping() is false: blocks kept, split on demand", rule("bbml2", /force_pte_mapping/)));
    } else if (cmdline.rodata === "on" && config.rodataFullDefault) {
      out.push(why("rodata=on turns rodata_full off", rule("rodataOnHonoured")));
    } else if (cmdline.rodata === "off") {
      out.push(why("rodata=off"));
    } else if (cmdline.rodata === undefined && !config.rodataFullDefault) {
      out.push(why("rodata_full is off: CONFIG_RODATA_FULL_DEFAULT_ENABLED is not set"));
    } else if (!boot.rodataFull) {
      out.push(why(`rodata=${cmdline.rodata ?? "on"}: rodata_full is off`));
    }
    if (config.kfence && policy.kfence === "early-pool" && kfenceInterval > 0) {
      out.push(why(`KFENCE's pool is allocated before map_mem() (sample interval ${kfenceInterval}), so KFENCE does not make the map page-granular`, rule("kfence")));
    }
    if (cmdline.crashkernel.length > 0 && config.kexecCore && strategy === "kernel" && (policy.crash === "late-blocks" || policy.crash === "none")) {
      out.push(why(`crashkernel= does not make the map page-granular on this release`, rule("crash", /linear map/)));
    }
    out.push({ text: `map_mem() allows blocks${(boot.flags & NO_CONT_MAPPINGS) === 0 ? " and CONT" : ""} in the bank loop` });
    return out;
  };
  const bankWhy = bankReasons();

  const crashText = cmdline.crashkernel.map((v) => `crashkernel=${v}`).join(" ");
  const crashWhy = (low: boolean): Why[] => {
    const c = low ? ck!.low! : ck!;
    const name = `crashkernel${low ? " low part" : ""} ${span(c.base, c.base + c.size)} (${formatSize(c.size)}, ${crashText || "from the memory map"})`;
    if (crashCarved && !low) {
      const how = strategy === "kernel"
        ? why(`${name} is reserved before map_mem(), NOMAP during the bank loop, then mapped page by page (${PAGE_FLAGS_TEXT})`, rule("crash"))
        : { text: `${name} is reserved before map_mem() and mapped page by page: --crash-strategy ${strategy}, an option of the upstream discussion, not what a release does` };
      return [how];
    }
    const out: Why[] = [];
    if (strategy === "blocks-then-split") out.push({ text: `${name} is reserved after map_mem(): --crash-strategy blocks-then-split, an option of the upstream discussion` });
    else if (policy.crash === "none") out.push(why(`${name} is reserved after map_mem(), which does not map it apart`, rule("crash", /linear map/)));
    else if (policy.crash === "late-blocks") out.push(why(`${name} is reserved after the linear map is built, which keeps its blocks`, rule("crash")));
    else out.push(why(`${name} is reserved after map_mem() (deferred until the DMA zones are known): mapped as the rest of the bank loop, page by page`, rule("crash")));
    return out;
  };

  // Per-part facts that hold for the whole part (so that the part stays one region).
  const poolGuards = boot.kfencePool
    ? pieces.filter((p) => !p.valid && p.start >= boot.kfencePool!.base && p.end <= boot.kfencePool!.base + boot.kfencePool!.size)
      .reduce((n, p) => n + (p.end - p.start) / g.pageSize, 0n)
    : 0n;
  const invalidStep = (p: Piece) => boot.steps.filter((s) => s.range && s.range.base <= p.start && p.end <= s.range.base + s.range.size && /invalid|set_memory_valid\(0\)/i.test(s.what)).pop();

  const explainPiece = (p: Piece): Why[] => {
    const part = partAt(p.start)?.part ?? "bank";
    const lines: Why[] = [];
    if (part === "pool") {
      const pool = boot.kfencePool!;
      lines.push({ text: `KFENCE pool ${span(pool.base, pool.base + pool.size)} (${formatSize(pool.size)}): page-granular (${leaf(0)} PTEs, no CONT)` });
      lines.push(why(`arm64_kfence_alloc_pool() allocates it before map_mem() (kfence.sample_interval=${kfenceInterval}${cmdline.kfenceSampleInterval === undefined ? ", CONFIG_KFENCE_SAMPLE_INTERVAL" : ""}), NOMAP during the bank loop, then mapped page by page (${PAGE_FLAGS_TEXT})`, rule("kfence")));
      if (poolGuards > 0n) lines.push({ text: `${poolGuards} guard pages invalid (kfence_init_pool())` });
      return lines;
    }
    if (part === "alias") {
      const a = boot.alias;
      lines.push({ text: `kernel alias [${policy.aliasStart}, __init_begin) ${span(a.base, a.base + a.size)}, ${shape(p)}` });
      if (policy.aliasMapping === "bank-flags") {
        lines.push(why(`mapped first by map_mem(), with the bank loop's flags${p.ro ? ", read-only after mark_linear_text_alias_ro()" : ""}`, rule("aliasMapping")));
        lines.push(...bankWhy);
      } else {
        lines.push({ text: `mapped apart by map_mem(): blocks allowed, no CONT (NO_CONT_MAPPINGS)${p.ro ? ", read-only after mark_linear_text_alias_ro()" : ""}` });
      }
      lines.push(why(`the alias starts at ${policy.aliasStart}`, rule("aliasStart")));
      lines.push(...alignment(p, a.base, a.base + a.size, policy.aliasMapping === "bank-flags" ? boot.flags : NO_CONT_MAPPINGS));
      return lines;
    }
    if (part === "dataAlias") {
      const d = boot.dataAlias;
      lines.push({ text: `kernel data/bss alias [__init_end, __bss_stop) ${span(d.base, d.base + d.size)}, ${shape(p)}` });
      lines.push(why("mapped apart by map_mem(), with the bank loop's flags", rule("dataAlias")));
      lines.push(...bankWhy);
      if (!p.valid) lines.push(why("invalid after mark_rodata_ro() (mark_linear_data_alias_valid(false)); set_memory_valid(0) sets nG (PTE_PRESENT_INVALID)", rule("invalidNg")));
      else if (p.ro) lines.push({ text: "read-only after mark_rodata_ro()" });
      else lines.push({ text: "valid and writable: rodata=off, so mark_rodata_ro() does not run" });
      return lines;
    }
    if (part === "crash" && crashCarved) {
      lines.push({ text: `page-granular (${leaf(0)} PTEs, no CONT)` });
      lines.push(...crashWhy(false));
    } else {
      const bank = bankAt(p.start);
      if (bankPages && p.d === 0 && !p.cont) {
        lines.push({ text: `page-granular (${leaf(0)} PTEs, no CONT)` }, ...bankWhy);
      } else {
        lines.push({ text: shape(p) }, ...bankWhy);
        if (bank) lines.push(...alignment(p, bank.base, bank.base + bank.size, boot.flags));
      }
      if (!bank) lines.push({ text: "outside the ranges the bank loop mapped" });
      if (part === "crash" || part === "crashLow") lines.push(...crashWhy(part === "crashLow"));
    }
    if (!p.valid) {
      const s = invalidStep(p);
      lines.push(why(`invalid${s ? `: ${s.what}` : ""}`, s && /arch_kexec_protect_crashkres/.test(s.what) ? rule("protectsCrashkres") : undefined));
    }
    if ((part === "crash" || part === "crashLow") && boot.failure) lines.push({ text: `after boot: ${boot.failure.message}` });
    return lines;
  };

  // Regions: adjacent pieces with the same explanation, leaf size and CONT state merge.
  const regions: ExplainRegion[] = [];
  for (const p of pieces) {
    // A commit is cited once per region: later lines that cite it again drop the citation.
    const cited = new Set<string>();
    const w = explainPiece(p).map((x) => {
      if (x.commit === undefined) return x;
      if (cited.has(x.commit)) return { text: x.plain ?? x.text };
      cited.add(x.commit);
      return x;
    });
    const mapping = leaf(p.d);
    const texts = w.map((x) => x.text);
    const last = regions[regions.length - 1];
    if (last && last.end === p.start && last.mapping === mapping && last.cont === p.cont && sameLines(last.why, texts)) {
      last.end = p.end;
      continue;
    }
    const commits = [...new Set(w.map((x) => x.commit).filter((c): c is string => c !== undefined))];
    regions.push({ start: p.start, end: p.end, mapping, cont: p.cont, why: texts, commits });
  }

  return {
    release: input.kernel,
    line: policy.line,
    evidence: policy.evidence,
    bankFlags: bankPages ? PAGE_FLAGS_TEXT : (boot.flags & NO_CONT_MAPPINGS) !== 0 ? "NO_CONT_MAPPINGS (blocks allowed)" : "blocks and CONT allowed",
    rules: decidingRules(rules, { sc, input, cmdline, config, ck: ck !== undefined, g }),
    regions,
    notes: [...sc.notes],
  };
}

/** How a rule reaches a release, as rulesFor() says it. */
function viaOf(r: KernelRule, rel: { major: number; minor: number; patch: number | undefined }): string {
  const a = ruleApplies(r, rel);
  if (!a) return "not applicable";
  if (a.how === "mainline") return mainlineVia(r);
  const b = a.backport;
  return `backport ${b.line.join(".")}${b.patch === undefined ? " (latest stable)" : `.${b.patch}`}`;
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The release's rules whose field decided something in this map, in the rules' field order. */
function decidingRules(
  rules: RuleReason[],
  c: { sc: Scenario; input: ScenarioInput; cmdline: Cmdline; config: KernelConfig; ck: boolean; g: Geometry },
): ExplainRule[] {
  const { sc, input, cmdline, config } = c;
  const crashGiven = cmdline.crashkernel.length > 0 && config.kexecCore;
  const page = c.g.pageSize;
  const m = input.memmap;
  const unaligned = [...m.memory, ...m.nomap].some((r) => r.base % page !== 0n || (r.base + r.size) % page !== 0n);
  const matters: Partial<Record<RuleField, boolean>> = {
    crash: crashGiven,
    kfence: config.kfence,
    aliasStart: true,
    rodataOnHonoured: cmdline.rodata === "on" && config.rodataFullDefault,
    pageAlignRanges: unaligned,
    rodataSyntax: sc.policy.rodataSyntax === "noalias",
    aliasMapping: sc.policy.aliasMapping === "bank-flags",
    dataAlias: sc.boot.dataAlias.size > 0n,
    invalidNg: sc.policy.invalidNg && (sc.boot.dataAlias.size > 0n || sc.boot.kfencePool !== undefined),
    linearKaslr: input.kaslrOffset !== undefined && !cmdline.nokaslr,
    bbml2: sc.policy.bbml2 && (sc.boot.rodataFull || (input.bbml2 ?? "none") !== "none" || sc.boot.reasons.some((r) => /KFENCE/.test(r))),
    protectsCrashkres: (input.kexecLoaded ?? false) && c.ck,
    crashHighLow: crashGiven && cmdline.crashkernel.some((v) => /,(high|low)$/.test(v)),
    crashDefaults62: crashGiven && cmdline.crashkernel.some((v) => /,(high|low)$/.test(v)),
  };
  return rules.filter((r) => matters[r.field]).map((r) => ({
    field: r.field,
    value: r.valueText,
    commit: r.commit ?? null,
    subject: r.subject ?? null,
    via: r.via,
    note: r.note,
  }));
}

/** The text `explain` prints: a header naming the deciding rules, then one line per region. */
export function explanationText(e: Explanation): string {
  const lines = [
    `kernel ${e.release} (rules of the ${e.line} line; ${e.evidence})`,
    `map_mem() bank loop: ${e.bankFlags}`,
    "rules that decided this map:",
    ...e.rules.map((r) => `  ${r.field} = ${r.value}: ${r.commit ? `commit ${r.commit} "${r.subject}"` : "no commit"} (${r.via}): ${r.note}`),
    "regions (physical addresses):",
  ];
  const width = Math.max(0, ...e.regions.map((r) => `${hex(r.start)}-${hex(r.end)}`.length));
  for (const r of e.regions) {
    const head = `${hex(r.start)}-${hex(r.end)}`.padEnd(width);
    const [first, ...rest] = r.why;
    lines.push(`${head}  ${first}${rest.length > 0 ? `: ${rest.join("; ")}` : ""}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `explain --json`: addresses as hex text. */
export function explanationJson(e: Explanation): object {
  return {
    release: e.release,
    rules: e.rules.map((r) => ({ field: r.field, value: r.value, commit: r.commit, subject: r.subject, via: r.via })),
    regions: e.regions.map((r) => ({ start: hex(r.start), end: hex(r.end), mapping: r.mapping, cont: r.cont, why: r.why, commits: r.commits })),
    notes: e.notes,
  };
}
