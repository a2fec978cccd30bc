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
    expect(plan).toMatchObject({ mode: "plan", shards: 3, link: { mbPerSecond: 100, latencyMs: 20 } });
    expect(parseSettings({ mode: "plan", candidate: "a", references: ["b"], shards: "1", linkMbs: "12.5", linkLatencyMs: "0" }).link).toEqual({ mbPerSecond: 12.5, latencyMs: 0 });
    expect(codeOf(() => parseSettings({ mode: "plan", candidate: "a", references: ["b"], shards: "1", linkMbs: "0" }))).toBe("usage.bad-value");
    expect(codeOf(() => parseSettings({ mode: "plan", candidate: "a", references: ["b"], shards: "1", linkLatencyMs: "-1" }))).toBe("usage.bad-value");
    const merge = parseSettings({ mode: "merge", reports: ["r/*.json"], failOn: "never" });
    expect(merge).toMatchObject({ mode: "merge", reports: ["r/*.json"], failOn: "never", format: "text" });
    expect(parseSettings({ mode: "merge", reports: ["x"] }).failOn).toBeUndefined();
  });

  it("the decision thresholds: level and min-effect, and schema 1's min-z and min-pearson read as them", () => {
    const th = (raw: Record<string, string>) => {
      const s = parseSettings({ candidate: "a", references: ["b"], ...raw });
      if (s.mode !== "check") throw new Error("check settings expected");
      return s.thresholds;
    };
    expect(th({})).toMatchObject({ level: 1e-6, reviewLevel: 1e-3, minEffect: 0.05, minShare: 0 });
    expect(th({ level: "1e-9", minEffect: "0.2" })).toMatchObject({ level: 1e-9, minEffect: 0.2 });
    // min-z 6 asks for a two-sided normal score of 6: p = 2 P(N > 6) ~ 1.97e-9.
    expect(th({ minZ: "6" }).level).toBeCloseTo(1.973e-9, 11);
    expect(th({ minZ: "6", level: "1e-4" }).level).toBe(1e-4);
    expect(th({ minPearson: "0.3" }).minEffect).toBe(0.3);
    expect(th({ minPearson: "0.3", minEffect: "0.1" }).minEffect).toBe(0.1);
    // The review level never sits below the level.
    expect(th({ level: "0.01" }).reviewLevel).toBe(0.01);
    expect(codeOf(() => th({ level: "0" }))).toBe("usage.bad-value");
    expect(codeOf(() => th({ level: "0.9" }))).toBe("usage.bad-value");
    expect(codeOf(() => th({ minEffect: "2" }))).toBe("usage.bad-value");
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
