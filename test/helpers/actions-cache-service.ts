/**
 * A local look-alike of GitHub's cache service v2 as @actions/cache 6.x calls
 * it (real HTTP on 127.0.0.1; the library is not mocked). Point a step at it
 * with ACTIONS_RESULTS_URL=service.url, ACTIONS_RUNTIME_TOKEN=service.token
 * and ACTIONS_CACHE_SERVICE_V2=true.
 *
 * Twirp (JSON, proto field names, `Authorization: Bearer <runtime token>`),
 * POST {url}twirp/github.actions.results.api.v1.CacheService/{method}:
 *   GetCacheEntryDownloadURL {key, restore_keys?, version}
 *       -> {ok: false} on a miss, else {ok: true, signed_download_url, matched_key}
 *          (key: exact match; restore_keys: prefix match, newest entry first; version must match)
 *   CreateCacheEntry {key, version}
 *       -> {ok: true, signed_upload_url}; an existing entry for key+version is a
 *          twirp error 409 {code: "already_exists", msg}
 *   FinalizeCacheEntryUpload {key, version, size_bytes}
 *       -> {ok: true, entry_id} once the blob holds exactly size_bytes, else {ok: false, message}
 *   Twirp errors are {code, msg} with the HTTP status of the code (401 unauthenticated, 404 bad_route, ...).
 *
 * Blob storage (the signed URLs; Azure Blob REST, path style
 * /{account}/{container}/{blob}?sv=…&sr=b&sp=…&se=…&sig=…; a request carrying
 * Authorization is refused, as a SAS request with a second auth mechanism is):
 *   PUT  (x-ms-blob-type: BlockBlob)          Put Blob: the body is the blob -> 201
 *   PUT  ?comp=block&blockid=…                Put Block: stage a block -> 201
 *   PUT  ?comp=blocklist  <BlockList>…        Put Block List: commit staged blocks in order -> 201
 *   GET|HEAD                                  the blob (Range honoured) -> 200/206
 * Upload URLs are signed for sp=cw, download URLs for sp=r.
 *
 * Faults: `fail` answers every twirp request (and, with `blobs: true`, every
 * blob request) with a status.
 */
import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export const CACHE_SERVICE = "github.actions.results.api.v1.CacheService";

export interface CacheServiceRequest {
  kind: "twirp" | "blob";
  method: string;
  /** Path and query as received. */
  url: string;
  /** The twirp method (GetCacheEntryDownloadURL, CreateCacheEntry, FinalizeCacheEntryUpload), for twirp requests. */
  rpc?: string;
  /** The parsed JSON body of a twirp request. */
  body?: Record<string, unknown>;
  authorization: string | null;
  contentType: string | null;
  /** Blob operation: put-blob, put-block, put-block-list, get, head. */
  op?: string;
  status: number;
}

export interface CacheEntry {
  id: number;
  key: string;
  version: string;
  blob: string;
  /** Set by FinalizeCacheEntryUpload; only finalized entries are found. */
  finalized: boolean;
  sizeBytes: number;
  createdAt: number;
}

export interface ActionsCacheService {
  /** ACTIONS_RESULTS_URL (ends with a slash, as the runner gives it). */
  url: string;
  /** ACTIONS_RUNTIME_TOKEN. */
  token: string;
  requests: CacheServiceRequest[];
  /** Entries by id. */
  entries: Map<number, CacheEntry>;
  /** Committed blob bytes by blob name. */
  blobs: Map<string, Buffer>;
  /** The finalized entry for key (any version), or undefined. */
  entry(key: string): CacheEntry | undefined;
  /** Answer every twirp request (and blob requests with blobs: true) with this status, until set to null. */
  fail: { status: number; blobs?: boolean } | null;
  close(): Promise<void>;
}

const ACCOUNT = "devstoreaccount1";
const CONTAINER = "actions-cache";
const SECRET = "test-cache-sas-secret";

/** HTTP status of each twirp error code (twirp spec). */
const TWIRP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  malformed: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  internal: 500,
};

