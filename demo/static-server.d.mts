// Types of static-server.mjs, for the TypeScript browser tests that import it.
import type { Server } from 'node:http';

/** The cross-origin isolation headers (COOP same-origin, COEP require-corp). */
export declare const ISOLATION_HEADERS: Readonly<Record<string, string>>;

/** An http.Server (not listening yet) that serves the files under root, GET and HEAD only. */
export declare function createStaticServer(root: string): Server;
