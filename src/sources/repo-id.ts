/** What a Hub repo id and a revision may look like (checked before any request). */

/** Repo ids: exactly `org/name`, each part [A-Za-z0-9._-], no `.`/`..` parts, no `..` inside. */
export const REPO_ID_RE = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;

export function isValidRepoId(repo: string): boolean {
  return REPO_ID_RE.test(repo) && repo.split("/").every((p) => p !== "." && p !== ".." && !p.includes(".."));
}

/** A branch, tag or commit: non-empty `/`-separated parts, none `.` or `..`. */
export function isValidRevision(rev: string): boolean {
  return rev.split("/").every((p) => p !== "" && p !== "." && p !== "..");
}
