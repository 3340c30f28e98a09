/**
 * A small device-tree source reader: enough of the dtc syntax for memory descriptions. It reads
 * `/dts-v1/;`, `/memreserve/ ADDR SIZE;`, root nodes `/ { … };` (several are merged, as dtc does),
 * child nodes with labels (`foo: memory@0 { … };`), properties with `<cells>` (decimal, hex, `&label`),
 * `"strings"`, `[bytes]` and empty properties, and `//` and block comments. It refuses, with a
 * clear error, what it does not model: `/include/`, `#include`, `/delete-node/`,
 * `/delete-property/`, `/bits/`, cell expressions, `&label { … }` overrides and `/plugin/`.
 */

/** One property value component. */
export type DtValue =
  | { readonly kind: "cells"; readonly cells: readonly bigint[] }
  | { readonly kind: "string"; readonly text: string }
  | { readonly kind: "bytes" };

/** A property: its values in order and the line of its name. */
export interface DtProperty {
  readonly values: readonly DtValue[];
  readonly line: number;
}

/** A node: name with unit address, properties, children in source order, line of the name. */
export interface DtNode {
  readonly name: string;
  readonly line: number;
  readonly props: Map<string, DtProperty>;
  readonly children: DtNode[];
}

/** The parsed source: the merged root and the `/memreserve/` entries. */
export interface DtSource {
  readonly root: DtNode;
  readonly memreserve: readonly { readonly base: bigint; readonly size: bigint; readonly line: number }[];
}

