/**
 * Turns free text into a safe FTS5 MATCH expression. User text is never passed through raw:
 * FTS5 syntax (quotes, NEAR, column filters, a bare `-`) would otherwise surface as SQL errors.
 * Every word becomes a quoted prefix term, so `auth*` (claude-flow's glob style) and plain `auth`
 * both match `authentication`.
 */
const MAX_TERMS = 32;

export type MatchMode = 'all' | 'any';

export function searchTerms(text: string): string[] {
  // unicode61 splits on anything that is not a letter or a number, so tokenise the same way.
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, MAX_TERMS);
}

export function ftsQuery(terms: readonly string[], mode: MatchMode): string {
  return terms.map((term) => `"${term}"*`).join(mode === 'all' ? ' AND ' : ' OR ');
}
