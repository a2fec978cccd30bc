/**
 * A local Hugging Face Hub look-alike for tests: real HTTP on 127.0.0.1, two
 * origins ("hub" and "cdn"), the URL shapes @huggingface/hub calls, the Hub's
 * error headers, gating, and injectable faults. No code under test is mocked.
 *
 * Hub origin:
 *   GET /api/models/{org}/{name}[/revision/{rev}]        model info JSON
 *   GET /api/models/{org}/{name}/tree/{rev}[/{path}]     file listing (Link-paginated); as on the
 *                                                        Hub, an LFS file's entry carries
 *                                                        lfs: {oid: sha256, size, pointerSize}
 *   GET|HEAD /{org}/{name}/resolve/{rev}/{path}          302 to the CDN for LFS files
 *                                                        (Uint8Array), 200/206 for small
 *                                                        text files (string)
 *   GET|HEAD /{org}/{name}/raw/{rev}/{path}              the file itself (no redirect)
 * CDN origin:
 *   GET|HEAD /repos/{sha256}/{path}?sig=…&expires=…      Range-capable file server; rejects
 *                                                        requests carrying Authorization
 *                                                        (as S3 does with a signed URL)
 *
 * Faults (server.faults.next / always, optionally limited to one origin and to
 * requests a `when` predicate accepts): an error status (with Retry-After), a
 * dropped connection before any answer, and body faults that combine: ignore
 * Range, truncate the body, drop the connection after n body bytes, stall
 * (before answering, or after n body bytes). `replaceFile` updates a repo
 * mid-run the way a mirror that ignores pinned revisions would show it.
 * A file may also live on disk (`FileOnDisk`, e.g. a sparse 4 GB shard of
 * which only the header was written): it is sized by its record and served
 * by positioned reads of the requested range only, never read whole.
 */
import { createHash, createHmac } from "node:crypto";
import { open } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An LFS file served from disk: Range answers read only the requested bytes.
 * Its LFS oid and git oid stand in for content hashes (derived from path and
 * size: hashing a 200 GB sparse checkpoint would read it all).
 */
export interface FileOnDisk {
  path: string;
  size: number;
}

export type FileContent = Uint8Array | string | FileOnDisk;
/** Bytes the server can send: in memory or a file on disk. */
type Body = Uint8Array | FileOnDisk;

const onDisk = (c: FileContent): c is FileOnDisk => typeof c === "object" && !(c instanceof Uint8Array);
const sizeOf = (b: Body): number => (b instanceof Uint8Array ? b.length : b.size);

export interface RepoSpec {
  /** Path -> content. Uint8Array and FileOnDisk files are LFS (served via the CDN), strings are plain git files. */
  files: Record<string, FileContent>;
  /** Commit sha of the default branch "main" (default: derived from the repo name). */
  sha?: string;
  /** cardData.license; null or absent means no licence in the card. */
  license?: string | null;
  /** Gated like the Hub: model info and listing public, file downloads need the token. */
  gated?: boolean;
  /** Private: everything needs the token; without it the Hub answers 401 RepoNotFound. */
  private?: boolean;
  /** Extra branch/tag names -> sha (they all serve the same files). */
  branches?: Record<string, string>;
}

export interface HubServerOptions {
  repos: Record<string, RepoSpec>;
  /** The one token that opens gated/private repos. */
  token?: string;
  /** Tree listing page size (Link: rel="next" pagination); default: no pagination. */
  treePageSize?: number;
  /**
   * Emulate a CDN link (the bench): bodies of the CDN origin share this many
   * bytes per second in all, and each CDN answer waits `latencyMs` before its
   * headers (a round trip). Default: unlimited, no added latency.
   */
  cdnLink?: { bytesPerSecond: number; latencyMs?: number };
}

export interface RequestLog {
  origin: "hub" | "cdn";
  method: string;
  /** Path and query as received. */
  url: string;
  range: string | null;
  authorization: boolean;
  /** Set when the response is sent. */
  status: number;
  /** Body bytes handed to the socket (a client that goes away early stops this short of the body). */
  bytes: number;
  /** The client went away (or the server dropped the connection) before the whole body was sent. */
  aborted: boolean;
}

