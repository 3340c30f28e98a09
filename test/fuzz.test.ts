/**
 * Fuzzing every text parser with fast-check: random strings, lines of plausible tokens, and real
 * inputs from test/fixtures/ mutated (lines deleted, duplicated, swapped; characters flipped;
 * truncation; huge, negative and empty numbers; CRLF; NUL bytes). The property, for each parser:
 * the call returns a value or throws the parser's typed error, which names the input (file or
 * option), the line where the error type has one (within the input's lines) and a reason on one
 * line; no TypeError or RangeError from inside, no stack overflow, and each parse of an input under
 * 64 KiB finishes in well under 2 s. The line-based parsers also read a text with CRLF line ends
 * as with LF: the same value, or an error at the same line. A table of how many inputs each parser
 * was given is printed at the end.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../src/errors.js";
import { CmdlineError, parseCmdline } from "../src/kernel/cmdline.js";
import { ConfigError, parseConfig } from "../src/kernel/config.js";
import { UnknownKernelError, parseKernelVersionText, parseRelease, readRelease } from "../src/kernel/release.js";
import { MemoryMapError, type MemoryMap, type MemoryMapFormat, parseMemoryMap, renderShorthand } from "../src/memmap/index.js";
import { parseKernelSymbols } from "../src/memmap/kernel-symbols.js";
import { PtdumpParseError } from "../src/ptdump/parse-error.js";
import { parsePtdump } from "../src/ptdump/parse.js";
import { detectTraceFormat, streamTrace } from "../src/tlb/trace.js";
import { parseWorkload } from "../src/tlb/workload.js";
import { parseSize } from "../src/units.js";

// ---------------------------------------------------------------------------------------------
// The checks every input goes through

/** A parse of an input under 64 KiB must finish within this (generous: a slow, loaded machine). */
const TIME_LIMIT_MS = 2000;
const MAX_INPUT = 64 * 1024;

const tried = new Map<string, number>();
const rejected = new Map<string, number>();

function count(parser: string, threw: boolean): void {
  tried.set(parser, (tried.get(parser) ?? 0) + 1);
  if (threw) rejected.set(parser, (rejected.get(parser) ?? 0) + 1);
}

/** The input's lines as the parsers number them: 1 to this. */
function lineCount(text: string): number {
  return text.split("\n").length;
}

function show(text: string): string {
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}

/**
 * Runs `parse` on `input`: it returns, or throws an error `typed` accepts (which returns a
 * complaint, or undefined when the error is as documented). Anything else fails the property with
 * the input, the error and its stack.
 */
function check(parser: string, input: string, parse: () => unknown, typed: (e: unknown) => string | undefined): void {
  const t0 = performance.now();
  let error: unknown;
  let threw = false;
  try {
    parse();
  } catch (e) {
    threw = true;
    error = e;
  }
  const ms = performance.now() - t0;
  count(parser, threw);
  if (input.length < MAX_INPUT && ms > TIME_LIMIT_MS) {
    throw new Error(`${parser}: took ${ms.toFixed(0)} ms on ${input.length} characters: ${show(input)}`);
  }
  if (!threw) return;
  const complaint = typed(error);
  if (complaint !== undefined) {
    const e = error as Error;
    throw new Error(`${parser}: ${complaint}\ninput: ${show(input)}\nerror: ${e?.name}: ${e?.message}\n${e?.stack ?? ""}`);
  }
}

const ONE_LINE = /[\n\r\u2028\u2029]/;

/** A `MemoryMapError` naming `source`, a line from 0 (the whole input) to the input's last, and a one-line reason. */
function memoryMapError(source: string, input: string) {
  return (e: unknown): string | undefined => {
    if (!(e instanceof MemoryMapError)) return "not a MemoryMapError";
    if (e.source !== source) return `names ${e.source}, not ${source}`;
    if (!Number.isInteger(e.line) || e.line < 0 || e.line > lineCount(input)) return `line ${e.line} is outside the input's ${lineCount(input)} lines`;
    if (e.reason.trim() === "") return "no reason";
    if (ONE_LINE.test(e.message)) return "the message is not one line";
    const where = e.line > 0 ? `${source}:${e.line}: ` : `${source}: `;
    if (!e.message.startsWith(where)) return `the message does not start with "${where}"`;
    return undefined;
  };
}

/** An error of class `kind` naming `source`, a line from 1 to the input's last, and a one-line reason. */
function lineError(kind: typeof PtdumpParseError | typeof ConfigError, source: string, input: string) {
  return (e: unknown): string | undefined => {
    if (!(e instanceof kind)) return `not a ${kind.name}`;
    if (e.source !== source) return `names ${e.source}, not ${source}`;
    if (!Number.isInteger(e.line) || e.line < 1 || e.line > lineCount(input)) return `line ${e.line} is outside the input's ${lineCount(input)} lines`;
    if (e.reason.trim() === "" || ONE_LINE.test(e.message)) return "no reason, or not one line";
    if (!e.message.startsWith(`${source}:${e.line}: `)) return "the message does not name the source and line";
    return undefined;
  };
}

