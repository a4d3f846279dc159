import { readFileSync } from 'node:fs';

export interface HotSpot {
  pattern: 'nested-loop' | 'lookup-in-loop';
  /** 1-based lines of the loops and of the hot line inside them. */
  lines: number[];
  /** The source lines involved, for the evidence. */
  source: string[];
}

interface Block {
  start: number;
  end: number;
}

const LOOP = /\bfor\s*\(|\bwhile\s*\(|\.(?:forEach|map|flatMap|filter|reduce|some|every|find|findIndex)\s*\(/;
const LINEAR_LOOKUP = /\.(?:includes|indexOf|lastIndexOf|find|findIndex|filter|some)\s*\(/;

/**
 * Looks at the source of a hot function around its hottest lines: a hot line inside a loop that
 * is itself inside a loop, or a linear search (includes, find, indexOf, filter, some) inside a loop,
 * is O(n^2) in the sizes involved. A light scan of the text, not a parser: it strips strings and
 * comments and matches braces, which is enough for the shapes that matter and never throws.
 */
export function scanHotLines(file: string, functionLine: number, hotLines: readonly number[]): HotSpot | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const raw = text.split('\n');
  const code = stripStringsAndComments(raw);
  const body = blockFrom(code, functionLine - 1);
  if (!body) return undefined;
  const loops: Block[] = [];
  for (let i = body.start; i <= body.end; i++) {
    if (!LOOP.test(code[i]!)) continue;
    // The loop's body: the block its line opens, else (a `for` without braces) the next line, else
    // (`items.map((x) => x.id)`) the line itself.
    const block = code[i]!.includes('{') ? blockFrom(code, i) : undefined;
    const end = block?.end ?? (/\b(for|while)\s*\(/.test(code[i]!) ? i + 1 : i);
    loops.push({ start: i, end: Math.min(end, body.end) });
  }
  for (const hot of hotLines) {
    const index = hot - 1;
    if (index < body.start || index > body.end) continue;
    // Loops that began on an earlier line and are still open at the hot line.
    const outer = loops.filter((loop) => loop.start < index && index <= loop.end);
    const lookup = LINEAR_LOOKUP.test(code[index]!);
    if (outer.length >= 2 || (lookup && outer.length >= 1)) {
      const lines = [...outer.map((loop) => loop.start + 1), hot];
      return { pattern: outer.length >= 2 ? 'nested-loop' : 'lookup-in-loop', lines, source: lines.map((line) => `${line}: ${raw[line - 1]!.trim()}`) };
    }
  }
  return undefined;
}

/** The block opened by the first `{` at or after line `from`, as line indexes. */
function blockFrom(code: readonly string[], from: number): Block | undefined {
  let depth = 0;
  let opened = false;
  for (let i = from; i < code.length && i < from + 2000; i++) {
    for (const ch of code[i]!) {
      if (ch === '{') {
        depth += 1;
        opened = true;
      } else if (ch === '}') {
        depth -= 1;
        if (opened && depth === 0) return { start: from, end: i };
      }
    }
    // A loop header without a brace on its own or the next line has a one-statement body.
    if (!opened && i > from) return undefined;
  }
  return undefined;
}

/** Replaces string, template and regex-free comment contents with spaces, keeping line structure. */
function stripStringsAndComments(lines: readonly string[]): string[] {
  let inBlockComment = false;
  return lines.map((line) => {
    let out = '';
    let quote: string | undefined;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      const next = line[i + 1];
      if (inBlockComment) {
        if (ch === '*' && next === '/') {
          inBlockComment = false;
          i++;
        }
        out += ' ';
        continue;
      }
      if (quote) {
        if (ch === '\\') {
          i++;
          out += '  ';
          continue;
        }
        if (ch === quote) quote = undefined;
        out += ch === quote || quote === undefined ? ch : ' ';
        continue;
      }
      if (ch === '/' && next === '/') break;
      if (ch === '/' && next === '*') {
        inBlockComment = true;
        i++;
        out += '  ';
        continue;
      }
      if (ch === '"' || ch === "'" || ch === '`') quote = ch;
      out += ch;
    }
    return out;
  });
}
