import { beforeAll, describe, expect, it } from 'vitest';
import { parseCpuProfile, type CpuProfile } from '../../src/profile/cpuprofile.js';
import { renderFlameGraph } from '../../src/report/flamegraph.js';
import { ensureChromium, openInChromium } from '../helpers/chromium.js';
import { recordCpuProfile } from '../helpers/cpu-profile.js';
import { REPO_ROOT } from '../helpers/mcp.js';

let profile: CpuProfile;
beforeAll(async () => {
  ensureChromium();
  // Recorded once: on a second run V8 inlines the warm hot loop into its caller, whose frame then
  // carries the time instead.
  profile = await recordProfile();
});

// A named function that burns CPU, so it is on the stack in most samples.
function flamegraphE2eHotLoop(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) x = (x + Math.sqrt(i * x + 1)) % 1_000_003;
  }
  return x;
}

async function recordProfile(): Promise<CpuProfile> {
  return parseCpuProfile(await recordCpuProfile(() => flamegraphE2eHotLoop(200)));
}

async function dumpDom(html: string): Promise<string> {
  return openInChromium(html, 'dump-dom');
}

function renderedCount(dom: string): number {
  const match = /<html[^>]*\sdata-rendered="(\d+)"/.exec(dom);
  expect(match, dom.slice(0, 500)).not.toBeNull();
  return Number(match![1]);
}

describe('the flame graph in headless Chromium', () => {
  it('draws a real profile from file:// with its inline script', { timeout: 120_000 }, async () => {
    const html = renderFlameGraph(profile, { title: 'e2e flame graph', subtitle: '200 ms of a hot loop', appRoot: REPO_ROOT });
    const dom = await dumpDom(html);
    const drawn = renderedCount(dom);
    expect(drawn).toBeGreaterThan(0);
    expect(dom.match(/<rect /g)?.length).toBe(drawn);
    // The hot function has a frame whose tooltip carries its numbers.
    expect(dom).toMatch(/<title>flamegraphE2eHotLoop\n[^<]*flamegraph-render\.test\.ts:\d+\ntotal [\d.]+ ms \([\d.]+%\)\nself [\d.]+ ms \([\d.]+%\)<\/title>/);
  });

  it('zooms on click, highlights search matches and resets', { timeout: 120_000 }, async () => {
    const html = renderFlameGraph(profile, { title: 'interaction', appRoot: REPO_ROOT });
    // Drives the page the way a user would, then leaves what it saw on <html> for --dump-dom.
    const driver = `<script>
      (function () {
        window.onerror = function (message) { document.documentElement.dataset.error = String(message); };
        var root = document.documentElement, svg = document.getElementById('flame');
        var initial = root.dataset.rendered;
        var hot = Array.prototype.find.call(svg.querySelectorAll('g'), function (g) {
          return g.querySelector('title').textContent.indexOf('flamegraphE2eHotLoop') === 0;
        });
        hot.dispatchEvent(new MouseEvent('click', { bubbles: true }));
        var zoomed = Array.prototype.find.call(svg.querySelectorAll('g'), function (g) {
          return g.querySelector('title').textContent.indexOf('flamegraphE2eHotLoop') === 0 && !g.classList.contains('ancestor');
        });
        root.dataset.zoomWidth = zoomed.querySelector('rect').getAttribute('width');
        root.dataset.svgWidth = svg.getAttribute('width');
        root.dataset.zoomStatus = document.getElementById('status').textContent;
        var search = document.getElementById('search');
        search.value = 'HotLoop';
        search.dispatchEvent(new Event('input'));
        root.dataset.matches = String(svg.querySelectorAll('g.match').length);
        root.dataset.searchStatus = document.getElementById('status').textContent;
        search.value = '';
        search.dispatchEvent(new Event('input'));
        document.getElementById('reset').click();
        root.dataset.initial = initial;
      })();
    </script>`;
    const dom = await dumpDom(html.replace('</body>', `${driver}\n</body>`));
    const attribute = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(dom)?.[1];
    const htmlTag = /<html[^>]*>/.exec(dom)?.[0];
    expect(attribute('data-initial'), `the driver script did not finish: ${htmlTag}`).toBeDefined();
    expect(Number(attribute('data-zoom-width'))).toBeCloseTo(Number(attribute('data-svg-width')), 1);
    expect(attribute('data-zoom-status')).toMatch(/^zoomed into flamegraphE2eHotLoop/);
    expect(Number(attribute('data-matches'))).toBeGreaterThan(0);
    expect(attribute('data-search-status')).toMatch(/\d+ frames match, [\d.]+ ms/);
    expect(attribute('data-rendered')).toBe(attribute('data-initial'));
  });

  it('reads a hostile function name back as text, without running it', { timeout: 120_000 }, async () => {
    const evil = '</script><script>document.documentElement.dataset.pwned="yes"</script><!--';
    const hostile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, children: [2] },
        { id: 2, callFrame: { functionName: evil, scriptId: '1', url: 'file:///app/evil.js', lineNumber: 0, columnNumber: 0 } },
      ],
      startTime: 0,
      endTime: 2000,
      samples: [2, 2],
      timeDeltas: [1000, 1000],
    };
    const dom = await dumpDom(renderFlameGraph(hostile, { title: evil, appRoot: '/app' }));
    expect(renderedCount(dom)).toBe(2);
    expect(dom).not.toContain('data-pwned');
    expect(dom).toContain('&lt;/script&gt;&lt;script&gt;document.documentElement.dataset.pwned');
  });
});