const ptdumpError = (source: string, input: string) => lineError(PtdumpParseError, source, input);
const configError = (source: string, input: string) => lineError(ConfigError, source, input);

/** The command line is one option, not a file: its errors name `--cmdline` and the parameter. */
function cmdlineError(e: unknown): string | undefined {
  if (!(e instanceof CmdlineError)) return "not a CmdlineError";
  if (!e.message.startsWith("--cmdline: ") || ONE_LINE.test(e.message)) return "does not name --cmdline, or not one line";
  return undefined;
}

function releaseError(e: unknown): string | undefined {
  if (!(e instanceof UnknownKernelError)) return "not an UnknownKernelError";
  if (!e.message.startsWith("--kernel ") || ONE_LINE.test(e.message)) return "does not name --kernel, or not one line";
  return undefined;
}

/** parseSize documents a RangeError naming the text. */
function sizeError(text: string) {
  return (e: unknown): string | undefined => {
    if (!(e instanceof RangeError) || e.constructor !== RangeError) return "not a plain RangeError";
    if (ONE_LINE.test(e.message)) return "not one line";
    if (!e.message.includes(JSON.stringify(text).slice(1, -1).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`))) return "does not name the text";
    return undefined;
  };
}

function workloadError(e: unknown): string | undefined {
  if (!(e instanceof InvalidArgumentError)) return "not an InvalidArgumentError";
  if (e.argument !== "workload") return `names ${e.argument}, not workload`;
  if (ONE_LINE.test(e.message)) return "not one line";
  return undefined;
}

function traceError(path: string, input: string) {
  return (e: unknown): string | undefined => {
    if (!(e instanceof InvalidArgumentError)) return "not an InvalidArgumentError";
    if (e.argument !== `trace ${path}`) return `names ${e.argument}, not the file`;
    if (ONE_LINE.test(e.message)) return "not one line";
    const m = /^line (\d+): /.exec(e.reason);
    if (m && (Number(m[1]) < 1 || Number(m[1]) > lineCount(input))) return `line ${m[1]} is outside the input's ${lineCount(input)} lines`;
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// Real inputs

const FIXTURES = join(import.meta.dirname, "fixtures");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const files = walk(FIXTURES).sort();

/** The distinct texts of the fixture files whose path matches. */
function texts(re: RegExp, limit = Infinity): string[] {
  const seen = new Set<string>();
  for (const f of files) if (re.test(f.slice(FIXTURES.length))) seen.add(readFileSync(f, "utf8"));
  return [...seen].filter((t) => t.length < MAX_INPUT).slice(0, limit);
}

const IOMEM = texts(/(\/iomem\.txt|\.iomem)$/);
const BOOTLOG = [...texts(/\.bootlog$/), ...texts(/\/dmesg\.txt$/, 12)];
const DTSI = texts(/\.dtsi$/);
const DTS = [
  ...texts(/\.dts$/),
  ...DTSI.map((d) => `/dts-v1/;\n\n/ {\n\t#address-cells = <0x02>;\n\t#size-cells = <0x02>;\n\n\tmemory@40000000 {\n\t\tdevice_type = "memory";\n\t\treg = <0x00 0x40000000 0x02 0x00>;\n\t};\n${d}};\n`),
];
const PTDUMP = texts(/\/ptdump(\.txt|\/.*\.txt)$/, 24);
const CONFIG = texts(/\/config-[^/]*$/);
const CMDLINE = [...texts(/\/cmdline\.txt$/), "rodata=on crashkernel=256M", "BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet kfence.sample_interval=100 cma=64M kpti=0 debug_pagealloc=on nokaslr -- init args"];
const SYMBOLS = [...texts(/\/kernel-syms\.txt$/), ...texts(/\/ptdump-syms\.txt$/, 2)];
const RELEASE = [
  ...texts(/\/uname\.txt$/),
  ...texts(/\/dmesg\.txt$/).flatMap((t) => t.split("\n").filter((l) => l.includes("Linux version")).map((l) => l.replace(/^\[[^\]]*\] /, ""))),
  "6.8.0-49-generic",
  "Linux version 6.8.0-49-generic (buildd@bos03-arm64-034) (aarch64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0) #49-Ubuntu SMP PREEMPT_DYNAMIC (Ubuntu 6.8.0-49.49-generic 6.8.12)",
  "6.11.4-301.fc41.aarch64",
  "v6.15-rc1",
  "6.1.99999999999999999999",
  "99999999999999999999.1",
];

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function toJson(map: MemoryMap): string {
  const r = (x: { base: bigint; size: bigint }) => ({ base: hex(x.base), size: hex(x.size) });
  const o: Record<string, unknown> = { memory: map.memory.map((b) => (b.nid === undefined ? r(b) : { ...r(b), node: b.nid })) };
  if (map.nomap.length > 0) o.nomap = map.nomap.map(r);
  if ((map.lateReserved ?? map.reserved).length > 0) o.reserved = (map.lateReserved ?? map.reserved).map(r);
  for (const k of ["kernel", "kernelData", "crashkernel", "crashkernelLow"] as const) if (map[k]) o[k] = r(map[k]);
  return JSON.stringify(o, null, 2);
}

const PARSED = IOMEM.map((t) => parseMemoryMap(t, { format: "iomem" }));
const JSON_MAPS = [
  ...new Set([
    ...PARSED.slice(0, 16).map(toJson),
    JSON.stringify({
      memory: [{ base: "0x40000000", size: "8G", node: 0 }],
      nomap: [{ base: "0x40000000", size: "2M" }],
      reserved: [{ base: "0x48000000", size: "0x100000" }],
      kernel: { base: "0x40210000", size: "0x1a00000" },
      kernelData: { base: "0x41c10000", size: "0x600000" },
      crashkernel: { base: "0x60000000", size: "256M" },
      crashkernelLow: { base: "0x50000000", size: "128M" },
    }, null, 2),
    '{"memory":[{"base":1073741824,"size":2147483648,"node":1},{"base":"16G","size":"1T"}]}',
  ]),
];
const SHORTHAND = [...new Set([...PARSED.map(renderShorthand), "12G@0x40000000", "2G@0x80000000,30G@0x880000000", "1073741824@1G"])];
const WORKLOAD = [`mix:${"9".repeat(400)}*uniform`, "mix:1e3*uniform", "uniform", "seq:64", "seq:4K:1G@0", "zipf:1.1", "zipf:0.99:512M@1G", "ws:1G@0", "mix:0.9*zipf:1.1+0.1*uniform", "mix:1*seq:2M+2*ws:64M@8M+0.5*uniform:1G"];
const TRACE = [
  "# a trace\n0xffff000000001000\nffff000000002000\n\n0XFFFF000000003000\n",
  Array.from({ length: 200 }, (_, i) => `0xffff0000${(i * 4096).toString(16).padStart(8, "0")}`).join("\n"),
];

// ---------------------------------------------------------------------------------------------
// Generators

/** Text that breaks numbers and fields: huge, negative, empty, not numbers at all. */
const BAD_TOKENS = [
  "0xffffffffffffffff", "ffffffffffffffff", "18446744073709551617", "0x10000000000000001", "10000000000000001",
  "-1", "-0x1", "-", "", "0", "0x", "0x0", "00000000-00000000", "9".repeat(400), "f".repeat(300), "1e308", "NaN",
  "Infinity", "-0", "1.5", "\0", "\r", "\r\n", "\t", " ", "\uFEFF", "\u2028", "é", "😀", "\ud800", "{", "}", "[", "]",
  "<", ">", ";", ":", "=", "\"", "\\", "/*", "//", "#", "@", ",", "+", "*", "(", ")", "&", "---[", "]---",
];
const badToken = fc.oneof(fc.constantFrom(...BAD_TOKENS), fc.string({ maxLength: 6 }), fc.bigInt({ min: 0n, max: (1n << 70n) }).map((v) => v.toString(16)));

type Mutation = { kind: string; a: number; b: number; tok: string };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom(
    "deleteLine", "dupLine", "swapLines", "flipChar", "insertToken", "replaceNumber", "replaceNumber", "replaceNumber",
    "deleteToken", "truncate", "crlf", "nul", "dupBlock", "deleteBlock", "joinLines", "indent",
  ),
  a: fc.nat(),
  b: fc.nat(),
  tok: badToken,
});

const NUMBER = /0x[0-9a-fA-F]+|[0-9a-fA-F]{4,}|\d+/g;

function mutate(text: string, m: Mutation): string {
  const lines = text.split("\n");
  const i = m.a % lines.length;
  const j = m.b % lines.length;
  switch (m.kind) {
    case "deleteLine":
      lines.splice(i, 1);
      return lines.join("\n");
    case "dupLine":
      lines.splice(i, 0, lines[i]);
      return lines.join("\n");
    case "swapLines":
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return lines.join("\n");
    case "dupBlock":
      lines.splice(j, 0, ...lines.slice(Math.min(i, j), Math.max(i, j) + 1));
      return lines.join("\n");
    case "deleteBlock":
      lines.splice(Math.min(i, j), Math.abs(i - j) + 1);
      return lines.join("\n");
    case "joinLines":
      if (i + 1 < lines.length) lines.splice(i, 2, lines[i] + m.tok + lines[i + 1]);
      return lines.join("\n");
    case "indent":
      lines[i] = " ".repeat(m.b % 7) + lines[i];
      return lines.join("\n");
    case "flipChar": {
      const p = m.a % (text.length + 1);
      const c = m.tok === "" ? String.fromCharCode(m.b % 128) : m.tok.slice(0, 1);
      return text.slice(0, p) + c + text.slice(p + 1);
    }
    case "insertToken": {
      const p = m.a % (text.length + 1);
      return text.slice(0, p) + m.tok + text.slice(p);
    }
    case "replaceNumber": {
      const all = [...text.matchAll(NUMBER)];
      if (all.length === 0) return text + m.tok;
      const n = all[m.a % all.length];
      return text.slice(0, n.index) + m.tok + text.slice(n.index + n[0].length);
    }
    case "deleteToken": {
      const all = [...text.matchAll(/\S+/g)];
      if (all.length === 0) return text;
      const n = all[m.a % all.length];
      return text.slice(0, n.index) + text.slice(n.index + n[0].length);
    }
    case "truncate":
      return text.slice(0, m.a % (text.length + 1));
    case "crlf":
      return text.replace(/\n/g, "\r\n");
    case "nul": {
      const p = m.a % (text.length + 1);
      return `${text.slice(0, p)}\0${text.slice(p)}`;
    }
    default:
      throw new Error(`no mutation ${m.kind}`);
  }
}

/** A real input, mutated 1 to 6 times. */
function mutated(inputs: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...inputs), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([t, ms]) => ms.reduce(mutate, t));
}

