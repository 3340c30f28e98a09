/**
 * Address traces for the run-time model, streamed: a file of VAs, either text (one hex VA per line,
 * `0x` optional, blank lines and `#` comments skipped) or raw little-endian u64. A chunk at a time
 * is read, so a trace larger than memory replays in constant memory.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { extname } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import { oneLine } from "../memmap/errors.js";

export type TraceFormat = "text" | "raw";

const CHUNK = 1 << 20;

/** The format of a trace: raw for .bin/.raw/.u64 names or content with bytes text does not have, else text. */
export function detectTraceFormat(path: string): TraceFormat {
  if ([".bin", ".raw", ".u64"].includes(extname(path).toLowerCase())) return "raw";
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    // A UTF-8 byte-order mark starts some text files; it is not a reason to read them as raw.
    const bom = n >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    for (let i = bom; i < n; i++) {
      const b = head[i];
      if (b !== 9 && b !== 10 && b !== 13 && (b < 32 || b > 126)) return "raw";
    }
    return "text";
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `sink` with successive batches of the trace's VAs, at most `limit` in all: raw traces as
 * bytes (a multiple of 8), text traces as parsed values. Returns how many VAs were delivered.
 * Malformed text throws an InvalidArgumentError naming the file and the line.
 */
export function streamTrace(
  path: string,
  format: TraceFormat,
  limit: number,
  sink: { bytes?: (b: Uint8Array) => void; values: (v: BigUint64Array) => void },
): number {
  const what = `trace ${path}`;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidArgumentError("limit", `${limit} is not a whole number of VAs`);
  if (limit === 0) return 0;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new InvalidArgumentError(what, (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message);
  }
  let delivered = 0;
  try {
    const buf = Buffer.alloc(CHUNK);
    if (format === "raw") {
      let carry = 0; // bytes of an incomplete VA kept at the start of buf
      for (;;) {
        const n = readSync(fd, buf, carry, CHUNK - carry, null);
        const have = carry + n;
        if (n === 0) {
          if (carry !== 0) throw new InvalidArgumentError(what, `ends with ${carry} byte(s) of an incomplete 8-byte VA`);
          break;
        }
        let whole = have - (have % 8);
        whole = Math.min(whole, (limit - delivered) * 8);
        const part = new Uint8Array(buf.buffer, buf.byteOffset, whole);
        if (sink.bytes) sink.bytes(part);
        else sink.values(new BigUint64Array(part.slice().buffer));
        delivered += whole / 8;
        if (delivered >= limit) break;
        carry = have - whole;
        buf.copy(buf, 0, whole, have);
      }
      return delivered;
    }
    let rest = "";
    let line = 0;
    let first = true;
    const out = new BigUint64Array(CHUNK / 8);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      let text = rest + buf.toString("latin1", 0, n);
      if (first && text.startsWith("\xef\xbb\xbf")) text = text.slice(3); // a UTF-8 byte-order mark
      first = false;
      const lines = text.split("\n");
      rest = n === 0 ? "" : (lines.pop() ?? "");
      // No VA line is longer than this: a longer unfinished line is refused now, not carried on.
      if (rest.length > 256) throw new InvalidArgumentError(what, `line ${line + lines.length + 1}: ${oneLine(JSON.stringify(rest.trim().slice(0, 40)))}… is not a hex VA`);
      let k = 0;
      for (const raw of lines) {
        line++;
        const t = raw.trim();
        if (t === "" || t.startsWith("#")) continue;
        if (!/^(0x)?[0-9a-f]{1,16}$/i.test(t)) throw new InvalidArgumentError(what, `line ${line}: ${oneLine(JSON.stringify(t.slice(0, 40)))} is not a hex VA`);
        out[k++] = BigInt(t.startsWith("0x") || t.startsWith("0X") ? t : `0x${t}`);
        if (k === out.length || delivered + k >= limit) {
          sink.values(out.subarray(0, k));
          delivered += k;
          k = 0;
          if (delivered >= limit) return delivered;
        }
      }
      if (k > 0) {
        sink.values(out.subarray(0, k));
        delivered += k;
      }
      if (n === 0) break;
    }
    return delivered;
  } finally {
    closeSync(fd);
  }
}
