/**
 * A YAML reader for the subset workflow files and action.yml use here (no
 * YAML parser is among the dependencies): block mappings and sequences,
 * `- key: value` items, literal and folded block scalars (`|`, `|-`, `>`),
 * plain, single- and double-quoted scalars, flow sequences of scalars
 * (`[plan, check]`) and comments. Every scalar stays a string (an empty value
 * is null). Anything outside the subset (flow mappings, anchors, tags,
 * multi-document files, tabs) throws with its line, so a test never reads a
 * file other than GitHub would without saying so.
 */

export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  /** 1-based line number, for messages. */
  no: number;
  indent: number;
  /** The text after the indentation, comment removed, trailing space trimmed. */
  text: string;
  /** The raw line (block scalars keep `#` and spacing). */
  raw: string;
}

class YamlError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

/** The text of a line without its comment: `#` at the start or after a space, outside quotes. */
function stripComment(s: string): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if ((c === '"' || c === "'") && (i === 0 || /[\s:[,-]/.test(s[i - 1]!))) quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i);
  }
  return s;
}

function splitLines(src: string): Line[] {
  return src.split(/\r?\n/).map((raw, i) => {
    const indent = raw.length - raw.trimStart().length;
    if (raw.slice(0, indent).includes("\t")) throw new YamlError(i + 1, "a tab in the indentation");
    return { no: i + 1, indent, text: stripComment(raw.slice(indent)).trimEnd(), raw };
  });
}

/** Splits `key: value` (or `key:`); null when the text is not a mapping entry. */
function splitEntry(text: string): { key: string; value: string } | null {
  const m = /^("[^"]*"|'[^']*'|[^\s"'#[\]{},&*!|>%@`-][^:#]*?|-[^\s:][^:#]*?):(?:\s+(.*))?$/.exec(text);
  if (!m) return null;
  return { key: unquote(m[1]!.trim()), value: (m[2] ?? "").trim() };
}

function unquote(s: string): string {
  if (s.startsWith('"')) return JSON.parse(s) as string;
  if (s.startsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  return s;
}

/** Splits a flow sequence's body on top-level commas (quotes and `${{ }}` kept whole). */
function splitFlow(body: string, no: number): string[] {
  const items: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = "";
  for (const c of body) {
    if (quote) quote = c === quote ? null : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      items.push(cur.trim());
      cur = "";
      continue;
    }
    cur += c;
  }
  if (quote || depth !== 0) throw new YamlError(no, `unbalanced flow sequence [${body}]`);
  if (cur.trim() !== "") items.push(cur.trim());
  return items;
}

function scalar(text: string, no: number): YamlValue {
  const t = text.trim();
  if (t === "" || t === "~" || t === "null") return null;
  if (t.startsWith("[")) {
    if (!t.endsWith("]")) throw new YamlError(no, `a flow sequence that does not end on its line: ${t}`);
    return splitFlow(t.slice(1, -1), no).map((item) => scalar(item, no));
  }
  if (t.startsWith("{")) throw new YamlError(no, `flow mappings are outside the subset: ${t}`);
  if (/^[&*!%@`]/.test(t)) throw new YamlError(no, `anchors, aliases, tags and reserved indicators are outside the subset: ${t}`);
  if (t.startsWith('"') || t.startsWith("'")) {
    const q = t[0]!;
    if (t.length < 2 || !t.endsWith(q)) throw new YamlError(no, `an unterminated quoted scalar: ${t}`);
    return unquote(t);
  }
  return t;
}

class Reader {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  /** The next line with content (blank and comment-only lines skipped), or null at the end. */
  peek(): Line | null {
    while (this.i < this.lines.length && this.lines[this.i]!.text === "") this.i++;
    return this.lines[this.i] ?? null;
  }

  document(): YamlValue {
    const first = this.peek();
    if (!first) return null;
    if (first.text === "---" || first.text.startsWith("--- ")) throw new YamlError(first.no, "document markers are outside the subset");
    const value = this.node(first.indent);
    const rest = this.peek();
    if (rest) throw new YamlError(rest.no, `unexpected content at indentation ${rest.indent}: ${rest.text}`);
    return value;
  }

  private node(indent: number): YamlValue {
    const line = this.peek()!;
    return isItem(line.text) ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    for (let line = this.peek(); line && line.indent === indent && isItem(line.text); line = this.peek()) {
      const content = line.text.slice(1).trimStart();
      if (content === "") {
        this.i++;
        const next = this.peek();
        out.push(next && next.indent > indent ? this.node(next.indent) : null);
      } else if (splitEntry(content)) {
        // `- key: value`: a mapping whose first entry sits after the dash.
        const column = indent + (line.text.length - content.length);
        this.lines[this.i] = { ...line, indent: column, text: content };
        out.push(this.mapping(column));
      } else {
        this.i++;
        out.push(scalar(content, line.no));
      }
    }
    return out;
  }

  private mapping(indent: number): { [key: string]: YamlValue } {
    const out: { [key: string]: YamlValue } = {};
    for (let line = this.peek(); line && line.indent === indent && !isItem(line.text); line = this.peek()) {
      const entry = splitEntry(line.text);
      if (!entry) throw new YamlError(line.no, `expected "key: value", found: ${line.text}`);
      if (Object.hasOwn(out, entry.key)) throw new YamlError(line.no, `duplicate key ${entry.key}`);
      this.i++;
      out[entry.key] = this.value(entry.value, indent, line.no);
    }
    const next = this.peek();
    if (next && next.indent > indent) throw new YamlError(next.no, `unexpected indentation: ${next.text}`);
    return out;
  }

  /** A mapping entry's value: inline scalar, block scalar, or the nested block below it. */
  private value(text: string, indent: number, no: number): YamlValue {
    if (/^[|>][+-]?$/.test(text)) return this.blockScalar(text, indent);
    if (text !== "") return scalar(text, no);
    const next = this.peek();
    if (!next) return null;
    if (next.indent > indent) return this.node(next.indent);
    // A sequence may sit at its key's indentation (`key:\n- a`).
    if (next.indent === indent && isItem(next.text)) return this.sequence(indent);
    return null;
  }

  private blockScalar(header: string, indent: number): string {
    const body: string[] = [];
    let contentIndent = -1;
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      const blank = line.raw.trim() === "";
      if (!blank && line.indent <= indent) break;
      if (!blank && contentIndent < 0) contentIndent = line.indent;
      body.push(blank ? "" : line.raw.slice(contentIndent));
      this.i++;
    }
    while (body.length > 0 && body[body.length - 1] === "") body.pop();
    const text = header.startsWith(">") ? fold(body) : body.join("\n");
    if (header.endsWith("-")) return text;
    return text === "" ? "" : `${text}\n`;
  }
}

function isItem(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

/** Folded scalar: lines joined by spaces, blank lines kept as newlines. */
function fold(lines: string[]): string {
  let out = "";
  for (const line of lines) {
    if (line === "") out += "\n";
    else out += out === "" || out.endsWith("\n") ? line : ` ${line}`;
  }
  return out;
}

export function parseYaml(src: string): YamlValue {
  return new Reader(splitLines(src)).document();
}

/** The ```yaml fenced blocks of a markdown text, with the line each starts on. */
export function yamlBlocks(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.startsWith("```")) end++;
    out.push({ line: start + 1, text: lines.slice(start, end).join("\n") });
    i = end;
  }
  return out;
}