/** Random text of every kind: printable, any code unit, whole code points (lone surrogates too). */
const randomText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefx-: \n\t{}[]<>;=\"@,.GMK/#*&()"), maxLength: 300 }),
);

/** Lines of tokens drawn from `vocabulary` (and the bad tokens), joined by spaces, newlines between. */
function tokenLines(vocabulary: readonly string[], maxLines = 30): fc.Arbitrary<string> {
  const token = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...vocabulary) }, { weight: 1, arbitrary: badToken });
  const line = fc.tuple(fc.array(token, { maxLength: 8 }), fc.constantFrom(" ", "", "  ", "\t")).map(([ts, sep]) => ts.join(sep));
  return fc.tuple(fc.array(line, { maxLength: maxLines }), fc.constantFrom("\n", "\r\n")).map(([ls, nl]) => ls.join(nl));
}

/** Addresses that land near the interesting edges. */
const address = fc.oneof(
  fc.constantFrom(0n, 1n, 0x40000000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 48n) - 1n, 1n << 48n, (1n << 52n) - 1n, (1n << 64n) - 1n, 1n << 64n, (1n << 64n) + 1n),
  fc.bigInt({ min: 0n, max: 1n << 40n }).map((v) => v << 12n),
  fc.bigInt({ min: 0n, max: 1n << 66n }),
);
const hexDigits = (v: bigint, pad = 8) => v.toString(16).padStart(pad, "0");

