/**
 * The one table of per-release rules (src/kernel/rules.ts): release strings as distributions print
 * them, each field's value at the releases where the kernel changed it, the commits and subjects the
 * rules name, the generated docs section, and the consumers (policy, ptdump flavour, sweep labels).
 * Expected values are the kernel's: the boundaries of docs/kernel-models.md as read in the sources
 * and the commits, written out here by hand, never computed from the table.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PMD_TABLE_AF, PMD_TABLE_UXN } from "../src/descriptor.js";
import { policyFor } from "../src/kernel/policy.js";
import { UnknownKernelError, parseKernelVersionText, parseRelease } from "../src/kernel/release.js";
import { RULES, RULE_FIELDS, type RuleField, type RuleValues, mainlineSpans, ruleValue, rulesFor, withRulesSection } from "../src/kernel/rules.js";
import { flavourForRelease } from "../src/ptdump/flavour.js";
import { policyByName } from "../src/sweep/policies.js";

const DOC = join(import.meta.dirname, "..", "docs", "kernel-models.md");

describe("release strings", () => {
  it.each([
    // Debian 13 and its 16K flavour: the patch level is in the string.
    ["6.12.117+deb13-arm64", 6, 12, 117],
    ["6.12.117+deb13-arm64-16k", 6, 12, 117],
    // Fedora: X.Y.Z is upstream, -301.fc41 the package release.
    ["6.11.4-301.fc41.aarch64", 6, 11, 4],
    ["6.11.0-63.fc41.aarch64", 6, 11, 0],
    // Plain releases and lines.
    ["6.1.192", 6, 1, 192],
    ["5.10.223-1-arm64", 5, 10, 223],
    ["6.18", 6, 18, undefined],
  ])("%s is %i.%i.%s with the patch level known", (text, major, minor, patch) => {
    const r = parseRelease(text);
    expect([r.major, r.minor, r.patch]).toEqual([major, minor, patch]);
    expect(r.patchAssumed).toBeFalsy();
  });

  it.each([
    ["6.8.0-49-generic", 6, 8],
    ["5.10.0-32-arm64", 5, 10],
    ["6.1.0-56-arm64", 6, 1],
    ["6.1.0-56-cloud-arm64", 6, 1],
  ])("%s (a Debian/Ubuntu ABI name) is the %i.%i line with the patch level assumed, and says so", (text, major, minor) => {
    const r = parseRelease(text);
    expect([r.major, r.minor, r.patch, r.patchAssumed]).toEqual([major, minor, undefined, true]);
    expect(r.note).toMatch(new RegExp(`patch level.*assumed the ${major}\\.${minor} line's latest stable release`));
    expect(policyFor(r).evidence).toContain("assumed");
  });

  it("reads the stable release from Debian's /proc/version", () => {
    const r = parseKernelVersionText(
      "Linux version 6.1.0-56-arm64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, " +
        "GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)\n",
    );
    expect([r.major, r.minor, r.patch, r.patchAssumed]).toEqual([6, 1, 192, undefined]);
    expect(r.note).toContain("6.1.192-2");
    const old = parseKernelVersionText("Linux version 5.10.0-32-arm64 (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110) #1 SMP Debian 5.10.223-1 (2024-08-10)");
    expect([old.major, old.minor, old.patch]).toEqual([5, 10, 223]);
  });

  it("reads the stable release from Ubuntu's version signature, not from the compiler's version", () => {
    const r = parseKernelVersionText(
      "Linux version 6.8.0-49-generic (buildd@bos03-arm64-012) (aarch64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0, " +
        "GNU ld (GNU Binutils for Ubuntu) 2.42) #49-Ubuntu SMP PREEMPT_DYNAMIC Mon Nov  4 02:06:24 UTC 2024 (Ubuntu 6.8.0-49.49-generic 6.8.12)",
    );
    expect([r.major, r.minor, r.patch]).toEqual([6, 8, 12]);
  });

  it("keeps the patch level assumed when /proc/version names no distribution version, and reads Fedora's directly", () => {
    const u = parseKernelVersionText("Linux version 6.8.0-49-generic (buildd@host) (gcc (Ubuntu 13.2.0-23ubuntu4) 13.2.0) #49-Ubuntu SMP PREEMPT_DYNAMIC Mon Nov  4 02:06:24 UTC 2024");
    expect([u.patch, u.patchAssumed]).toEqual([undefined, true]);
    expect(u.note).toMatch(/names no Debian or Ubuntu upstream version/);
    const f = parseKernelVersionText("Linux version 6.11.4-301.fc41.aarch64 (mockbuild@buildhw) (gcc (GCC) 14.2.1 20240912 (Red Hat 14.2.1-3)) #1 SMP PREEMPT_DYNAMIC Sun Oct 20 15:02:33 UTC 2024");
    expect([f.major, f.minor, f.patch]).toEqual([6, 11, 4]);
    expect(parseKernelVersionText("6.12.117")).toMatchObject({ major: 6, minor: 12, patch: 117 });
  });

  it("refuses a /proc/version whose Debian version is on another line", () => {
    expect(() => parseKernelVersionText("Linux version 6.1.0-56-arm64 (x) #1 SMP Debian 6.2.16-1 (2023-06-01)")).toThrow(/not on the 6.1 line/);
  });

  it.each(["7.4", "4.19.0-27-arm64", "8.0.1", "5.4.0-200-generic", "6.4-rc3", "arm64", ""])("refuses %j with a one-line reason", (text) => {
    let err: unknown;
    try {
      parseRelease(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownKernelError);
    expect((err as Error).message).not.toContain("\n");
    expect((err as Error).message).toMatch(/^--kernel .*: /);
  });
});

/** [release, expected value] pairs per field, at the releases where the kernel changed the field. */
const EXPECT: { [F in RuleField]: Array<[string, RuleValues[F]]> } = {
  crash: [
    ["5.10.21", "carve-out"], ["5.10.22", "late-blocks"], ["5.10.46", "late-blocks"], ["5.10.47", "force-pages"],
    ["5.10.223", "defer-if-dma"], ["5.11", "late-blocks"], ["5.12", "late-blocks"], ["5.13.0", "force-pages"],
    ["5.15.32", "force-pages"], ["5.15.33", "defer-if-dma"], ["5.17.0", "force-pages"], ["5.18.0", "defer-if-dma"],
    ["6.1.192", "defer-if-dma"], ["6.3", "defer-if-dma"], ["6.4.0", "none"], ["6.18", "none"],
  ],
  kfence: [["5.11", "absent"], ["5.12.0", "all-pages"], ["6.1.64", "all-pages"], ["6.1.65", "early-pool"], ["6.3", "all-pages"], ["6.4.0", "early-pool"]],
  aliasStart: [["5.10.223", "_text"], ["5.11.0", "_stext"], ["6.1.192", "_stext"], ["6.12.0", "_stext"], ["6.12.117", "_text"], ["6.17.0", "_stext"], ["6.18.0", "_text"]],
  noExec: [["5.12", false], ["5.13.0", true]],
  tableAttrs: [["5.10.223", 0n], ["5.13.0", PMD_TABLE_UXN], ["6.12.117", PMD_TABLE_UXN], ["6.13.0", PMD_TABLE_UXN | PMD_TABLE_AF]],
  pageKernelDirty: [["5.10.223", false], ["6.1.0", false], ["6.1.192", true], ["6.6", true], ["6.6.50", false], ["6.12.117", true], ["6.18.0", false]],
  crashHighLow: [["5.18", false], ["5.19.0", true]],
  rodataOnHonoured: [["5.19", true], ["6.0.0", false], ["6.1.64", false], ["6.1.65", true], ["6.6.3", false], ["6.6.4", true], ["6.7.0", true]],
  crashDefaults62: [["6.1", false], ["6.2.0", true]],
  safeRule: [["6.1.192", "v6.1"], ["6.11", "v6.1"], ["6.12.0", "v6.12"], ["7.1", "v6.12"], ["7.2.0", "v7.3"]],
  pageAlignRanges: [["6.12.116", false], ["6.12.117", true], ["6.18", false]],
  protectsCrashkres: [["6.3", true], ["6.4.0", false]],
  bbml2: [["6.17", false], ["6.18.0", true]],
  ptdumpFlavour: [["5.10.223", "5.10"], ["6.0", "5.10"], ["6.1.0", "6.1"], ["6.11", "6.1"], ["6.12.0", "6.12"], ["6.14", "6.12"], ["6.15.0", "6.15"], ["6.18", "6.15"], ["7.3.4", "6.15"]],
  rodataSyntax: [["6.17", "full"], ["6.18.0", "noalias"], ["7.3.4", "noalias"]],
  aliasMapping: [["6.12.117", "apart"], ["7.1", "apart"], ["7.2.0", "bank-flags"], ["7.3.4", "bank-flags"]],
  dataAlias: [["6.18", "mapped"], ["7.1", "mapped"], ["7.2.0", "read-only"], ["7.3.0", "invalid"]],
  invalidNg: [["6.12.117", false], ["6.18.23", false], ["6.18.24", true], ["7.0.0", false], ["7.0.1", true], ["7.1.0", true]],
  linearKaslr: [["5.10.223", true], ["6.15", true], ["6.16.0", false]],
  kfencePoolMap: [["6.12.117", "nomap-last"], ["7.1", "nomap-last"], ["7.2.0", "first"]],
  cmaAlign: [["5.10.223", "max-order"], ["6.0", "max-order"], ["6.1.0", "pageblock"], ["7.3.4", "pageblock"]],
  sectionSizeBits: [["5.10.223", "30"], ["6.0", "30"], ["6.1.0", "27-29"], ["7.3.4", "27-29"]],
  sparseBeforeCma: [["5.10.223", true], ["6.12.117", true], ["6.19", true], ["7.0.0", false]],
};

