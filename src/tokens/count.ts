/**
 * An estimate of how many tokens a text costs. Anthropic publishes no offline tokenizer for its
 * current models, so this is an approximation and is always labelled so: it splits text the way
 * BPE tokenizers tend to (a common word is one token, long words and numbers split, punctuation
 * and CJK characters count alone) rather than dividing characters by four, so code and prose both
 * come out near what the API reports.
 */
export const COUNT_METHOD =
  'approximate: words, numbers, punctuation, line breaks and CJK characters counted the way BPE tokenizers split them; no offline tokenizer is exact for current Claude models';

const PIECES = /(\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul})|([A-Za-z]+)|(\p{L}+)|(\p{N}+)|(\n+)|([ \t]+)|([^\s])/gsu;

export interface TokenEstimate {
  tokens: number;
  characters: number;
  words: number;
}

export function estimateTokens(text: string): TokenEstimate {
  let tokens = 0;
  let words = 0;
  for (const match of text.matchAll(PIECES)) {
    const [piece, cjk, ascii, letters, digits, newlines, spaces] = match;
    if (cjk) tokens += 1;
    else if (ascii) {
      words++;
      // Vocabularies hold most English words whole; longer, rarer ones split about every eight letters.
      tokens += 1 + Math.floor((ascii.length - 1) / 8);
    } else if (letters) {
      words++;
      // Accented and non-Latin scripts get far fewer merges in English-heavy vocabularies.
      tokens += Math.ceil(letters.length / 2);
    } else if (digits) tokens += Math.ceil(digits.length / 3);
    else if (newlines) tokens += 1;
    // One space before a word travels with the word; indentation costs about a token per four.
    else if (spaces) tokens += spaces.length > 1 ? Math.ceil(spaces.length / 4) : 0;
    else if (piece) tokens += 1;
  }
  return { tokens, characters: [...text].length, words };
}