/** /proc/iomem-like lines: indentation, START-END : NAME. */
const iomemLines = fc
  .array(
    fc.tuple(fc.nat(3), address, address, fc.constantFrom("System RAM", "reserved", "Kernel code", "Kernel data", "Crash kernel", "pcie@10000000", "PCI Bus 0000:00", "System RAM ", ""), fc.boolean()),
    { maxLength: 20 },
  )
  .map((ls) => ls.map(([lvl, s, e, name, swap]) => `${"  ".repeat(lvl)}${hexDigits(swap ? e : s)}-${hexDigits(swap ? s : e)} : ${name}`).join("\n"));

/** Boot-log node lines, in the kernel's and the bare form. */
const bootlogLines = fc
  .array(
    fc.oneof(
      fc.tuple(fc.nat(2000), address, address).map(([n, s, e]) => `[    0.000000]   node ${String(n).padStart(3)}: [mem ${hex(s)}-${hex(e)}]`),
      fc.tuple(fc.constantFrom("0", "1", "-1", "99999999999999999999", "1024"), address, address).map(([n, s, e]) => `node ${n}: ${hex(s)}-${hex(e)}`),
      fc.constantFrom("[    0.000000] Early memory node ranges", "Movable zone start for each node", "[    0.000000]   node   0: [mem ]", "node 0: 0x-0x", "node 0: [mem 0x1-0x2-0x3]"),
    ),
    { maxLength: 12 },
  )
  .map((ls) => ls.join("\n"));

const DTS_WORDS = [
  "/dts-v1/;", "/ {", "};", "{", "}", ";", "=", ",", "memory@40000000", "memory", "memory@0 {", "device_type = \"memory\";",
  "reg = <0x0 0x40000000 0x2 0x0>;", "reg = <0x40000000 0x80000000>;", "reg =", "<", ">", "<0xffffffff 0xffffffff>",
  "<0x100000000>", "#address-cells = <2>;", "#size-cells = <2>;", "#address-cells = <1>;", "#size-cells = <0>;",
  "#address-cells = <3>;", "reserved-memory {", "ranges;", "no-map;", "size = <0x1000>;", "status = \"disabled\";",
  "status = \"okay\";", "linux,usable-memory = <0x0 0x40000000 0x0 0x1000000>;", "hotpluggable;",
  "/memreserve/ 0x40000000 0x1000;", "/memreserve/", "\"str", "\"a\\\"b\"", "[00 11 22]", "[zz]", "/*", "*/", "//", "lbl:", "&lbl",
  "&{/path}", "/include/ \"x.dtsi\"", "#include <x.h>", "(1 + 2)", "/delete-node/ x;", "/bits/ 64 <1>", "/plugin/;", "/unknown/",
];

