/**
 * Kernel releases as `uname -r` prints them (6.1.192, 6.12.117+deb13-arm64, 6.11.4-301.fc41.aarch64,
 * the Debian/Ubuntu ABI names 6.1.0-56-arm64 and 6.8.0-49-generic), as a line (6.1, 6.18), or from
 * the text of /proc/version, which names the stable release the ABI names hide.
 */
import { oneLine } from "../memmap/errors.js";

/** A parsed release; `patch` is undefined for a bare major.minor line (its latest stable release). */
export interface KernelRelease {
  major: number;
  minor: number;
  patch: number | undefined;
  /** The text it came from. */
  text: string;
  /** The text did not say the stable patch level (a Debian/Ubuntu ABI name): the line's latest stable release is assumed. */
  patchAssumed?: boolean;
  /** What was read or assumed, one line (for the user), when it is not plain. */
  note?: string;
}

/** Thrown for a release the project does not model; `message` is one line. */
export class UnknownKernelError extends RangeError {
  constructor(text: string, reason: string) {
    super(oneLine(`--kernel ${text}: ${reason}`));
    this.name = "UnknownKernelError";
  }
}

/** The oldest and newest lines modelled. */
const OLDEST = [5, 10];
const NEWEST = [7, 3];

/**
 * A Debian or Ubuntu ABI name: `X.Y.0-ABI-flavour` (5.10.0-32-arm64, 6.1.0-56-cloud-arm64,
 * 6.8.0-49-generic, 6.8.0-1012-aws). Fedora's `6.11.0-63.fc41.aarch64` is not one: its X.Y.Z is the
 * upstream release and the part after the dash is the package release.
 */
const ABI = /^(\d+)\.(\d+)\.0-(\d+)(?:-[A-Za-z][\w.+~-]*)?$/;

/** A version number of `text` (digits), refused when too large to be one (99999999999999999999). */
function num(text: string, digits: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new UnknownKernelError(text, `version number ${digits.length > 12 ? `${digits.slice(0, 12)}...` : digits} is too large`);
  return n;
}

/**
 * Reads a release without checking the modelled range: "6.1.192", "v6.15-rc1", "7.0",
 * "6.12.117+deb13-arm64", "6.11.4-301.fc41.aarch64", "6.1.0-56-arm64" (a line, patch assumed).
 * Throws an UnknownKernelError for text that is not a release.
 */
export function readRelease(text: string): KernelRelease {
  const t = text.trim().replace(/^v(?=\d)/, "");
  const abi = ABI.exec(t);
  if (abi) {
    const line = `${abi[1]}.${abi[2]}`;
    return {
      major: num(text, abi[1]),
      minor: num(text, abi[2]),
      patch: undefined,
      text,
      patchAssumed: true,
      note: `${text.trim()} is a distribution ABI name without the stable patch level: assumed the ${line} line's latest stable release ` +
        `(every ${line} backport the rules know applies); give /proc/version to read the real one`,
    };
  }
  // X.Y, X.Y.Z, then a local version: -rcN, -1-arm64, +deb13-arm64, -301.fc41.aarch64, ~bpo12+1.
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+~_][\w.+~-]*)?$/.exec(t);
  if (!m) throw new UnknownKernelError(text, "not a kernel release (examples: 6.1, 6.1.192, 6.12.117+deb13-arm64, 6.8.0-49-generic)");
  return { major: num(text, m[1]), minor: num(text, m[2]), patch: m[3] === undefined ? undefined : num(text, m[3]), text };
}

/** Whether the release lies within the modelled lines (5.10 to 6.18). */
export function isModelled(r: Pick<KernelRelease, "major" | "minor">): boolean {
  return compare({ ...r, patch: undefined }, OLDEST) >= 0 && compare({ ...r, patch: undefined }, NEWEST) <= 0;
}

/** Parses a release as `uname -r` prints it, or a line, and checks that it lies within the modelled lines (5.10 to 6.18). */
export function parseRelease(text: string): KernelRelease {
  const t = text.trim();
  if (/-rc\d/.test(t)) throw new UnknownKernelError(text, "release candidates are not modelled: give a final release or a line (6.18)");
  const r = readRelease(text);
  if (!isModelled(r)) {
    throw new UnknownKernelError(text, `only releases from ${OLDEST.join(".")} to ${NEWEST.join(".")} are modelled (this is ${r.major}.${r.minor})`);
  }
  return r;
}

/**
 * A release from the text of /proc/version (or a plain release). The release `uname -r` prints
 * follows "Linux version"; when it is a Debian or Ubuntu ABI name, the stable release is read from
 * the distribution's version further on: Debian's "#1 SMP Debian 6.1.192-2 (2026-11-16)", Ubuntu's
 * "(Ubuntu 6.8.0-49.49-generic 6.8.12)" (/proc/version_signature). Without either, the patch level
 * stays assumed, and the note says so.
 */
export function parseKernelVersionText(text: string): KernelRelease {
  const t = text.trim();
  const lv = /^Linux version (\S+)/.exec(t);
  if (!lv) return parseRelease(t);
  const r = parseRelease(lv[1]);
  if (!r.patchAssumed) return r;
  // After the build number ("#1 SMP ... Debian 6.1.192-2"), not the compiler's "(Debian 12.2.0-14)".
  const deb = /#\d+[^()#]*?\bDebian (\d+)\.(\d+)\.(\d+)(?:[-+~]\S*)?/.exec(t);
  // /proc/version_signature's "(Ubuntu 6.8.0-49.49-generic 6.8.12)", not the compiler's "(Ubuntu 13.2.0-23ubuntu4)".
  const ubu = /\(Ubuntu \d+\.\d+\.\d+-[\d.]+-\S+ (\d+)\.(\d+)\.(\d+)\)/.exec(t);
  const found = deb ?? ubu;
  if (!found) {
    return { ...r, note: `${r.note!.replace(/; give \/proc\/version.*$/, "")}; the /proc/version text names no Debian or Ubuntu upstream version` };
  }
  const [major, minor, patch] = [num(lv[1], found[1]), num(lv[1], found[2]), num(lv[1], found[3])];
  const what = deb ? `Debian package version ${deb[0].slice(deb[0].indexOf("Debian ") + "Debian ".length)}` : `Ubuntu upstream version ${major}.${minor}.${patch}`;
  if (major !== r.major || minor !== r.minor) {
    throw new UnknownKernelError(lv[1], `/proc/version names ${what}, which is not on the ${r.major}.${r.minor} line`);
  }
  return { major, minor, patch, text: lv[1], note: `${lv[1]}: stable release ${major}.${minor}.${patch} read from the ${what} in /proc/version` };
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
