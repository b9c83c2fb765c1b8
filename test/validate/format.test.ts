import { expect } from 'chai';
import type { Diagnostic } from '../../engine/diagnostics.js';
import { parseRunbook } from '../../engine/load/index.js';
import { formatDiagnostics, type FormatInput } from '../../engine/validate/format.js';
import { validateRunbook } from '../../engine/validate/index.js';
import { dedent } from '../helpers/fs.js';
import { testRegistry } from './helpers.js';

async function sample(): Promise<FormatInput[]> {
  const text = dedent`
    irun: 1
    id: fmt
    title: Formatting
    parts:
      - id: main
        steps:
          - id: a
            action: demo.noop
            withh: {}
          - id: b
            goto: nowhere
  `;
  const loaded = parseRunbook(text, 'runbooks/fmt.yaml');
  const diagnostics = await validateRunbook(loaded, { registry: testRegistry() });
  return [
    { file: loaded.file, diagnostics, loaded },
    { file: 'runbooks/clean.yaml', diagnostics: [] },
  ];
}

/** Minimal XML well-formedness check: balanced tags, quoted attributes, escaped text. */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = token.exec(body))) {
    consumed = token.lastIndex;
    if (m[5] !== undefined) {
      expect(m[5], 'text must not contain a raw & or >').to.not.match(/&(?!(amp|lt|gt|quot|apos);)|>/);
      continue;
    }
    if (m[1]) expect(stack.pop(), `closing </${m[2]}>`).to.equal(m[2]);
    else if (!m[4]) stack.push(m[2]);
    for (const attr of m[3].matchAll(/="([^"]*)"/g)) expect(attr[1]).to.not.match(/&(?!(amp|lt|gt|quot|apos);)/);
  }
  expect(consumed, 'the whole document is tags and text').to.equal(body.length);
  expect(stack).to.deep.equal([]);
}

describe('formatDiagnostics', () => {
  it('stylish: position, severity, message, code, the source line and carets under the range, and a summary', async () => {
    const results = await sample();
    const out = formatDiagnostics(results, 'stylish');
    const lines = out.split('\n');
    expect(lines[0]).to.equal('runbooks/fmt.yaml');
    expect(lines[1]).to.match(
      /^ {2}9:9 {4}error {4}unknown property 'withh' in step \(did you mean 'with'\?\) {2}IRUN_SCHEMA$/,
    );
    expect(lines[2]).to.equal('    9 |         withh: {}');
    expect(lines[3]).to.equal('      |         ^^^^^');
    // the carets sit exactly under the key
    expect(lines[3].indexOf('^') - lines[3].indexOf('|')).to.equal(lines[2].indexOf('withh') - lines[2].indexOf('|'));
    expect(lines[4]).to.match(/^ {2}11:15 {2}error {4}goto target 'nowhere'.*IRUN_UNKNOWN_TARGET$/);
    expect(lines[6]).to.equal('       |               ^^^^^^^');
    expect(out).to.not.include('clean.yaml');
    expect(lines.at(-2)).to.equal('✖ 2 problems (2 errors, 0 warnings)');
    expect(out).to.not.include('\u001b[');
    expect(formatDiagnostics(results, 'stylish', { color: true })).to.include('\u001b[31m');
  });

  it('stylish: a clean run says so', () => {
    expect(formatDiagnostics([{ file: 'a.yaml', diagnostics: [] }], 'stylish')).to.equal(
      '✔ 1 file checked, no problems\n',
    );
  });

  it('json: an array of every diagnostic', async () => {
    const results = await sample();
    const parsed = JSON.parse(formatDiagnostics(results, 'json')) as Diagnostic[];
    expect(parsed).to.have.length(2);
    expect(parsed[0]).to.deep.include({
      code: 'IRUN_SCHEMA',
      severity: 'error',
      file: 'runbooks/fmt.yaml',
      line: 9,
      column: 9,
      endLine: 9,
      endColumn: 14,
      path: '/parts/0/steps/0/withh',
    });
    expect(parsed[1]).to.include({ code: 'IRUN_UNKNOWN_TARGET', path: '/parts/0/steps/1/goto' });
  });

  it('github: one workflow command per diagnostic, with escaping', () => {
    const d: Diagnostic = {
      code: 'IRUN_X',
      severity: 'warning',
      message: '50% done\nnext, line',
      file: 'a,b:c.yaml',
      line: 2,
      column: 3,
      endLine: 2,
      endColumn: 9,
      path: '',
    };
    const e: Diagnostic = { ...d, severity: 'error', message: 'bad', file: 'x.yaml' };
    const out = formatDiagnostics([{ file: 'x', diagnostics: [d, e] }], 'github');
    expect(out.split('\n')).to.deep.equal([
      '::warning file=a%2Cb%3Ac.yaml,line=2,col=3,endLine=2,endColumn=9,title=IRUN_X::50%25 done%0Anext, line',
      '::error file=x.yaml,line=2,col=3,endLine=2,endColumn=9,title=IRUN_X::bad',
      '',
    ]);
  });

  it('junit: one testsuite per file, one testcase per problem, escaped and well-formed', async () => {
    const results = await sample();
    results[0].diagnostics.push({ ...results[0].diagnostics[0], message: 'a <b> & "c" \u0001', code: 'IRUN_Y' });
    const xml = formatDiagnostics(results, 'junit');
    assertWellFormedXml(xml);
    expect(xml.match(/<testsuite /g)).to.have.length(2);
    expect(xml).to.include('<testsuite name="runbooks/fmt.yaml" tests="3" failures="3" errors="0">');
    expect(xml).to.include('<testsuite name="runbooks/clean.yaml" tests="1" failures="0" errors="0">');
    expect(xml.match(/<failure /g)).to.have.length(3);
    expect(xml).to.include('message="a &lt;b&gt; &amp; &quot;c&quot; "');
    expect(xml).to.include('<testsuites name="irun validate" tests="4" failures="3" errors="0">');
  });
});