/**
 * Faults of a successful answer (file bytes on the CDN or the Hub); they combine,
 * e.g. `{ ignoreRange: true, dropAfter: 4096 }`.
 */
export interface BodyFault {
  /** Serve the whole file with 200, as if Range were unsupported. */
  ignoreRange?: true;
  /** Serve the right status/headers but only the first n body bytes (Content-Length n: the body ends cleanly, short). */
  truncate?: number;
  /** Announce the full Content-Length, send the first n body bytes, then destroy the socket. */
  dropAfter?: number;
  /**
   * Send nothing for this many ms: before answering at all, or, with
   * `stallAfterBytes`, after the headers and that many body bytes. The answer
   * then continues normally if the client is still there.
   */
  stall?: number;
  stallAfterBytes?: number;
}

export type Fault =
  /** Answer with this status (and Retry-After / headers / body). */
  | { status: number; retryAfter?: number | string; headers?: Record<string, string>; body?: string }
  /** Drop the connection without answering. */
  | { reset: true }
  | BodyFault;

export interface FaultOptions {
  origin?: "hub" | "cdn";
  /** Only requests this accepts (e.g. by their Range header) take the fault. */
  when?: (req: RequestLog) => boolean;
}

export interface FaultControl {
  /** The next faults.length requests whose path matches `pattern` get these faults, in order. */
  next(pattern: RegExp, faults: Fault[], opts?: FaultOptions): void;
  /** Every matching request gets this fault until clear(). */
  always(pattern: RegExp, fault: Fault, opts?: FaultOptions): void;
  clear(): void;
}

export interface HubServer {
  url: string;
  cdnUrl: string;
  requests: RequestLog[];
  faults: FaultControl;
  /** The sha "main" resolves to for a repo. */
  shaOf(repo: string): string;
  /**
   * Replace (or add) a file: the repo gets a new commit sha, and from now on
   * behaves like a mirror that ignores pinned revisions: requests for the old
   * sha are answered with the new content and `X-Repo-Commit: <new sha>`. The
   * CDN forgets blobs no file references any more (old signed URLs then 404).
   */
  replaceFile(repo: string, path: string, content: FileContent): void;
  /** Called for every request before it is answered (the log entry is filled in later). */
  onRequest: ((req: RequestLog) => void) | null;
  close(): Promise<void>;
}

interface Rule {
  pattern: RegExp;
  origin?: "hub" | "cdn";
  when?: (req: RequestLog) => boolean;
  queue: Fault[];
  sticky: boolean;
}

/** Body bytes are written in chunks of this size, so a client that goes away stops the transfer. */
const WRITE_CHUNK = 64 * 1024;
/** Depth of the emulated CDN link's token bucket (ms of transfer that may be sent at once after idling). */
const LINK_BURST_MS = 25;

const SECRET = "test-cdn-secret";

/** Hash in chunks: one update() refuses more than 2 GiB (the bench serves 4 GB checkpoints). */
function digest(algorithm: "sha1" | "sha256", data: Uint8Array | string): string {
  const hash = createHash(algorithm);
  if (typeof data === "string") return hash.update(data).digest("hex");
  for (let off = 0; off < data.length; off += 1 << 30) hash.update(data.subarray(off, Math.min(data.length, off + (1 << 30))));
  return hash.digest("hex");
}

function sha1(data: Uint8Array | string): string {
  return digest("sha1", data);
}
const sha256Cache = new WeakMap<Body, string>();
function sha256(data: Body): string {
  if (!(data instanceof Uint8Array)) return createHash("sha256").update(`file-on-disk:${data.path}:${data.size}`).digest("hex");
  let h = sha256Cache.get(data);
  if (h === undefined) {
    h = digest("sha256", data);
    sha256Cache.set(data, h);
  }
  return h;
}
const gitOidCache = new WeakMap<Uint8Array, string>();
/** The git blob id (sha1 of "blob <size>\0" + content), computed once per content (the tree is listed often). */
function gitOid(data: Body): string {
  if (!(data instanceof Uint8Array)) return sha1(`blob-on-disk:${data.path}:${data.size}`);
  let h = gitOidCache.get(data);
  if (h === undefined) {
    const hash = createHash("sha1").update(`blob ${data.length}\0`);
    for (let off = 0; off < data.length; off += 1 << 30) hash.update(data.subarray(off, Math.min(data.length, off + (1 << 30))));
    h = hash.digest("hex");
    gitOidCache.set(data, h);
  }
  return h;
}
function bytesOf(content: Uint8Array | string): Uint8Array {
  return typeof content === "string" ? new TextEncoder().encode(content) : content;
}
function bodyOf(content: FileContent): Body {
  return typeof content === "string" ? new TextEncoder().encode(content) : content;
}
function sign(path: string, expires: number): string {
  return createHmac("sha256", SECRET).update(`${path}:${expires}`).digest("hex");
}