describe("the rules table", () => {
  it.each(RULE_FIELDS.map((f) => [f]))("%s has the kernel's value at each boundary", (field) => {
    for (const [text, want] of EXPECT[field]) {
      expect([text, ruleValue(parseRelease(text), field)]).toEqual([text, want]);
    }
  });

  it("covers every field with a rule that applies to 5.10.0", () => {
    expect(Object.keys(EXPECT).sort()).toEqual([...RULE_FIELDS].sort());
    for (const f of RULE_FIELDS) expect(() => ruleValue({ major: 5, minor: 10, patch: 0 }, f)).not.toThrow();
  });

  it("names each commit by 12 hex digits with its subject, and says where there is none", () => {
    for (const r of RULES) {
      if (r.commit === undefined) {
        expect(r.subject).toBeUndefined();
      } else {
        expect(r.commit).toMatch(/^[0-9a-f]{12}$/);
        expect(r.subject).toMatch(/\S/);
      }
      expect(r.note).not.toContain("\n");
    }
    const byCommit = (c: string) => RULES.find((r) => r.commit === c)?.subject;
    expect(byCommit("2687275a5843")).toBe("arm64: Force NO_BLOCK_MAPPINGS if crashkernel reservation is required");
    expect(byCommit("031495635b46")).toBe("arm64: Do not defer reserve_crashkernel() for platforms with no DMA memory zones");
    expect(byCommit("acfa60dbe038")).toBe('arm64: mm: Fix "rodata=on" when CONFIG_RODATA_FULL_DEFAULT_ENABLED=y');
  });

  it("keeps each field's rules in mainline order, backport-only rules last", () => {
    for (const f of RULE_FIELDS) {
      const ms = RULES.filter((r) => r.field === f).map((r) => (r.mainline ? r.mainline[0] * 100 + r.mainline[1] : 1e9));
      expect(ms).toEqual([...ms].sort((a, b) => a - b));
    }
  });

  it("rulesFor() says which commit decided each field", () => {
    const why = rulesFor(parseRelease("6.1.192"));
    expect(why.map((w) => w.field)).toEqual([...RULE_FIELDS]);
    const kfence = why.find((w) => w.field === "kfence")!;
    expect([kfence.value, kfence.commit, kfence.subject]).toEqual(["early-pool", "bfa7965b33ab", "mm,kfence: decouple kfence from page granularity mapping judgement"]);
    expect(kfence.via).toMatch(/^backport 6\.1\.65/);
    const crash = rulesFor(parseRelease("5.10.21")).find((w) => w.field === "crash")!;
    expect([crash.value, crash.commit, crash.via]).toEqual(["carve-out", undefined, "baseline 5.10"]);
    const attrs = rulesFor(parseRelease("6.13")).find((w) => w.field === "tableAttrs")!;
    expect([attrs.valueText, attrs.commit]).toEqual(["UXNTable + AF", "efe72541355d"]);
  });

  it("gives the mainline spans the docs state: crashkernel= forces pages on 5.13-5.17", () => {
    expect(mainlineSpans("crash", "force-pages")).toBe("5.13–5.17");
    expect(mainlineSpans("crash", "defer-if-dma")).toBe("5.18–6.3");
    expect(mainlineSpans("crash", "late-blocks")).toBe("5.11–5.12");
  });
});

