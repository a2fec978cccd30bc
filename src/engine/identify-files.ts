/**
 * Every file a check compares, identified for a third party (the report's `files[]`): path, size and
 * sha256. A Hub file's sha256 is the one the Hub's tree lists (no download) and a file read whole while
 * listing (an index) is hashed as it was read; that leaves local weight files, hashed here by a
 * streamed read of bounded memory (the source's hashFile): one more read of each byte.
 */
import { FormatError } from "../common/errors.js";
import type { FileIdentity, Logger, ModelListing, WeightSource } from "../sources/types.js";

/** What identifying one model's files needs: the source (that can hash its own files), its listing, words for the log. */
export interface IdentifyFiles {
  source: WeightSource;
  listing: ModelListing;
  /** "candidate X" / "reference X", for the log. */
  who: string;
  logger: Logger;
  now: () => number;
}

/** The listing's files with every sha256 the source can compute filled in (a listing without them: none). */
export async function identifyFiles({ source, listing, who, logger, now }: IdentifyFiles): Promise<FileIdentity[]> {
  const ids = (listing.fileIds ?? []).map((f) => ({ ...f }));
  const missing = ids.filter((f) => f.sha256 === null);
  if (missing.length === 0 || !source.hashFile) return ids;
  const total = missing.reduce((s, f) => s + f.size, 0);
  const t0 = now();
  let before = 0;
  for (const f of missing) {
    const { sha256, size } = await source.hashFile(f.path, (bytes) => logger.progress?.(`${who}: sha256 of its files, ${((before + bytes) / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB`));
    if (size !== f.size) throw new FormatError(`${listing.source} (${f.path})`, `changed while it was being checked: listed with ${f.size} bytes, ${size} bytes when hashed`);
    f.sha256 = sha256;
    f.sha256From = "computed";
    before += size;
  }
  const secs = (now() - t0) / 1000;
  logger.info(`${who}: sha256 of ${missing.length} file${missing.length === 1 ? "" : "s"} (${(total / 1e6).toFixed(1)} MB) in ${secs.toFixed(1)} s, for the report`);
  return ids;
}