function sign(blob: string, permissions: string, expires: string): string {
  return createHmac("sha256", SECRET).update(`${blob}\n${permissions}\n${expires}`).digest("base64");
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startActionsCacheService(opts: { token?: string } = {}): Promise<ActionsCacheService> {
  const token = opts.token ?? `test-runtime-token-${randomUUID()}`;
  const requests: CacheServiceRequest[] = [];
  const entries = new Map<number, CacheEntry>();
  const blobs = new Map<string, Buffer>();
  /** Staged (uncommitted) blocks per blob: block id -> bytes. */
  const staged = new Map<string, Map<string, Buffer>>();
  let nextId = 1;
  let origin = "";

  const signedUrl = (blob: string, permissions: "cw" | "r"): string => {
    const se = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const q = new URLSearchParams({ sv: "2025-01-05", sr: "b", sp: permissions, se, sig: sign(blob, permissions, se) });
    return `${origin}/${ACCOUNT}/${CONTAINER}/${blob}?${q.toString()}`;
  };

  const finalized = (e: CacheEntry): boolean => e.finalized;

  function send(res: http.ServerResponse, log: CacheServiceRequest, status: number, headers: Record<string, string | number>, body: Buffer | string = "", head = false): void {
    const buf = typeof body === "string" ? Buffer.from(body) : body;
    log.status = status;
    res.writeHead(status, { "content-length": buf.length, ...headers });
    res.end(head ? undefined : buf);
  }

  function twirpError(res: http.ServerResponse, log: CacheServiceRequest, code: string, msg: string): void {
    send(res, log, TWIRP_STATUS[code] ?? 500, { "content-type": "application/json" }, JSON.stringify({ code, msg }));
  }

  function twirpOk(res: http.ServerResponse, log: CacheServiceRequest, body: Record<string, unknown>): void {
    send(res, log, 200, { "content-type": "application/json" }, JSON.stringify(body));
  }

  function storageError(res: http.ServerResponse, log: CacheServiceRequest, status: number, code: string, message: string): void {
    const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
    send(res, log, status, { "content-type": "application/xml", "x-ms-error-code": code }, xml);
  }

  async function handleTwirp(req: http.IncomingMessage, res: http.ServerResponse, log: CacheServiceRequest, rpc: string): Promise<void> {
    const raw = await readBody(req);
    if (req.method !== "POST") return twirpError(res, log, "bad_route", `unsupported method ${req.method}`);
    if (log.authorization !== `Bearer ${token}`) return twirpError(res, log, "unauthenticated", "invalid or missing runtime token");
    if (!(log.contentType ?? "").startsWith("application/json")) return twirpError(res, log, "bad_route", "unexpected Content-Type");
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
    } catch {
      return twirpError(res, log, "malformed", "the request body is not JSON");
    }
    log.body = body;
    const key = typeof body.key === "string" ? body.key : "";
    const version = typeof body.version === "string" ? body.version : "";
    if (!key || !version) return twirpError(res, log, "invalid_argument", "key and version are required");
    const all = [...entries.values()];
    switch (rpc) {
      case "GetCacheEntryDownloadURL": {
        const restoreKeys = Array.isArray(body.restore_keys) ? (body.restore_keys as unknown[]).filter((k): k is string => typeof k === "string") : [];
        const newest = (xs: CacheEntry[]) => xs.sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)[0];
        let hit = newest(all.filter((e) => finalized(e) && e.version === version && e.key === key));
        for (const prefix of restoreKeys) {
          if (hit) break;
          hit = newest(all.filter((e) => finalized(e) && e.version === version && e.key.startsWith(prefix)));
        }
        if (!hit) return twirpOk(res, log, { ok: false });
        return twirpOk(res, log, { ok: true, signed_download_url: signedUrl(hit.blob, "r"), matched_key: hit.key });
      }
      case "CreateCacheEntry": {
        if (all.some((e) => finalized(e) && e.key === key && e.version === version)) {
          return twirpError(res, log, "already_exists", "cache entry with the same key, version, and scope already exists");
        }
        const entry: CacheEntry = { id: nextId++, key, version, blob: randomUUID(), finalized: false, sizeBytes: 0, createdAt: Date.now() };
        entries.set(entry.id, entry);
        return twirpOk(res, log, { ok: true, signed_upload_url: signedUrl(entry.blob, "cw") });
      }
      case "FinalizeCacheEntryUpload": {
        const size = Number(body.size_bytes);
        const pending = all.filter((e) => !finalized(e) && e.key === key && e.version === version).sort((a, b) => b.id - a.id)[0];
        if (!pending) return twirpOk(res, log, { ok: false, message: `no cache entry is being created for key ${key}` });
        const data = blobs.get(pending.blob);
        if (!data || data.length !== size) {
          return twirpOk(res, log, { ok: false, message: `the uploaded blob has ${data?.length ?? 0} bytes, not ${size}` });
        }
        pending.finalized = true;
        pending.sizeBytes = size;
        return twirpOk(res, log, { ok: true, entry_id: String(pending.id) });
      }
      default:
        return twirpError(res, log, "bad_route", `no handler for ${rpc}`);
    }
  }

  async function handleBlob(req: http.IncomingMessage, res: http.ServerResponse, log: CacheServiceRequest, u: URL, blob: string): Promise<void> {
    const body = await readBody(req);
    if (log.authorization !== null) return storageError(res, log, 400, "InvalidAuthenticationInfo", "Only one authentication mechanism is allowed (the SAS).");
    const sp = u.searchParams.get("sp") ?? "";
    const se = u.searchParams.get("se") ?? "";
    if (u.searchParams.get("sig") !== sign(blob, sp, se)) return storageError(res, log, 403, "AuthenticationFailed", "Signature did not match.");
    if (Date.parse(se) < Date.now()) return storageError(res, log, 403, "AuthenticationFailed", "Signed expiry time has passed.");
    const common = { "x-ms-request-id": randomUUID(), "x-ms-version": "2025-01-05", date: new Date().toUTCString() };
    if (req.method === "PUT") {
      if (!sp.includes("w")) return storageError(res, log, 403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.");
      const comp = u.searchParams.get("comp");
      const created = { ...common, etag: `"0x${randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase()}"`, "last-modified": new Date().toUTCString(), "x-ms-request-server-encrypted": "true" };
      if (comp === null) {
        log.op = "put-blob";
        if (req.headers["x-ms-blob-type"] !== "BlockBlob") return storageError(res, log, 400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified: x-ms-blob-type.");
        blobs.set(blob, body);
        staged.delete(blob);
        return send(res, log, 201, created);
      }
      if (comp === "block") {
        log.op = "put-block";
        const id = u.searchParams.get("blockid");
        if (!id) return storageError(res, log, 400, "MissingRequiredQueryParameter", "blockid is required.");
        const blocks = staged.get(blob) ?? new Map<string, Buffer>();
        blocks.set(id, body);
        staged.set(blob, blocks);
        return send(res, log, 201, common);
      }
      if (comp === "blocklist") {
        log.op = "put-block-list";
        const blocks = staged.get(blob) ?? new Map<string, Buffer>();
        const ids = [...body.toString("utf8").matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map((m) => m[2]!);
        const parts: Buffer[] = [];
        for (const id of ids) {
          const b = blocks.get(id);
          if (!b) return storageError(res, log, 400, "InvalidBlockList", `The specified block list is invalid (block ${id} was not staged).`);
          parts.push(b);
        }
        blobs.set(blob, Buffer.concat(parts));
        staged.delete(blob);
        return send(res, log, 201, created);
      }
      return storageError(res, log, 400, "InvalidQueryParameterValue", `comp=${comp} is not supported here.`);
    }
    if (req.method === "GET" || req.method === "HEAD") {
      log.op = req.method.toLowerCase();
      if (!sp.includes("r")) return storageError(res, log, 403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.");
      const data = blobs.get(blob);
      if (!data) return storageError(res, log, 404, "BlobNotFound", "The specified blob does not exist.");
      const headers = { ...common, "content-type": "application/octet-stream", "accept-ranges": "bytes", "x-ms-blob-type": "BlockBlob" };
      const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
      if (m) {
        const start = Number(m[1]);
        const end = m[2] ? Math.min(Number(m[2]), data.length - 1) : data.length - 1;
        if (start >= data.length) return storageError(res, log, 416, "InvalidRange", "The range specified is invalid for the current size of the resource.");
        return send(res, log, 206, { ...headers, "content-range": `bytes ${start}-${end}/${data.length}` }, data.subarray(start, end + 1), req.method === "HEAD");
      }
      return send(res, log, 200, headers, data, req.method === "HEAD");
    }
    return storageError(res, log, 405, "UnsupportedHttpVerb", `${req.method} is not supported.`);
  }

  const service: ActionsCacheService = {
    url: "",
    token,
    requests,
    entries,
    blobs,
    fail: null,
    entry(key) {
      return [...entries.values()].filter((e) => e.finalized && e.key === key).sort((a, b) => b.id - a.id)[0];
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://cache.invalid");
    const twirp = new RegExp(`^/twirp/${CACHE_SERVICE.replace(/\./g, "\\.")}/([A-Za-z]+)$`).exec(u.pathname);
    const blob = new RegExp(`^/${ACCOUNT}/${CONTAINER}/([0-9a-f-]+)$`).exec(u.pathname);
    const log: CacheServiceRequest = {
      kind: blob ? "blob" : "twirp",
      method: req.method ?? "GET",
      url: req.url ?? "/",
      rpc: twirp?.[1],
      authorization: typeof req.headers.authorization === "string" ? req.headers.authorization : null,
      contentType: typeof req.headers["content-type"] === "string" ? req.headers["content-type"] : null,
      status: 0,
    };
    requests.push(log);
    const answer = async (): Promise<void> => {
      if (service.fail && (log.kind === "twirp" || service.fail.blobs)) {
        await readBody(req);
        if (log.kind === "twirp") {
          const body = JSON.stringify({ code: service.fail.status === 503 ? "unavailable" : "internal", msg: `injected ${service.fail.status}` });
          return send(res, log, service.fail.status, { "content-type": "application/json" }, body);
        }
        return storageError(res, log, service.fail.status, "InternalError", `injected ${service.fail.status}`);
      }
      if (blob) return handleBlob(req, res, log, u, blob[1]!);
      if (twirp) return handleTwirp(req, res, log, twirp[1]!);
      await readBody(req);
      return twirpError(res, log, "bad_route", `no route for ${req.method} ${u.pathname}`);
    };
    answer().catch((e: unknown) => {
      if (!res.headersSent) send(res, log, 500, { "content-type": "text/plain" }, `test server error: ${(e as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  service.url = `${origin}/`;
  return service;
}