/** DTS built from nested nodes, so that the tree reader goes deep and the memory reader gets cells. */
const dtsTree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...DTS_WORDS.filter((w) => w.endsWith(";"))),
    fc.tuple(fc.constantFrom("memory@40000000", "reserved-memory", "hole@0", "chosen", "x"), fc.array(tie("node"), { maxLength: 4 })).map(
      ([name, body]) => `${name} {\n${body.join("\n")}\n};`,
    ),
  ),
})).node.map((n) => `/dts-v1/;\n/ {\n#address-cells = <2>;\n#size-cells = <2>;\n${n}\n};\n`);

const amount = fc.oneof(
  fc.constantFrom("0x40000000", "8G", "512M", "1T", "0", "-1", "0x", "", "1Q", "16E", "17E", "0xffffffffffffffff", "18446744073709551617", "1 G", "1KiB"),
  fc.bigInt({ min: 0n, max: 1n << 66n }).map((v) => hex(v)),
  fc.oneof(fc.integer(), fc.double(), fc.constantFrom(2 ** 53, 2 ** 53 - 1, -0, 1e308)),
  fc.constantFrom(null, true, [], {}),
);
const jsonRange = fc.record({ base: amount, size: amount }, { requiredKeys: [] });
const jsonMap = fc
  .record(
    {
      memory: fc.array(fc.record({ base: amount, size: amount, node: fc.oneof(fc.nat(1100), fc.constant(-1), fc.constant(1.5)) }, { requiredKeys: ["base", "size"] }), { maxLength: 4 }),
      nomap: fc.array(jsonRange, { maxLength: 3 }),
      reserved: fc.array(jsonRange, { maxLength: 3 }),
      kernel: jsonRange,
      crashkernel: jsonRange,
      bogus: fc.jsonValue(),
    },
    { requiredKeys: [] },
  )
  .chain((o) => fc.constantFrom(JSON.stringify(o), JSON.stringify(o, null, 2), JSON.stringify(o, null, "\t").replace(/\n/g, "\r\n")))
  .chain((t) => fc.constantFrom(t, t.replace('"bogus"', '"__proto__"'), t.replace('"memory"', '"__proto__"')));

/** JSON nested deeply: a reader that recurses without bound overflows the stack. */
const deepJson = fc.tuple(fc.integer({ min: 1, max: 30000 }), fc.constantFrom("[", '{"a":', '{"memory":[')).map(([n, open]) => `{"memory":${open.repeat(n)}`);
const deepDts = fc.tuple(fc.integer({ min: 1, max: 20000 }), fc.constantFrom("a{", "memory@0 {\n", "x: y {")).map(([n, open]) => `/dts-v1/;\n/ {${open.repeat(n)}`);

/** Inputs that make a backtracking regular expression slow: long runs of what one part of it takes. */
const slowRuns = fc
  .tuple(
    fc.constantFrom(" ", "\n", " \n", "\t", "-0x", "0x", "node ", "#1 ", "(Ubuntu 1.1.1-1-", "a", "0", "/", "/\n", "\r", "-", "=", "\"", "memory@", "mix:1*"),
    fc.integer({ min: 1000, max: MAX_INPUT - 100 }),
    fc.constantFrom("", "x", "\n", "0x", ":", "a b", "/"),
    fc.constantFrom("", "x\n", "40000000-7fffffff : System RAM\n", "node 0: ", "0x0000000000000000-0x"),
  )
  .map(([run, chars, end, start]) => start + run.repeat(Math.ceil(chars / run.length)).slice(0, chars) + end);

const ptdumpLines = fc
  .array(
    fc.oneof(
      fc.tuple(address, address, fc.nat(12), fc.constantFrom("K", "M", "G", "T", "P", "E", "X", ""), fc.constantFrom("PTE", "PMD", "PUD", "PGD", "pte", ""), fc.constantFrom("", " RW NX SHD AF", " ro x  SHD AF BLK UXN MEM/NORMAL", " F", " DEVICE/nGnRE"), fc.nat(10)).map(
        ([s, e, v, unit, level, attrs, pad]) => `0x${hexDigits(s, 16)}-0x${hexDigits(e, 16)}   ${" ".repeat(pad)}${v}${unit} ${level}${attrs}`,
      ),
      fc.constantFrom("---[ Linear Mapping start ]---", "---[ Linear Mapping end ]---", "---[ ]---", "---[  ]---", "---[ x", ""),
    ),
    { maxLength: 20 },
  )
  .map((ls) => ls.join("\n"));

const CMDLINE_WORDS = [
  "rodata=on", "rodata=off", "rodata=full", "rodata=noalias", "rodata=", "rodata", "crashkernel=256M", "crashkernel=", "crashkernel=1G-:256M,high",
  "debug_pagealloc=on", "debug_pagealloc", "kpti=0", "kpti=maybe", "cma=64M", "cma=64M@0x40000000", "cma=", "nokaslr", "kfence.sample_interval=100",
  "kfence.sample_interval=-1", "kfence.sample_interval=99999999999999999999999", "kfence.bogus=1", "console=ttyAMA0", "root=/dev/vda1", "quiet", "--",
  "\"", "\"a b\"", "foo.bar=1", "bogus", "=", "==", "rd.break", "systemd.unit=x",
];
const cmdlineText = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom(...CMDLINE_WORDS), badToken), { maxLength: 12 }).map((ws) => ws.join(" ")),
  fc.array(fc.oneof(fc.constantFrom(...CMDLINE_WORDS), badToken), { maxLength: 12 }).map((ws) => ws.join("")),
);

