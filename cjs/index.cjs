// arm64-pgtable is an ES module: require() cannot load it. This file makes the refusal say so.
throw new Error(
  "arm64-pgtable is an ES module and cannot be loaded with require(): use `import { WasmPageTable } from \"arm64-pgtable\"`, " +
    "or from CommonJS `const { WasmPageTable } = await import(\"arm64-pgtable\")`",
);