describe("docs/kernel-models.md", () => {
  it("holds the section generated from the rules", () => {
    const doc = readFileSync(DOC, "utf8");
    const want = withRulesSection(doc);
    if (process.env.WRITE_RULES_DOC === "1" && want !== doc) writeFileSync(DOC, want);
    else expect(doc).toBe(want);
  });
});

describe("the consumers of the table", () => {
  /** The ptdump flavour each line prints, by the sources read (5.10.223, 6.1.192, 6.12.117) and f5e93819e2cc (v6.15). */
  const flavourOf = (major: number, minor: number) =>
    major === 5 || minor === 0 ? "5.10" : minor < 12 ? "6.1" : minor < 15 ? "6.12" : "6.15";
  const lines: Array<[number, number]> = [
    ...Array.from({ length: 10 }, (_, i): [number, number] => [5, 10 + i]),
    ...Array.from({ length: 19 }, (_, i): [number, number] => [6, i]),
  ];

  it.each(lines)("%i.%i: flavour and policy agree, whichever way the release is written", (major, minor) => {
    for (const text of [`${major}.${minor}`, `${major}.${minor}.0`, `${major}.${minor}.0-1-arm64`, `v${major}.${minor}.3`]) {
      const release = parseRelease(text.replace(/^v/, ""));
      const flavour = flavourForRelease(text);
      expect([text, flavour]).toEqual([text, flavourOf(major, minor)]);
      expect(flavourForRelease(release)).toBe(flavour);
      const p = policyFor(release);
      expect(p.line).toBe(`${major}.${minor}`);
      // Both read from the 6.12 sources on: the pgattr_change_is_safe() rule and the ptdump flavour.
      expect(p.safeRule === "v6.12").toBe(flavour === "6.12" || flavour === "6.15");
      // UXNTable (v5.13) and NO_EXEC_MAPPINGS come together.
      expect(p.noExec).toBe(p.tableAttrs !== 0n);
    }
  });

  it("labels the sweep's policies from the table", () => {
    const crash = policyByName("crash-5.15");
    expect(policyFor(parseRelease(crash.kernel)).crash).toBe("force-pages");
    expect(crash.title).toContain("5.13–5.17");
    expect(crash.title).not.toContain("5.11");
    expect(policyFor(parseRelease(policyByName("carveout-5.10").kernel)).crash).toBe("carve-out");
    expect(policyFor(parseRelease(policyByName("bbml2-6.18").kernel)).bbml2).toBe(true);
  });
});
