import type { Metafile } from "esbuild";

/** Bundles the explorer into `outdir` (default web/dist); returns esbuild's metafile. */
export function buildWeb(outdir?: string, options?: { minify?: boolean }): Promise<Metafile>;
