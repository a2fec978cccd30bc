/** settings/: one parse for every input, one typed result per mode. */
import { describe, expect, it } from "vitest";
import { UsageError } from "../src/common/errors.js";
import { parseSettings } from "../src/settings/settings.js";

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).code;
  }
  throw new Error("expected a UsageError");
};

describe("parseSettings", () => {
  it("check is the default mode; --concurrency's three uses are named", () => {
    const s = parseSettings({ candidate: "a", references: ["b,c"], concurrency: "6" });
    expect(s.mode).toBe("check");
    expect(s.references).toEqual(["b", "c"]);
    expect(s.reads).toEqual({ blocksInFlight: 6, readAheadSpans: 6, headerListings: 8 });
    expect(parseSettings({ candidate: "a", references: ["b"] }).reads).toEqual({ blocksInFlight: 4, readAheadSpans: 4, headerListings: 8 });
    expect(parseSettings({ candidate: "a", references: ["b"], concurrency: "1" }).reads.headerListings).toBe(2);
  });

  it("plan and merge have their own settings", () => {
    const plan = parseSettings({ mode: "plan", candidate: "a", references: ["b"], shards: "3" });
    expect(plan).toMatchObject({ mode: "plan", shards: 3 });
    const merge = parseSettings({ mode: "merge", reports: ["r/*.json"], failOn: "never" });
    expect(merge).toMatchObject({ mode: "merge", reports: ["r/*.json"], failOn: "never", format: "text" });
    expect(parseSettings({ mode: "merge", reports: ["x"] }).failOn).toBeUndefined();
  });

  it("every invalid input is a usage error with a code", () => {
    expect(codeOf(() => parseSettings({ references: ["b"] }))).toBe("usage.missing");
    expect(codeOf(() => parseSettings({ candidate: "a", references: ["b"], format: "yaml" }))).toBe("usage.bad-value");
    expect(codeOf(() => parseSettings({ mode: "plan", candidate: "a", references: ["b"], shards: "257" }))).toBe("usage.bad-value");
    expect(codeOf(() => parseSettings({ mode: "plan", candidate: "a", references: ["b"] }))).toBe("usage.missing");
    expect(codeOf(() => parseSettings({ candidate: "a", references: ["b"], shard: "0/2" }))).toBe("usage.missing");
    expect(codeOf(() => parseSettings({ candidate: "a", references: ["b"], actionsCache: "on" }))).toBe("usage.bad-value");
    expect(codeOf(() => parseSettings({ mode: "merge", reports: [] }))).toBe("usage.missing");
    expect(codeOf(() => parseSettings({ mode: "merge", reports: ["x"], failOn: "sometimes" }))).toBe("usage.bad-value");
    expect(codeOf(() => parseSettings({ mode: "deploy" }))).toBe("usage.bad-value");
    expect(codeOf(() => parseSettings({ candidate: "a", references: ["b"], endpoint: "http://10.0.0.1" }))).toBe("usage.bad-value");
  });

  it("endpoints follow the sources' rule: https, or http on localhost, 127.0.0.0/8 and ::1", () => {
    const ep = (endpoint: string) => parseSettings({ candidate: "a", references: ["b"], endpoint }).endpoint;
    expect(ep("https://hf-mirror.example/hub/")).toBe("https://hf-mirror.example/hub");
    expect(ep("http://127.9.9.9:8080")).toBe("http://127.9.9.9:8080");
    expect(ep("http://[::1]:1")).toBe("http://[::1]:1");
    expect(parseSettings({ candidate: "a", references: ["b"] }).endpoint).toBe("https://huggingface.co");
  });
});