/** A syntax error at a line; the caller adds the source name. */
export class DtsSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const NAME = /[A-Za-z0-9,._+*#?@-]/;

/**
 * How deep nodes may nest below the root. Real trees go a few levels deep; the bound keeps the
 * recursive reader off the stack limit (a RangeError from deep inside) on input such as `a{a{a{…`.
 */
export const MAX_DTS_DEPTH = 64;
const UNSUPPORTED: Record<string, string> = {
  "/include/": "/include/ is not supported: pass the preprocessed source (dtc -E or cpp) as one file",
  "/delete-node/": "/delete-node/ is not supported",
  "/delete-property/": "/delete-property/ is not supported",
  "/bits/": "/bits/ is not supported",
  "/plugin/": "overlays (/plugin/) are not supported",
  "/omit-if-no-ref/": "/omit-if-no-ref/ is not supported",
};

class Reader {
  pos = 0;
  line = 1;
  constructor(readonly text: string) {}

  error(reason: string): never {
    throw new DtsSyntaxError(this.line, reason);
  }

  /** Skips whitespace and comments. */
  skip(): void {
    const t = this.text;
    for (;;) {
      const c = t[this.pos];
      if (c === "\n") this.line++;
      if (c === " " || c === "\t" || c === "\r" || c === "\n") {
        this.pos++;
      } else if (c === "/" && t[this.pos + 1] === "/") {
        while (this.pos < t.length && t[this.pos] !== "\n") this.pos++;
      } else if (c === "/" && t[this.pos + 1] === "*") {
        const end = t.indexOf("*/", this.pos + 2);
        if (end < 0) this.error("unterminated comment");
        for (let i = this.pos; i < end; i++) if (t[i] === "\n") this.line++;
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  peek(): string {
    this.skip();
    return this.text[this.pos] ?? "";
  }

  expect(c: string, what: string): void {
    const got = this.peek();
    if (got !== c) this.error(`expected "${c}" ${what}, found ${got === "" ? "end of input" : `"${got}"`}`);
    this.pos++;
  }

  /** A name (node, property or label), or "" if none is here. */
  name(): string {
    this.skip();
    const start = this.pos;
    while (this.pos < this.text.length && NAME.test(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A `/keyword/` at the cursor, or "" (a lone `/` is the root node). */
  keyword(): string {
    this.skip();
    const m = /^\/[a-z0-9-]+\//.exec(this.text.slice(this.pos, this.pos + 24));
    return m ? m[0] : "";
  }

  number(): bigint {
    this.skip();
    const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*/.exec(this.text.slice(this.pos, this.pos + 40));
    if (!m) this.error(`expected a number, found "${this.text.slice(this.pos, this.pos + 12).split("\n")[0]}"`);
    this.pos += m[0].length;
    return BigInt(m[1]);
  }
}

function refuseKeyword(r: Reader, kw: string): void {
  if (kw === "") return;
  const why = UNSUPPORTED[kw];
  r.error(why ?? `${kw} is not supported`);
}

function cells(r: Reader): DtValue {
  r.pos++; // <
  const out: bigint[] = [];
  for (;;) {
    const c = r.peek();
    if (c === ">") {
      r.pos++;
      return { kind: "cells", cells: out };
    }
    if (c === "&") {
      r.pos++;
      if (r.peek() === "{") r.error("path references &{...} are not supported");
      if (r.name() === "") r.error("expected a label after &");
      out.push(0n); // a phandle: its value does not matter here
    } else if (c === "(") {
      r.error("cell expressions (...) are not supported: write the value");
    } else if (c === "") {
      r.error('unterminated "<"');
    } else {
      const line = r.line;
      const v = r.number();
      if (v > 0xffffffffn) throw new DtsSyntaxError(line, `cell 0x${v.toString(16)} does not fit in 32 bits`);
      out.push(v);
    }
  }
}

function string(r: Reader): DtValue {
  const t = r.text;
  let i = r.pos + 1;
  let s = "";
  while (i < t.length && t[i] !== '"') {
    if (t[i] === "\n") r.error("unterminated string");
    if (t[i] === "\\") i++;
    s += t[i++];
  }
  if (i >= t.length) r.error("unterminated string");
  r.pos = i + 1;
  return { kind: "string", text: s };
}

function bytes(r: Reader): DtValue {
  const end = r.text.indexOf("]", r.pos);
  if (end < 0) r.error('unterminated "["');
  const body = r.text.slice(r.pos + 1, end);
  if (!/^[\s0-9a-fA-F]*$/.test(body)) r.error("bad byte string [...]");
  for (const c of body) if (c === "\n") r.line++;
  r.pos = end + 1;
  return { kind: "bytes" };
}

function value(r: Reader): DtValue {
  const c = r.peek();
  if (c === "<") return cells(r);
  if (c === '"') return string(r);
  if (c === "[") return bytes(r);
  if (c === "/") refuseKeyword(r, r.keyword() || "/");
  if (c === "&") r.error("label references as values are not supported");
  return r.error(`expected a value (<cells>, "string" or [bytes]), found ${c === "" ? "end of input" : `"${c}"`}`);
}

function newNode(name: string, line: number): DtNode {
  return { name, line, props: new Map(), children: [] };
}

/** Merges `src` into `dst` as dtc merges nodes of the same path: later properties win. */
function merge(dst: DtNode, src: DtNode): void {
  for (const [k, v] of src.props) dst.props.set(k, v);
  for (const c of src.children) {
    const same = dst.children.find((x) => x.name === c.name);
    if (same) merge(same, c);
    else dst.children.push(c);
  }
}

/** Reads `{ … }` after a node name; the cursor is on `{`. `depth` is the node's (the root's is 0). */
function body(r: Reader, node: DtNode, depth: number): void {
  if (depth > MAX_DTS_DEPTH) r.error(`node ${node.name} is nested more than ${MAX_DTS_DEPTH} deep`);
  r.expect("{", `to open node ${node.name}`);
  for (;;) {
    const c = r.peek();
    if (c === "}") {
      r.pos++;
      r.expect(";", `after the "}" of node ${node.name}`);
      return;
    }
    if (c === "") r.error(`node ${node.name} (line ${node.line}) is not closed`);
    if (c === "/") refuseKeyword(r, r.keyword() || "/");
    if (c === "#" && /^#(include|define|if)/.test(r.text.slice(r.pos, r.pos + 8))) r.error("#include and other preprocessor lines are not supported: pass the preprocessed source");
    const line = r.line;
    let name = r.name();
    if (name === "") r.error(`expected a property or a node, found "${c}"`);
    while (r.peek() === ":") {
      r.pos++; // a label: the name after it is the real one
      name = r.name();
      if (name === "") r.error("expected a node name after the label");
    }
    const next = r.peek();
    if (next === "{") {
      const child = newNode(name, line);
      body(r, child, depth + 1);
      const same = node.children.find((x) => x.name === name);
      if (same) merge(same, child);
      else node.children.push(child);
    } else if (next === ";") {
      r.pos++;
      node.props.set(name, { values: [], line });
    } else if (next === "=") {
      r.pos++;
      const values = [value(r)];
      while (r.peek() === ",") {
        r.pos++;
        values.push(value(r));
      }
      r.expect(";", `after the value of ${name}`);
      node.props.set(name, { values, line });
    } else {
      r.error(`expected "{", "=" or ";" after ${name}, found ${next === "" ? "end of input" : `"${next}"`}`);
    }
  }
}

/** Parses device-tree source text; throws DtsSyntaxError with a line and a reason. */
export function parseDtsTree(text: string): DtSource {
  const r = new Reader(text);
  const root = newNode("/", 1);
  const memreserve: { base: bigint; size: bigint; line: number }[] = [];
  let roots = 0;
  for (;;) {
    const c = r.peek();
    if (c === "") break;
    const line = r.line;
    if (c === "#") r.error("#include and other preprocessor lines are not supported: pass the preprocessed source");
    if (c === "&") r.error("&label { ... } node references are not supported: edit the node itself");
    if (c !== "/") r.error(`expected /dts-v1/, /memreserve/ or a root node "/ {", found "${c}"`);
    const kw = r.keyword();
    if (kw === "/dts-v1/") {
      r.pos += kw.length;
      r.expect(";", "after /dts-v1/");
    } else if (kw === "/memreserve/") {
      r.pos += kw.length;
      const base = r.number();
      const size = r.number();
      r.expect(";", "after /memreserve/");
      memreserve.push({ base, size, line });
    } else if (kw !== "") {
      refuseKeyword(r, kw);
    } else {
      r.pos++; // the root "/"
      const n = newNode("/", line);
      body(r, n, 0);
      merge(root, n);
      if (roots++ === 0) (root as { line: number }).line = line;
    }
  }
  if (roots === 0) throw new DtsSyntaxError(0, 'no root node "/ { ... };"');
  return { root, memreserve };
}
