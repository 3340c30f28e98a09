/** Kernel releases as `uname -r` prints them (6.1.192, 5.10.223-1-arm64) or as a line (6.1, 6.18). */

/** A parsed release; `patch` is undefined for a bare major.minor line. */
export interface KernelRelease {
  major: number;
  minor: number;
  patch: number | undefined;
  /** The text it came from. */
  text: string;
}

/** Thrown for a release the project does not model; `message` is one line. */
export class UnknownKernelError extends Error {
  constructor(text: string, reason: string) {
    super(`--kernel ${text}: ${reason}`);
    this.name = "UnknownKernelError";
  }
}

/** The oldest and newest lines modelled. */
const OLDEST = [5, 10];
const NEWEST = [6, 18];

/** Parses a release and checks that it lies within the modelled lines (5.10 to 6.18). */
export function parseRelease(text: string): KernelRelease {
  const t = text.trim();
  if (/-rc\d/.test(t)) throw new UnknownKernelError(text, "release candidates are not modelled: give a final release or a line (6.18)");
  // Debian and Ubuntu print an ABI number where the stable patch level would be (5.10.0-30-arm64).
  if (/^\d+\.\d+\.0-\d+/.test(t)) {
    throw new UnknownKernelError(text, "a distribution ABI version, not the stable release: give the version /proc/version names (e.g. 5.10.223)");
  }
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+~][\w.+~-]*)?$/.exec(t);
  if (!m) throw new UnknownKernelError(text, "not a kernel release (examples: 6.1, 6.1.192, 6.12.117-arm64)");
  const r = { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? undefined : Number(m[3]), text };
  if (compare(r, OLDEST) < 0 || compare(r, NEWEST) > 0) {
    throw new UnknownKernelError(text, `only releases from ${OLDEST.join(".")} to ${NEWEST.join(".")} are modelled`);
  }
  return r;
}

/** Orders a release against [major, minor, patch?]: negative, zero or positive. */
export function compare(r: Pick<KernelRelease, "major" | "minor" | "patch">, v: number[]): number {
  if (r.major !== v[0]) return r.major - v[0];
  if (r.minor !== v[1]) return r.minor - v[1];
  if (v.length < 3) return 0;
  return (r.patch ?? 0) - v[2];
}

/** Whether the release is at least major.minor[.patch]. */
export function atLeast(r: Pick<KernelRelease, "major" | "minor" | "patch">, ...v: number[]): boolean {
  return compare(r, v) >= 0;
}
