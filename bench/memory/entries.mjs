// The entries every memory benchmark stores and asks for: the same keys and ~200-byte values on
// every run and in every script, so their figures describe the same data.
import { createRng, sentence } from '../lib/prng.mjs';

export const SEED = 0x5eed;
export const NAMESPACE = 'bench';
export const VALUE_BYTES = 200;
export const key = (i) => `bench/item-${String(i).padStart(6, '0')}`;
/** The value of entry i: ~200 bytes of text. */
export const value = (i) => sentence(createRng(SEED + i), VALUE_BYTES);
