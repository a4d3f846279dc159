import { ensureDebianProgram } from './debian.js';

/** Debian's chromium, for tests that check what a browser really draws. */
export function ensureChromium(): string {
  return ensureDebianProgram('/usr/bin/chromium', 'chromium');
}
