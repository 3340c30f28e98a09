/** Memory-map inputs of the simulator: parsers to one `MemoryMap` model, the memblock model, linear-map arithmetic. */
export { MemoryMapError } from "./errors.js";
export { type MemoryBank, type MemoryMap, type MemoryMapFormat, type PhysRange, formatRange, rangeEnd } from "./model.js";
export { type ParseMemoryMapOptions, detectFormat, parseMemoryMap } from "./parse.js";
export { type MemoryMapJson, MemoryMapJsonSchema } from "./json.js";
export { renderBootlog, renderIomem, renderShorthand } from "./render.js";
export {
  EMPTY_MEMBLOCK,
  type Memblock,
  type MemblockRegion,
  forEachMemRange,
  memblockAdd,
  memblockClearNomap,
  memblockEndOfDRAM,
  memblockFromMap,
  memblockMarkNomap,
  memblockNomapSize,
  memblockPhysMemSize,
  memblockRemove,
  memblockReserve,
  memblockStartOfDRAM,
} from "./memblock.js";
export {
  type MemblockInitOptions,
  type MemblockInitResult,
  arm64MemblockInit,
  arm64MemstartAlign,
  linearRegionSize,
  memstartAddr,
  pageOffset,
  physToVirt,
  virtToPhys,
} from "./linear.js";
