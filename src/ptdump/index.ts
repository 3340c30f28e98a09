/** ptdump: the kernel's `kernel_page_tables` text from an engine, a parser for it, and a diff. */
export { type PtdumpFlavour, PTDUMP_FLAVOURS, flavourForRelease } from "./flavour.js";
export { type LinearMapBounds, linearMapBounds } from "./bounds.js";
export { type ProtBit, protBits, protStrings, ptdumpMask } from "./prot-bits.js";
export { levelNames } from "./levels.js";
export { ptdumpSize, ptdumpSizeText } from "./size.js";
export { markerLine, rangeLine } from "./line.js";
export { type FormatOptions, formatLinearMap } from "./format.js";
export { firstMappedVa, kaslrOffsetFromDump } from "./kaslr.js";
export { PtdumpParseError } from "./parse-error.js";
export {
  type ParsedPtdump,
  type PtdumpLine,
  type PtdumpMarker,
  type PtdumpRange,
  type PtdumpSection,
  findSection,
  parsePtdump,
} from "./parse.js";
export { attributeStrings, renderPtdump, renderPtdumpLine } from "./render.js";
export {
  type PtdumpDiff,
  type PtdumpDiffEntry,
  type PtdumpDiffKind,
  type PtdumpDiffSummary,
  type PtdumpInput,
  type PtdumpSide,
  diffPtdump,
} from "./diff.js";
export { type DiffTextOptions, renderPtdumpDiff, renderPtdumpDiffEntry } from "./diff-text.js";