/** Parse a single `bytes=` range against a size: [start, endInclusive], "unsatisfiable", or null (ignore header). */
function parseRange(header: string, size: number): [number, number] | "unsatisfiable" | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "unsatisfiable";
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return null;
  if (start >= size) return "unsatisfiable";
  return [start, end];
}

export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const requests: RequestLog[] = [];
  const rules: Rule[] = [];
  /** When the emulated CDN link is next free (performance.now() ms). */
  let linkFreeAt = 0;
  // Own copies: replaceFile mutates them, never the caller's objects.
  const repos: Record<string, RepoSpec> = Object.fromEntries(
    Object.entries(opts.repos).map(([name, spec]) => [name, { ...spec, files: { ...spec.files } }]),
  );
  const shas = new Map<string, string>();
  for (const [name, spec] of Object.entries(repos)) shas.set(name, spec.sha ?? sha1(`commit:${name}`));
  /** Shas a repo had before replaceFile: still answered, with the current content. */
  const formerShas = new Map<string, Set<string>>();
  /** sha256 -> bytes, for the CDN. */
  const blobs = new Map<string, Body>();
  const indexBlobs = (): void => {
    blobs.clear();
    for (const spec of Object.values(repos)) {
      for (const content of Object.values(spec.files)) if (typeof content !== "string") blobs.set(sha256(content), content);
    }
  };
  indexBlobs();
  let cdnOrigin = "";

  // Pending stalls, cut short when the server closes.
  const pending = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closing = false;
  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (closing) {
        resolve();
        return;
      }
      const entry = {
        timer: setTimeout(() => {
          pending.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      pending.add(entry);
    });

  const faults: FaultControl = {
    next(pattern, list, o) {
      rules.push({ pattern, origin: o?.origin, when: o?.when, queue: [...list], sticky: false });
    },
    always(pattern, fault, o) {
      rules.push({ pattern, origin: o?.origin, when: o?.when, queue: [fault], sticky: true });
    },
    clear() {
      rules.length = 0;
    },
  };

  function takeFault(origin: "hub" | "cdn", log: RequestLog): Fault | null {
    for (const r of rules) {
      if (r.origin && r.origin !== origin) continue;
      if (r.queue.length === 0 || !r.pattern.test(log.url)) continue;
      if (r.when && !r.when(log)) continue;
      return r.sticky ? r.queue[0]! : r.queue.shift()!;
    }
    return null;
  }

  function send(
    res: http.ServerResponse,
    log: RequestLog,
    status: number,
    headers: Record<string, string | number>,
    body: Uint8Array | string = "",
    head = false,
  ): void {
    const buf = bytesOf(body);
    log.status = status;
    log.bytes = head ? 0 : buf.length;
    res.writeHead(status, { "content-length": buf.length, ...headers });
    res.end(head ? undefined : buf);
  }

  function hubError(res: http.ServerResponse, log: RequestLog, status: number, code: string | null, message: string, json: boolean): void {
    const headers: Record<string, string> = { "x-error-message": message };
    if (code) headers["x-error-code"] = code;
    if (json) send(res, log, status, { ...headers, "content-type": "application/json; charset=utf-8" }, JSON.stringify({ error: message }));
    else send(res, log, status, { ...headers, "content-type": "text/plain; charset=utf-8" }, message);
  }

  /**
   * Send a body in chunks, with the body faults: truncate (short Content-Length),
   * dropAfter (full Content-Length, then the socket is destroyed), stall after n
   * bytes. Stops as soon as the client goes away; log.bytes counts what was written.
   */
  async function sendBody(
    res: http.ServerResponse,
    log: RequestLog,
    status: number,
    headers: Record<string, string | number>,
    body: Body,
    fault: BodyFault | null,
    head: boolean,
    from = 0,
    to = sizeOf(body),
  ): Promise<void> {
    const length = fault?.truncate !== undefined ? Math.min(to - from, fault.truncate) : to - from;
    // Only the bytes sent are read: a file on disk by positioned reads, chunk by chunk.
    const fh = !head && !(body instanceof Uint8Array) ? await open(body.path, "r") : null;
    const chunk = async (off: number, n: number): Promise<Uint8Array> => {
      if (body instanceof Uint8Array) return body.subarray(from + off, from + off + n);
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh!.read(buf, got, n - got, from + off + got);
        if (bytesRead === 0) break; // past the end of a file shorter than its record: zeros
        got += bytesRead;
      }
      return buf;
    };
    try {
      await sendChunks(res, log, status, headers, length, chunk, fault, head);
    } finally {
      await fh?.close();
    }
  }

  async function sendChunks(
    res: http.ServerResponse,
    log: RequestLog,
    status: number,
    headers: Record<string, string | number>,
    length: number,
    chunk: (off: number, n: number) => Promise<Uint8Array>,
    fault: BodyFault | null,
    head: boolean,
  ): Promise<void> {
    const data = { length };
    log.status = status;
    log.bytes = 0;
    res.on("error", () => undefined);
    res.writeHead(status, { ...headers, "content-length": data.length });
    if (head) {
      res.end();
      return;
    }
    const gone = (): boolean => res.destroyed || res.socket === null || res.socket.destroyed;
    const paced = log.origin === "cdn" && opts.cdnLink !== undefined;
    const stallAt = fault?.stall !== undefined && fault.stallAfterBytes !== undefined ? Math.min(fault.stallAfterBytes, data.length) : undefined;
    const dropAt = fault?.dropAfter !== undefined ? Math.min(fault.dropAfter, data.length) : undefined;
    let stalled = false;
    let off = 0;
    for (;;) {
      if (stallAt !== undefined && !stalled && off === stallAt) {
        stalled = true;
        res.flushHeaders();
        await delay(fault!.stall!);
        if (gone()) break;
      }
      if (dropAt !== undefined && off === dropAt) {
        res.flushHeaders();
        // Let the bytes written so far leave before the connection is cut.
        await new Promise<void>((resolve) => setImmediate(resolve));
        log.aborted = true;
        res.socket?.destroy();
        return;
      }
      if (off >= data.length) break;
      let n = Math.min(WRITE_CHUNK, data.length - off);
      if (stallAt !== undefined && !stalled) n = Math.min(n, stallAt - off);
      if (dropAt !== undefined) n = Math.min(n, dropAt - off);
      if (paced) {
        // One link shared by every CDN answer: reserve its time for these bytes, wait until it comes.
        // A token bucket LINK_BURST_MS deep: time lost to timer overshoot is made up, not lost.
        const now = performance.now();
        const at = Math.max(now - LINK_BURST_MS, linkFreeAt);
        linkFreeAt = at + (1000 * n) / opts.cdnLink!.bytesPerSecond;
        if (linkFreeAt - now >= 2) await delay(linkFreeAt - now);
        if (gone()) break;
      }
      const ok = res.write(await chunk(off, n));
      off += n;
      log.bytes = off;
      if (!ok && !gone()) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.on("drain", done);
          res.on("close", done);
        });
      }
      if (gone()) break;
    }
    if (off < data.length || gone()) {
      log.aborted = off < data.length;
      return;
    }
    res.end();
  }

  /** Serve bytes honouring Range (206/416), or 200 for the whole body. */
  function serveBytes(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    log: RequestLog,
    data: Body,
    headers: Record<string, string | number>,
    fault: BodyFault | null,
  ): void {
    const head = req.method === "HEAD";
    const rangeHeader = fault?.ignoreRange ? undefined : req.headers.range;
    let status = 200;
    const size = sizeOf(data);
    let from = 0;
    let to = size;
    const h: Record<string, string | number> = { "accept-ranges": "bytes", "content-type": "application/octet-stream", ...headers };
    if (rangeHeader !== undefined) {
      const r = parseRange(rangeHeader, size);
      if (r === "unsatisfiable") {
        send(res, log, 416, { ...h, "content-range": `bytes */${size}` }, "", head);
        return;
      }
      if (r !== null) {
        status = 206;
        from = r[0];
        to = r[1] + 1;
        h["content-range"] = `bytes ${r[0]}-${r[1]}/${size}`;
      }
    }
    sendBody(res, log, status, h, data, fault, head, from, to).catch((e: unknown) => {
      log.aborted = true;
      res.destroy(e as Error);
    });
  }

  function authState(req: http.IncomingMessage): "none" | "valid" | "wrong" {
    const a = req.headers.authorization;
    if (!a) return "none";
    return opts.token !== undefined && a === `Bearer ${opts.token}` ? "valid" : "wrong";
  }

  /** Revision name or sha -> sha, or null. */
  function resolveRev(repo: string, spec: RepoSpec, rev: string): string | null {
    const main = shas.get(repo)!;
    if (rev === "main" || rev === "HEAD" || rev === main || formerShas.get(repo)?.has(rev)) return main;
    const branches = spec.branches ?? {};
    if (rev in branches) return branches[rev]!;
    if (Object.values(branches).includes(rev)) return rev;
    return null;
  }

  function handleHub(req: http.IncomingMessage, res: http.ServerResponse, log: RequestLog, fault: BodyFault | null): void {
    const u = new URL(req.url ?? "/", "http://hub.invalid");
    const parts = u.pathname.split("/").slice(1);
    const isApi = parts[0] === "api";
    const p = isApi ? parts.slice(2) : parts; // [org, name, ...rest]
    if ((isApi && parts[1] !== "models") || p.length < 2) {
      hubError(res, log, 404, null, "Sorry, we can't find the page you are looking for.", isApi);
      return;
    }
    const repo = `${decodeURIComponent(p[0]!)}/${decodeURIComponent(p[1]!)}`;
    const rest = p.slice(2);
    const spec = repos[repo];
    const auth = authState(req);
    if (!spec || (spec.private && auth !== "valid")) {
      // Like the Hub, do not reveal whether a repo exists to those who may not see it:
      // 401 RepoNotFound without a valid token, 404 RepoNotFound with one.
      hubError(res, log, auth === "valid" ? 404 : 401, "RepoNotFound", "Repository not found", isApi);
      return;
    }
    const head = req.method === "HEAD";

    if (isApi) {
      let revName = "main";
      let kind: "info" | "tree" = "info";
      let subPath = "";
      if (rest.length === 0) revName = "main";
      else if (rest[0] === "revision" && rest.length === 2) revName = decodeURIComponent(rest[1]!);
      else if (rest[0] === "tree" && rest.length >= 2) {
        kind = "tree";
        revName = decodeURIComponent(rest[1]!);
        subPath = rest.slice(2).map(decodeURIComponent).join("/");
      } else {
        hubError(res, log, 404, null, "Sorry, we can't find the page you are looking for.", true);
        return;
      }
      const sha = resolveRev(repo, spec, revName);
      if (sha === null) {
        hubError(res, log, 404, "RevisionNotFound", `Invalid rev id: ${revName}`, true);
        return;
      }
      if (kind === "info") {
        const info: Record<string, unknown> = {
          _id: sha1(`id:${repo}`).slice(0, 24),
          id: repo,
          modelId: repo,
          author: repo.split("/")[0],
          sha,
          private: spec.private === true,
          gated: spec.gated ? "manual" : false,
          disabled: false,
          downloads: 0,
          likes: 0,
          lastModified: "2025-01-01T00:00:00.000Z",
          tags: [],
          siblings: Object.keys(spec.files).map((rfilename) => ({ rfilename })),
        };
        if (u.searchParams.getAll("expand").includes("cardData") || !u.searchParams.has("expand")) {
          info.cardData = spec.license ? { license: spec.license } : {};
        }
        void sendBody(res, log, 200, { "content-type": "application/json; charset=utf-8" }, bytesOf(JSON.stringify(info)), fault, head);
        return;
      }
      // tree
      const recursive = u.searchParams.get("recursive") === "true";
      const prefix = subPath ? `${subPath}/` : "";
      if (subPath && !Object.keys(spec.files).some((f) => f.startsWith(prefix))) {
        hubError(res, log, 404, "EntryNotFound", `${subPath} does not exist on "${revName}"`, true);
        return;
      }
      const entries: Record<string, unknown>[] = [];
      const dirs = new Set<string>();
      for (const [path, content] of Object.entries(spec.files).sort(([a], [b]) => a.localeCompare(b))) {
        if (!path.startsWith(prefix)) continue;
        const rel = path.slice(prefix.length);
        const segs = rel.split("/");
        for (let i = 1; i < segs.length; i++) {
          const dir = prefix + segs.slice(0, i).join("/");
          if ((recursive || i === 1) && !dirs.has(dir)) {
            dirs.add(dir);
            entries.push({ type: "directory", oid: sha1(`dir:${dir}`), size: 0, path: dir });
          }
        }
        if (!recursive && segs.length > 1) continue;
        const data = bodyOf(content);
        const entry: Record<string, unknown> = { type: "file", oid: gitOid(data), size: sizeOf(data), path };
        if (typeof content !== "string") entry.lfs = { oid: sha256(data), size: sizeOf(data), pointerSize: 134 };
        entries.push(entry);
      }
      const pageSize = opts.treePageSize ?? Infinity;
      const cursor = Number(u.searchParams.get("cursor") ?? "0");
      const page = entries.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
      if (cursor + pageSize < entries.length) {
        const next = new URL(u.pathname + u.search, `http://${req.headers.host}`);
        next.searchParams.set("cursor", String(cursor + pageSize));
        headers.link = `<${next.href}>; rel="next"`;
      }
      void sendBody(res, log, 200, headers, bytesOf(JSON.stringify(page)), fault, head);
      return;
    }

    // resolve / raw
    const mode = rest[0];
    if ((mode !== "resolve" && mode !== "raw") || rest.length < 3) {
      hubError(res, log, 404, null, "Sorry, we can't find the page you are looking for.", false);
      return;
    }
    const revName = decodeURIComponent(rest[1]!);
    const path = rest.slice(2).map(decodeURIComponent).join("/");
    const sha = resolveRev(repo, spec, revName);
    if (sha === null) {
      hubError(res, log, 404, "RevisionNotFound", "Revision Not Found", false);
      return;
    }
    if (spec.gated) {
      if (auth === "none") {
        hubError(res, log, 401, "GatedRepo", `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.`, false);
        return;
      }
      if (auth === "wrong") {
        hubError(res, log, 403, "GatedRepo", `Access to model ${repo} is restricted and you are not in the authorized list. Visit https://huggingface.co/${repo} to ask for access.`, false);
        return;
      }
    }
    const content = spec.files[path];
    if (content === undefined) {
      hubError(res, log, 404, "EntryNotFound", "Entry not found", false);
      return;
    }
    const data = bodyOf(content);
    const common = { "x-repo-commit": sha, "access-control-expose-headers": "X-Repo-Commit,X-Linked-Size,X-Linked-ETag,ETag" };
    if (typeof content === "string" || mode === "raw") {
      serveBytes(req, res, log, data, { ...common, etag: `"${gitOid(data)}"` }, fault);
      return;
    }
    const oid = sha256(data);
    const cdnPath = `/repos/${oid}/${path.split("/").map(encodeURIComponent).join("/")}`;
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const location = `${cdnOrigin}${cdnPath}?expires=${expires}&sig=${sign(cdnPath, expires)}`;
    send(
      res,
      log,
      302,
      { ...common, location, etag: `"${oid}"`, "x-linked-etag": `"${oid}"`, "x-linked-size": sizeOf(data), "content-type": "text/plain; charset=utf-8" },
      `Found. Redirecting to ${location}`,
      head,
    );
  }

  function handleCdn(req: http.IncomingMessage, res: http.ServerResponse, log: RequestLog, fault: BodyFault | null): void {
    const u = new URL(req.url ?? "/", "http://cdn.invalid");
    const m = /^\/repos\/([0-9a-f]{64})\/.+$/.exec(u.pathname);
    const data = m ? blobs.get(m[1]!) : undefined;
    const xml = { "content-type": "application/xml" };
    if (req.headers.authorization) {
      send(res, log, 400, xml, "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>");
      return;
    }
    const expires = Number(u.searchParams.get("expires"));
    const sig = u.searchParams.get("sig");
    if (!m || sig === null || sig !== sign(u.pathname, expires)) {
      send(res, log, 403, xml, "<Error><Code>AccessDenied</Code><Message>Invalid signature</Message></Error>");
      return;
    }
    if (expires * 1000 < Date.now()) {
      send(res, log, 403, xml, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
      return;
    }
    if (!data) {
      send(res, log, 404, xml, "<Error><Code>NoSuchKey</Code></Error>");
      return;
    }
    serveBytes(req, res, log, data, { etag: `"${m[1]}"`, "x-cache": "Miss from test-cdn" }, fault);
  }

  function listener(origin: "hub" | "cdn") {
    return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
      const log: RequestLog = {
        origin,
        method: req.method ?? "GET",
        url: req.url ?? "/",
        range: typeof req.headers.range === "string" ? req.headers.range : null,
        authorization: req.headers.authorization !== undefined,
        status: 0,
        bytes: 0,
        aborted: false,
      };
      requests.push(log);
      server.onRequest?.(log);
      if (origin === "cdn" && opts.cdnLink?.latencyMs) await delay(opts.cdnLink.latencyMs);
      let fault = takeFault(origin, log);
      if (fault && "stall" in fault && fault.stall !== undefined && fault.stallAfterBytes === undefined) {
        // Stall before answering anything, then answer normally if the client waited.
        await delay(fault.stall);
        if (req.socket.destroyed) {
          log.aborted = true;
          return;
        }
        fault = { ...fault, stall: undefined };
      }
      if (fault && "reset" in fault) {
        log.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault && "status" in fault) {
        const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8", ...fault.headers };
        if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
        send(res, log, fault.status, headers, fault.body ?? `injected ${fault.status}`, req.method === "HEAD");
        return;
      }
      const bodyFault: BodyFault | null = fault && !("status" in fault) && !("reset" in fault) ? fault : null;
      try {
        if (origin === "hub") handleHub(req, res, log, bodyFault);
        else handleCdn(req, res, log, bodyFault);
      } catch (e) {
        send(res, log, 500, { "content-type": "text/plain" }, `test server error: ${(e as Error).message}`);
      }
    };
  }

  const hub = http.createServer((req, res) => void listener("hub")(req, res));
  const cdn = http.createServer((req, res) => void listener("cdn")(req, res));
  const listen = (s: http.Server): Promise<string> =>
    new Promise((resolve, reject) => {
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`));
    });
  const url = await listen(hub);
  cdnOrigin = await listen(cdn);

  const server: HubServer = {
    url,
    cdnUrl: cdnOrigin,
    requests,
    faults,
    onRequest: null,
    shaOf(repo: string): string {
      const s = shas.get(repo);
      if (s === undefined) throw new Error(`no repo ${repo}`);
      return s;
    },
    replaceFile(repo: string, path: string, content: FileContent): void {
      const spec = repos[repo];
      const old = shas.get(repo);
      if (spec === undefined || old === undefined) throw new Error(`no repo ${repo}`);
      spec.files[path] = content;
      const next = sha1(`commit:${repo}:${old}:${path}:${onDisk(content) ? sha256(content) : sha1(content)}`);
      shas.set(repo, next);
      const former = formerShas.get(repo) ?? new Set<string>();
      former.add(old);
      formerShas.set(repo, former);
      indexBlobs();
    },
    async close(): Promise<void> {
      closing = true;
      for (const p of pending) {
        clearTimeout(p.timer);
        p.resolve();
      }
      pending.clear();
      const closeOne = (s: http.Server): Promise<void> =>
        new Promise((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      await Promise.all([closeOne(hub), closeOne(cdn)]);
    },
  };
  return server;
}
