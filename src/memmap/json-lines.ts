/**
 * A strict JSON reader (RFC 8259) that remembers the line of every value, so that schema errors can
 * name a line. Paths are written `memory[1].size`.
 */

/** The parsed value and the 1-based line where the value at each path starts. */
export interface LocatedJson {
  readonly value: unknown;
  readonly lines: ReadonlyMap<string, number>;
}

/** A JSON syntax error at a line. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The path text of a key list: `memory[1].size`. */
export function jsonPath(keys: readonly PropertyKey[]): string {
  let s = "";
  for (const k of keys) s += typeof k === "number" ? `[${k}]` : s === "" ? String(k) : `.${String(k)}`;
  return s;
}

/**
 * How deep arrays and objects may nest. A memory map needs 3 levels; the bound keeps a recursive
 * reader off the stack limit (a RangeError from deep inside) on input such as 30,000 `[`.
 */
export const MAX_JSON_DEPTH = 64;

const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** Parses JSON text, recording the line of each value. */
export function parseJsonWithLines(text: string): LocatedJson {
  let pos = 0;
  let line = 1;
  const lines = new Map<string, number>();
  const error = (reason: string): never => {
    throw new JsonSyntaxError(line, `JSON: ${reason}`);
  };
  const ws = () => {
    while (pos < text.length && " \t\r\n".includes(text[pos])) if (text[pos++] === "\n") line++;
  };
  const found = () => (pos >= text.length ? "end of input" : JSON.stringify(text[pos]));
  const str = (): string => {
    STRING.lastIndex = pos;
    const m = STRING.exec(text);
    if (!m) error(text[pos] === '"' ? "bad string" : `expected a string, found ${found()}`);
    pos += m![0].length;
    return JSON.parse(m![0]) as string;
  };
  const value = (keys: PropertyKey[]): unknown => {
    ws();
    const c = text[pos];
    if ((c === "{" || c === "[") && keys.length >= MAX_JSON_DEPTH) error(`arrays and objects nested more than ${MAX_JSON_DEPTH} deep`);
    lines.set(jsonPath(keys), line);
    if (c === "{") {
      pos++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[pos] === "}") return pos++, obj;
      for (;;) {
        ws();
        const k = str();
        if (Object.prototype.hasOwnProperty.call(obj, k)) error(`duplicate key "${k}"`);
        ws();
        if (text[pos] !== ":") error(`expected ":" after "${k}", found ${found()}`);
        pos++;
        // Defined, not assigned: a "__proto__" key is a key like any other (an unknown one), not the prototype.
        Object.defineProperty(obj, k, { value: value([...keys, k]), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[pos] === ",") pos++;
        else if (text[pos] === "}") return pos++, obj;
        else error(`expected "," or "}", found ${found()}`);
      }
    }
    if (c === "[") {
      pos++;
      const arr: unknown[] = [];
      ws();
      if (text[pos] === "]") return pos++, arr;
      for (;;) {
        arr.push(value([...keys, arr.length]));
        ws();
        if (text[pos] === ",") pos++;
        else if (text[pos] === "]") return pos++, arr;
        else error(`expected "," or "]", found ${found()}`);
      }
    }
    if (c === '"') return str();
    LITERAL.lastIndex = pos;
    const m = LITERAL.exec(text);
    if (!m) return error(`unexpected ${found()}`);
    pos += m[0].length;
    return JSON.parse(m[0]) as unknown;
  };
  const v = value([]);
  ws();
  if (pos < text.length) error(`unexpected ${found()} after the end of the document`);
  return { value: v, lines };
}