const CONFIG_WORDS = [
  "CONFIG_KFENCE=y", "CONFIG_KFENCE=n", "CONFIG_KFENCE=", "CONFIG_KFENCE=yes", "# CONFIG_KFENCE is not set", "CONFIG_KFENCE_SAMPLE_INTERVAL=100",
  "CONFIG_KFENCE_SAMPLE_INTERVAL=-1", "CONFIG_ARM64_VA_BITS=52", "CONFIG_ARM64_PA_BITS=99999999999999999999999", "CONFIG_ARM64_16K_PAGES=y",
  "CONFIG_ARM64_64K_PAGES=y", "CONFIG_CMA_SIZE_MBYTES=64", "CONFIG_X=\"str\"", "CONFIG_", "CONFIG_=y", "#", "# comment", "=", "CONFIG_RODATA_FULL_DEFAULT_ENABLED=m",
];

const SYMBOL_WORDS = [
  "ffff800080000000 T _text", "ffff800080010000 T _stext", "ffff800082700000 T __init_begin", "ffff800082800000 D __init_end",
  "ffff800082900000 B __bss_stop", "ffff800082a00000 B _end", "0000000000000000 T _text", "ffff800080000000 t foo [mod]",
  "ffff800080000000 T", "ffff80008000000 T _text", "ffffffffffffffffff T _end", "zzzz800080000000 T _text",
];

const SIZE_WORDS = ["0x", "0X", "1", "16", "4K", "2M", "16G", "1T", "8P", "1E", "16E", "KiB", "MB", "B", "iB", "k", "g", " ", "-", "+", ".", "e"];

const RELEASE_WORDS = [
  "6", "1", "192", ".", "-", "+", "~", "_", "v", "rc1", "-rc", "deb13", "arm64", "generic", "fc41", "aarch64", "0", "5.10", "6.1.0-56-arm64",
  "Linux version", " ", "#1 SMP", "Debian", "6.1.192-2", "(Ubuntu", "6.8.0-49.49-generic", "6.8.12)", "(", ")", "99999999999999999999",
];

const WORKLOAD_WORDS = ["uniform", "seq", "zipf", "ws", "mix", "trace", ":", "*", "+", "@", "1.1", "0", "-1", "64", "4K", "1G", "0x1000", "1e9", "NaN", "Infinity", ".", "9".repeat(400), "0.5"];

// ---------------------------------------------------------------------------------------------
// The properties

/** How many runs each property makes; a few properties per parser give thousands of inputs each. */
const RUNS = { random: 1000, tokens: 1500, mutated: 3000, slow: 40, deep: 30, crlf: 500 };
/** A trace is a file written and read back (with 1 MiB buffers): fewer of them. */
const TRACE_RUNS = { random: 500, tokens: 800, mutated: 1200 };

function prop(arb: fc.Arbitrary<string>, numRuns: number, f: (text: string) => void): void {
  fc.assert(
    fc.property(arb, (t) => {
      f(t);
    }),
    { numRuns },
  );
}

const SOURCE = "fuzz.input";

/** What a parsed map promises: banks of nonzero size below 2^paBits, node numbers 0 to 1023. */
function sane(map: MemoryMap): void {
  const limit = 1n << BigInt(map.paBits);
  const ranges = [...map.memory, ...map.nomap, ...map.reserved, ...(map.lateReserved ?? [])];
  for (const k of ["kernel", "kernelData", "crashkernel", "crashkernelLow"] as const) if (map[k]) ranges.push(map[k]);
  if (map.memory.length === 0) throw new Error("a map without memory");
  for (const r of ranges) if (r.size <= 0n || r.base < 0n || r.base + r.size > limit) throw new Error(`a range ${hex(r.base)}+${hex(r.size)} outside [0, 2^${map.paBits})`);
  for (const b of map.memory) if (b.nid !== undefined && !(Number.isInteger(b.nid) && b.nid >= 0 && b.nid <= 1023)) throw new Error(`node ${b.nid}`);
}

/** Parses as `format` and detects the format too; paBits from the input's length (32 to 52). */
function memmap(format: MemoryMapFormat, text: string): void {
  const paBits = 32 + (text.length % 21);
  check(`memmap ${format}`, text, () => sane(parseMemoryMap(text, { source: SOURCE, format, paBits })), memoryMapError(SOURCE, text));
  check("memmap detected", text, () => sane(parseMemoryMap(text, { source: SOURCE })), memoryMapError(SOURCE, text));
}

