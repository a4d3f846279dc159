import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureDebianProgram } from './debian.js';
import { tempDir } from './temp.js';

const BROWSER_TIMEOUT_MS = 60_000;

/** Debian's chromium, for tests that check what a browser really draws. */
export function ensureChromium(): string {
  return ensureDebianProgram('/usr/bin/chromium', 'chromium');
}

/**
 * Opens `html` from file:// in headless Chromium with `mode`: `--dump-dom` returns the DOM after
 * the page's scripts ran; `--screenshot` writes a PNG and returns its path. Chromium runs in a
 * process group of its own, so a hang is ended with every helper process it started (zygote,
 * renderer), by that group's id.
 */
export async function openInChromium(html: string, mode: 'dump-dom' | 'screenshot', windowSize = '1200,900'): Promise<string> {
  const chromium = ensureChromium();
  const dir = tempDir('perfsop-chromium-');
  const file = join(dir, 'page.html');
  const screenshot = join(dir, 'page.png');
  writeFileSync(file, html);
  const child = spawn(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${join(dir, 'chromium-profile')}`,
      '--virtual-time-budget=5000',
      ...(mode === 'dump-dom' ? ['--dump-dom'] : [`--screenshot=${screenshot}`, `--window-size=${windowSize}`, '--hide-scrollbars']),
      pathToFileURL(file).href,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, BROWSER_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode: number | null) => resolve(exitCode));
  }).finally(() => {
    clearTimeout(timer);
    killGroup(); // helpers that outlived the browser process
  });
  if (timedOut) throw new Error(`chromium did not finish within ${BROWSER_TIMEOUT_MS} ms:\n${stderr.slice(-2000)}`);
  if (code !== 0) throw new Error(`chromium exited with ${code}:\n${stderr.slice(-2000)}`);
  return mode === 'dump-dom' ? stdout : screenshot;
}
