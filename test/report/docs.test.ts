import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRunbookFile } from '../../engine/load/index.js';
import type { RunbookDoc } from '../../engine/model.js';
import { PACKAGE_ROOT, Registry } from '../../engine/plugins/registry.js';
import { actionsOf } from '../../engine/report/actions.js';
import { mdCode, renderDocs } from '../../engine/report/docs.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function docsOf(file: string): Promise<{ doc: RunbookDoc; md: string }> {
  const doc = (await loadRunbookFile(file)).doc!;
  return { doc, md: renderDocs(doc, { actions: await actionsOf(doc, new Registry()), file: path.basename(file) }) };
}

/** The Markdown split into sections by "## " / "### " headings. */
function sections(md: string): Map<string, string> {
  const out = new Map<string, string>();
  let head = '';
  for (const line of md.split('\n')) {
    if (/^#{2,3} /.test(line)) {
      head = line.replace(/^#+ /, '');
      out.set(head, '');
    } else if (head) out.set(head, `${out.get(head)}${line}\n`);
  }
  return out;
}

describe('report/docs', () => {
  it('a procedure: inputs table, parts as sections, numbered steps with refs, manual and automated steps, flow in words', async () => {
    const { doc, md } = await docsOf(path.join(here, 'fixtures/mini-s3.yaml'));
    expect(md.split('\n')[0]).to.equal('# Public S3 bucket (small test runbook)');
    expect(md).to.include('Source: [Example procedure](https://example.com/runbook)');
    const s = sections(md);
    // inputs: one table row per input
    const rows = s
      .get('Inputs')!
      .split('\n')
      .filter((l) => l.startsWith('| `'));
    expect(rows.map((r) => r.split('|')[1].trim())).to.deep.equal(Object.keys(doc.inputs!).map((k) => `\`${k}\``));
    // parts in order, steps numbered within them with their refs
    const heads = [...s.keys()];
    expect(heads.filter((h) => h.startsWith('Part'))).to.deep.equal([
      'Part 1: Gather evidence',
      'Part 2: Contain',
      'Part 3: Close',
    ]);
    expect(heads).to.include.members([
      '1.1. How did you learn of it? (1.1)',
      '1.3. Access Analyzer findings (1.2.1)',
      '2.2. Block public access (2.2)',
      '3.1. Done',
    ]);
    // manual: instructions, checklist, question
    const intake = s.get('1.1. How did you learn of it? (1.1)')!;
    expect(intake).to.include('**Manual step.**').and.include('Write down who reported the access and when.');
    expect(intake).to.include('- [ ] Ticket number recorded').and.include('- [ ] Reporter contacted');
    expect(intake).to.include('one of `ticket`, `alert`, `tip`');
    // automated read: what it does and with which inputs
    const snapshot = s.get('2.1. Exposure snapshot (2.1)')!;
    expect(snapshot).to.include('**Automated:** `aws.s3.exposureSnapshot` — Exposure snapshot of a bucket');
    expect(snapshot).to.match(/- `bucket`: `\{\{ inputs\.bucket \}\}` — Bucket name/);
    expect(snapshot).to.not.include('Approval required');
    // mutating: approval, and listed in the approvals section
    expect(s.get('2.2. Block public access (2.2)')).to.include('**Approval required**');
    const approvals = s.get('Approvals needed')!;
    expect(approvals).to.include('(#step-block)').and.include('(#step-disable-keys)').and.not.include('step-snapshot');
    // the flow in words
    expect(s.get('1.2. Bucket already known (1.3)'))
      .to.include('**Only if** `{{ inputs.bucket }}`')
      .and.include(
        'Run [Part 2: Contain](#part-contain), then come back here and go to [step 1.4 “Who owns the keys”](#step-key-owners).',
      );
    const decide = s.get('1.5. Contain now? (1.5)')!;
    expect(decide).to.include(
      '- If `{{ eq steps.intake.output "alert" }}`, run [Part 2: Contain](#part-contain), then come back here and continue.',
    );
    expect(decide).to.include('- If `{{ not inputs.bucket }}`, go to [step 3.2 “Escalate”](#step-escalate).');
    expect(decide).to.include('- Otherwise go to [step 3.1 “Done”](#step-done).');
    expect(s.get('1.3. Access Analyzer findings (1.2.1)')).to.include(
      'If this step fails, note the error and continue.',
    );
    expect(s.get('2.5. Retry block')).to.include('Go to [step 2.2 “Block public access”](#step-block).');
    expect(s.get('Part 2: Contain')).to.include('also run from [step 1.2');
    // every link points at an anchor that exists
    const anchors = new Set([...md.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
    const links = [...md.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]).filter((l) => l !== 'approvals-needed');
    expect(links.length).to.be.greaterThan(5);
    for (const l of links) expect(anchors.has(l), `anchor ${l}`).to.equal(true);
  });

  it('keeps hostile text inert: code spans hold backticks, titles cannot open HTML or tables', () => {
    expect(mdCode('a `b` c')).to.equal('``a `b` c``');
    expect(mdCode('`x`')).to.equal('`` `x` ``');
    const md = renderDocs({
      irun: 1,
      id: 'x',
      title: 'T <script>|',
      parts: [{ id: 'p', steps: [{ id: 's', title: '<img src=x>', if: 'a ` b', goto: 's' }] }],
    });
    expect(md).to.include('# T \\<script\\>\\|');
    expect(md).to.include('### 1.1. \\<img src=x\\>');
    expect(md).to.include('**Only if** ``a ` b``');
  });

  for (const name of ['s3-unintended-access', 'credential-leakage']) {
    it(`the committed docs/runbooks/${name}.md is up to date`, async function () {
      const runbook = path.join(PACKAGE_ROOT, `runbooks/${name}.yaml`);
      if (!existsSync(runbook)) this.skip();
      const committed = path.join(PACKAGE_ROOT, `docs/runbooks/${name}.md`);
      const { md } = await docsOf(runbook);
      const current = existsSync(committed) ? readFileSync(committed, 'utf8') : '';
      expect(
        current === md,
        `docs/runbooks/${name}.md is out of date; refresh it with: node --import tsx bin/dev.js docs runbooks/${name}.yaml --out docs/runbooks/${name}.md`,
      ).to.equal(true);
    });
  }
});