describe("fuzz: memory maps (parseMemoryMap)", () => {
  const cases: [MemoryMapFormat, readonly string[], fc.Arbitrary<string>][] = [
    ["iomem", IOMEM, iomemLines],
    ["bootlog", BOOTLOG, bootlogLines],
    ["dts", DTS, fc.oneof(tokenLines(DTS_WORDS), dtsTree)],
    ["json", JSON_MAPS, jsonMap],
    ["shorthand", SHORTHAND, fc.array(fc.tuple(amount.map(String), amount.map(String)).map(([s, b]) => `${s}@${b}`), { maxLength: 5 }).map((bs) => bs.join(","))],
  ];
  it.each(cases)("%s: random text, token lines, mutated real inputs", (format, real, plausible) => {
    expect(real.length).toBeGreaterThan(0);
    for (const t of real) memmap(format, t); // the real inputs themselves
    prop(randomText, RUNS.random, (t) => memmap(format, t));
    prop(plausible, RUNS.tokens, (t) => memmap(format, t));
    prop(mutated(real), RUNS.mutated, (t) => memmap(format, t));
  });
  it("deep nesting and long runs", () => {
    prop(deepJson, RUNS.deep, (t) => memmap("json", t));
    prop(deepDts, RUNS.deep, (t) => memmap("dts", t));
    for (const format of ["iomem", "bootlog", "dts", "json", "shorthand"] as const) prop(slowRuns, RUNS.slow, (t) => memmap(format, t));
  });
});

/** The outcome of a parse, to compare two inputs by: the value, or the line of the error. */
function outcome(parse: () => unknown): { value: unknown } | { line: number | undefined } {
  try {
    return { value: parse() };
  } catch (e) {
    return { line: (e as { line?: number }).line };
  }
}

describe("fuzz: CRLF line ends read as LF", () => {
  const crlf = (t: string) => t.replace(/\n/g, "\r\n");
  const parsers: [string, readonly string[], (t: string) => unknown][] = [
    ["memmap iomem", IOMEM, (t) => parseMemoryMap(t, { source: SOURCE })],
    ["memmap bootlog", BOOTLOG, (t) => parseMemoryMap(t, { source: SOURCE })],
    ["memmap dts", DTS, (t) => parseMemoryMap(t, { source: SOURCE })],
    ["memmap json", JSON_MAPS, (t) => parseMemoryMap(t, { source: SOURCE })],
    ["ptdump", PTDUMP, (t) => parsePtdump(t, SOURCE)],
    ["config", CONFIG, (t) => parseConfig(t, SOURCE)],
    ["kernel symbols", SYMBOLS, (t) => parseKernelSymbols(t, SOURCE)],
  ];
  it.each(parsers)("%s: the same value or the same error line, real and mutated inputs", (parser, real, parse) => {
    for (const t of real) expect(outcome(() => parse(crlf(t))), parser).toEqual(outcome(() => parse(t)));
    prop(mutated(real).filter((t) => !t.includes("\r")), RUNS.crlf, (t) => {
      const want = outcome(() => parse(t));
      const got = outcome(() => parse(crlf(t)));
      count(`${parser} (CRLF)`, !("value" in want));
      if ("value" in want !== "value" in got || ("line" in want && "line" in got && want.line !== got.line)) {
        throw new Error(`${parser}: with CRLF ${JSON.stringify(got, (_, v) => (typeof v === "bigint" ? `${v}n` : v)).slice(0, 200)}, with LF ${JSON.stringify(want, (_, v) => (typeof v === "bigint" ? `${v}n` : v)).slice(0, 200)}\ninput: ${show(t)}`);
      }
    });
  });
});

