/**
 * The HTML report in a real browser: headless Chromium loads the file (no network, a throwaway
 * profile), and the DOM it builds must hold every main section, the dry-run banner in each, the
 * hostile answer as text (never as an element), and no script. A screenshot must be a real image.
 * Skips, saying why, where Chromium is not installed.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildReport, renderReport } from '../../engine/report/report.js';
import { recordRun, type RecordedRun } from './run-fixture.js';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH && existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
  return CANDIDATES.find((c) => existsSync(c));
}

function chromium(bin: string, profile: string, args: string[]) {
  return spawnSync(
    bin,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
}

describe('report: HTML in headless Chromium', function () {
  this.timeout(120_000);
  let bin: string | undefined;
  let rec: RecordedRun | undefined;
  let tmp: string;
  let file: string;

  before(async function () {
    bin = findChromium();
    if (!bin) {
      console.log(
        `      skipped: Chromium is not installed (looked for ${CANDIDATES.join(', ')}; set CHROMIUM_PATH or apt-get install chromium)`,
      );
      this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'irun-report-browser-'));
    rec = await recordRun({ dryRun: true });
    file = path.join(tmp, 'report.html');
    writeFileSync(file, await renderReport(await buildReport(rec.dir), 'html'));
  });

  after(() => {
    rec?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('builds a DOM with every main section, the banner in each, and hostile text as text', () => {
    const r = chromium(bin!, path.join(tmp, 'profile-dom'), ['--dump-dom', `file://${file}`]);
    expect(r.status, r.stderr).to.equal(0);
    const dom = r.stdout;
    for (const h of [
      'Summary',
      'Integrity',
      'Inputs',
      'Timeline',
      'Decisions',
      'Changes',
      'Evidence',
      'Open manual items',
      'Errors',
      'Post-incident review: Part 5: Post-incident activity',
    ]) {
      expect(dom, h).to.include(`<h2>${h}</h2>`);
    }
    const sections = dom.match(/<section id="[a-z-]+">\s*<div class="mode-banner dry-run" role="note">DRY-RUN/g) ?? [];
    expect(sections).to.have.length(10);
    expect(dom).to.match(
      /<table><thead><tr><th>Time<\/th><th>Step<\/th><th>Ref<\/th><th>Part<\/th><th>Actor<\/th><th>Status<\/th><th>Duration<\/th><th>Detail<\/th><\/tr><\/thead>/,
    );
    expect(dom).to.match(/<details[^>]*><summary>evidence\/0001-dump-dump\.json<\/summary>/);
    // The answer's <script> stayed text: serialised escaped, no script element in the DOM.
    expect(dom).to.include('&lt;script&gt;alert(1)&lt;/script&gt; {{ inputs.x }}');
    expect(dom).to.not.match(/<script/i);
  });

  it('renders a non-trivial screenshot', () => {
    const png = path.join(tmp, 'report.png');
    const r = chromium(bin!, path.join(tmp, 'profile-shot'), [
      '--hide-scrollbars',
      '--window-size=1280,1600',
      `--screenshot=${png}`,
      `file://${file}`,
    ]);
    expect(r.status, r.stderr).to.equal(0);
    expect(existsSync(png)).to.equal(true);
    const head = readFileSync(png).subarray(0, 8);
    expect(head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).to.equal(true);
    // A blank page compresses to a few KB; the report's tables and text make it far larger.
    expect(statSync(png).size).to.be.greaterThan(40_000);
  });
});
