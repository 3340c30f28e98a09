import type { Server } from "node:http";

/** Serves the files under `dir` on `host` (127.0.0.1) and `port` (0: any free one). */
export function serve(dir: string, port?: number, host?: string): Promise<{ server: Server; url: string }>;