describe("fuzz: ptdump, kernel inputs, sizes, workloads, traces", () => {
  it("parsePtdump", () => {
    const f = (t: string) => check("ptdump", t, () => parsePtdump(t, SOURCE), ptdumpError(SOURCE, t));
    for (const t of PTDUMP) f(t);
    prop(randomText, RUNS.random, f);
    prop(ptdumpLines, RUNS.tokens, f);
    prop(mutated(PTDUMP), RUNS.mutated, f);
    prop(slowRuns, RUNS.slow, f);
  });

  it("parseCmdline", () => {
    const f = (t: string) => check("cmdline", t, () => parseCmdline(t), cmdlineError);
    for (const t of CMDLINE) f(t);
    prop(randomText, RUNS.random, f);
    prop(cmdlineText, RUNS.tokens * 2, f);
    prop(mutated(CMDLINE), RUNS.mutated, f);
    prop(slowRuns, RUNS.slow, f);
  });

  it("parseConfig", () => {
    const f = (t: string) => check("config", t, () => parseConfig(t, SOURCE), configError(SOURCE, t));
    for (const t of CONFIG) f(t);
    prop(randomText, RUNS.random, f);
    prop(tokenLines(CONFIG_WORDS), RUNS.tokens, f);
    prop(mutated(CONFIG), RUNS.mutated, f);
    prop(slowRuns, RUNS.slow, f);
  });

  it("parseKernelSymbols", () => {
    const f = (t: string) => check("kernel symbols", t, () => parseKernelSymbols(t, SOURCE), memoryMapError(SOURCE, t));
    for (const t of SYMBOLS) f(t);
    prop(randomText, RUNS.random, f);
    prop(tokenLines(SYMBOL_WORDS, 10), RUNS.tokens, f);
    prop(mutated(SYMBOLS), RUNS.mutated, f);
    prop(slowRuns, RUNS.slow, f);
  });

  it("parseSize", () => {
    const f = (t: string) =>
      check("size", t, () => {
        const v = parseSize(t);
        if (typeof v !== "bigint" || v < 0n) throw new Error(`parseSize(${show(t)}) gave ${String(v)}`);
      }, sizeError(t));
    const words = fc.array(fc.oneof(fc.constantFrom(...SIZE_WORDS), fc.nat().map(String)), { maxLength: 5 }).map((ws) => ws.join(""));
    prop(randomText, RUNS.random, f);
    prop(words, RUNS.tokens * 2, f);
    prop(mutated(["16G", "0x40000000", "1073741824", "512MiB", "4k"]), RUNS.mutated, f);
    prop(slowRuns, RUNS.slow, f);
  });

  it("parseRelease, readRelease, parseKernelVersionText", () => {
    const f = (t: string) => {
      const sane = (r: { major: number; minor: number; patch: number | undefined }) => {
        if (![r.major, r.minor, r.patch ?? 0].every(Number.isSafeInteger)) throw new Error(`not integers: ${r.major}.${r.minor}.${r.patch}`);
      };
      check("release", t, () => sane(parseRelease(t)), releaseError);
      check("release", t, () => sane(readRelease(t)), releaseError);
      check("kernel version text", t, () => sane(parseKernelVersionText(t)), releaseError);
    };
    for (const t of RELEASE) f(t);
    const words = fc.array(fc.constantFrom(...RELEASE_WORDS), { maxLength: 10 }).map((ws) => ws.join(""));
    prop(randomText, RUNS.random, f);
    prop(words, RUNS.tokens, f);
    prop(mutated(RELEASE), RUNS.mutated, f);
    prop(slowRuns, RUNS.slow, f);
  });

  it("parseWorkload", () => {
    const f = (t: string) =>
      check("workload", t, () => {
        const w = parseWorkload(t);
        for (const p of w.parts) {
          const c = p.component;
          const ok = Number.isFinite(p.weight) && p.weight > 0 && (c.kind !== "zipf" || (Number.isFinite(c.s) && c.s > 0)) && (c.kind !== "seq" || c.stride > 0n) && (!c.region || c.region.length > 0n);
          if (!ok) throw new Error(`parseWorkload(${show(t)}) accepted ${JSON.stringify(p, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`);
        }
      }, workloadError);
    for (const t of WORKLOAD) f(t);
    const words = fc.array(fc.constantFrom(...WORKLOAD_WORDS), { maxLength: 12 }).map((ws) => ws.join(""));
    prop(randomText, RUNS.random, f);
    prop(words, RUNS.tokens * 2, f);
    prop(mutated(WORKLOAD), RUNS.mutated, f);
    prop(slowRuns, RUNS.slow, f);
  });

  it("streamTrace (text and raw) and detectTraceFormat", () => {
    const dir = mkdtempSync(join(tmpdir(), "fuzz-trace-"));
    try {
      let n = 0;
      const f = (t: string) => {
        const path = join(dir, `t${n++ % 4}.txt`);
        writeFileSync(path, t, "latin1");
        check("trace text", t, () => {
          let got = 0;
          const delivered = streamTrace(path, detectTraceFormat(path) === "raw" ? "raw" : "text", 1 + (t.length % 300), { values: (v) => void (got += v.length) });
          if (delivered !== got) throw new Error(`delivered ${delivered}, sink got ${got}`);
        }, traceError(path, t));
        check("trace raw", t, () => streamTrace(path, "raw", 1000, { values: () => {} }), traceError(path, t));
      };
      const hexLines = fc.array(fc.oneof(address.map((v) => hex(v)), address.map((v) => v.toString(16)), fc.constantFrom("#", "# x", "", "0x", "0X1", "ffffffffffffffff", "1ffffffffffffffff", " 0x10 ", "0x10 0x20")), { maxLength: 40 }).map((ls) => ls.join("\n"));
      prop(randomText, TRACE_RUNS.random, f);
      prop(hexLines, TRACE_RUNS.tokens, f);
      prop(mutated(TRACE), TRACE_RUNS.mutated, f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

afterAll(() => {
  const rows = [...tried].sort(([a], [b]) => a.localeCompare(b)).map(([parser, n]) => ({ parser, inputs: n, rejected: rejected.get(parser) ?? 0, accepted: n - (rejected.get(parser) ?? 0) }));
  const total = rows.reduce((a, r) => a + r.inputs, 0);
  const w = Math.max(...rows.map((r) => r.parser.length), 6);
  const lines = [
    `${"parser".padEnd(w)}  ${"inputs".padStart(7)}  ${"rejected".padStart(8)}  ${"accepted".padStart(8)}`,
    ...rows.map((r) => `${r.parser.padEnd(w)}  ${String(r.inputs).padStart(7)}  ${String(r.rejected).padStart(8)}  ${String(r.accepted).padStart(8)}`),
    `${"total".padEnd(w)}  ${String(total).padStart(7)}`,
  ];
  console.log(`fuzz: inputs tried per parser\n${lines.join("\n")}`);
});
