/** Output and input files as a user names them: links, FIFOs, devices, bad folders, endless inputs. */
import { execFileSync, spawn } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli as run } from "./run-cli.js";

const SUMMARY = ["summary", "--memmap", "4G@0x40000000", "--cmdline", "rodata=on"];


describe("output files", () => {
  const expected = run(...SUMMARY).out;

  it("-o through a symbolic link writes its target and keeps the link", () => {
    const dir = mkdtempSync(join(tmpdir(), "out-link-"));
    writeFileSync(join(dir, "target.txt"), "old\n");
    symlinkSync(join(dir, "target.txt"), join(dir, "link.txt"));
    expect(run(...SUMMARY, "-o", join(dir, "link.txt")).code).toBe(0);
    expect(lstatSync(join(dir, "link.txt")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, "link.txt"))).toBe(join(dir, "target.txt"));
    expect(readFileSync(join(dir, "target.txt"), "utf8")).toBe(expected);
    expect(readdirSync(dir).sort()).toEqual(["link.txt", "target.txt"]);
  });

  it("-o to a FIFO writes into it, and it stays a FIFO", async () => {
    const dir = mkdtempSync(join(tmpdir(), "out-fifo-"));
    const fifo = join(dir, "pipe");
    execFileSync("mkfifo", [fifo]);
    const reader = spawn("cat", [fifo]);
    let got = "";
    reader.stdout.on("data", (b: Buffer) => (got += b.toString()));
    const done = new Promise((r) => reader.on("close", r));
    expect(run(...SUMMARY, "-o", fifo).code).toBe(0);
    await done;
    expect(got).toBe(expected);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it("-o /dev/null leaves the device a device", () => {
    expect(run(...SUMMARY, "-o", "/dev/null").code).toBe(0);
    expect(lstatSync("/dev/null").isCharacterDevice()).toBe(true);
  });

  it("-o into a missing folder: one line naming the user's path, exit 2, nothing left behind", () => {
    const dir = mkdtempSync(join(tmpdir(), "out-missing-"));
    const r = run(...SUMMARY, "-o", join(dir, "no", "such", "x.txt"));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`arm64-pgtable: -o ${join(dir, "no", "such", "x.txt")}: no such folder\n`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("sweep --out where no folder can be made fails at once", () => {
    const t0 = Date.now();
    const r = run("sweep", "--sizes", "1G", "--layouts", "one-bank", "--policies", "blocks", "--out", "/proc/no-such-report");
    expect(r.code).toBe(2);
    expect(r.err).toBe("arm64-pgtable: --out /proc/no-such-report: no such folder\n");
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});

describe("input files", () => {
  it("an endless input (/dev/zero) is refused at 64 MiB, not read for ever", () => {
    const r = run("summary", "--memmap", "/dev/zero");
    expect(r.code).toBe(2);
    expect(r.err).toBe("arm64-pgtable: --memmap /dev/zero: larger than 64 MiB: not an input this tool reads whole\n");
  });

  it("a folder given as a memory map is refused by name", () => {
    const r = run("summary", "--memmap", tmpdir());
    expect(r.code).toBe(2);
    expect(r.err).toBe(`arm64-pgtable: --memmap ${tmpdir()}: is a directory\n`);
  });
});

describe("--version", () => {
  it("prints package.json's version", () => {
    const r = run("--version");
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });
});

describe("writeOutput and makeDirs (src/output-file.ts)", () => {
  it("follow a dangling chain of links to the file to create, refuse a loop, keep names short, refuse a dangling folder", async () => {
    const { makeDirs, writeOutput } = await import("../src/output-file.js");
    const dir = mkdtempSync(join(tmpdir(), "out-chain-"));
    symlinkSync("b", join(dir, "a"));
    symlinkSync("c", join(dir, "b"));
    writeOutput(join(dir, "a"), "hello\n");
    expect(lstatSync(join(dir, "b")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, "c"), "utf8")).toBe("hello\n");
    symlinkSync("loop", join(dir, "loop"));
    expect(() => writeOutput(join(dir, "loop"), "x")).toThrow(/loop: too many levels of symbolic links/);
    const long = join(dir, "f".repeat(250));
    writeFileSync(long, "old");
    writeOutput(long, "new");
    expect(readFileSync(long, "utf8")).toBe("new");
    symlinkSync("nowhere", join(dir, "dl"));
    expect(() => makeDirs(join(dir, "dl"))).toThrow(/dl: exists and is not a folder/);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
