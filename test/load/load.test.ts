import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Codes } from '../../engine/errors.js';
import { loadRunbookFile, parseRunbook } from '../../engine/load/index.js';
import { dedent, tempTree } from '../helpers/fs.js';

describe('load: parseRunbook', () => {
  const text = dedent`
    irun: 1
    defaults: &aws
      region: eu-west-1
      tags: [a, b]
    parts:
      - id: main
        aws:
          <<: *aws
          roleArn: arn:aws:iam::1:role/x
        steps:
          - id: first
            with: *aws
  `;

  it('returns plain data with anchors, aliases and merge keys resolved, and the sha256 of the text', () => {
    const loaded = parseRunbook(text, 'rb.yaml');
    expect(loaded.diagnostics).to.deep.equal([]);
    const doc = loaded.doc as unknown as { parts: { aws: Record<string, unknown>; steps: { with: unknown }[] }[] };
    expect(doc.parts[0].aws).to.deep.equal({ region: 'eu-west-1', tags: ['a', 'b'], roleArn: 'arn:aws:iam::1:role/x' });
    expect(doc.parts[0].steps[0].with).to.deep.equal({ region: 'eu-west-1', tags: ['a', 'b'] });
    expect(loaded.sha256).to.equal(createHash('sha256').update(text).digest('hex'));
    expect(loaded.file).to.equal('rb.yaml');
  });

  it('locates nodes by path with 1-based line and column, values and keys', () => {
    const loaded = parseRunbook(text, 'rb.yaml');
    expect(loaded.locate(['parts', 0, 'steps', 0, 'id'])).to.deep.equal({
      file: 'rb.yaml',
      line: 11,
      column: 13,
      endLine: 11,
      endColumn: 18,
    });
    expect(loaded.locate(['parts', 0, 'steps', 0, 'id'], { key: true })).to.include({
      line: 11,
      column: 9,
      endColumn: 11,
    });
    expect(loaded.locate(['parts', 0, 'aws', 'roleArn'])).to.include({ line: 9, column: 16 });
  });

  it('follows aliases and merge keys to the anchored node', () => {
    const loaded = parseRunbook(text, 'rb.yaml');
    // parts[0].aws.region comes from the merged anchor at line 3
    expect(loaded.locate(['parts', 0, 'aws', 'region'])).to.include({ line: 3, column: 11 });
    expect(loaded.locate(['parts', 0, 'steps', 0, 'with', 'tags', 1])).to.include({ line: 4, column: 13 });
  });

  it('falls back to the nearest existing ancestor for a path that does not exist', () => {
    const loaded = parseRunbook(text, 'rb.yaml');
    const step = loaded.locate(['parts', 0, 'steps', 0]);
    expect(loaded.locate(['parts', 0, 'steps', 0, 'nope', 3])).to.deep.equal(step);
    expect(step.line).to.equal(11);
    expect(loaded.nodeAt(['parts', 0, 'steps', 0, 'nope'])).to.equal(undefined);
  });

  it('reports YAML syntax errors with positions and no document', () => {
    const loaded = parseRunbook('irun: 1\nid: x\ntitle: Check: this\n', 'bad.yaml');
    expect(loaded.doc).to.equal(undefined);
    expect(loaded.diagnostics).to.have.length(1);
    expect(loaded.diagnostics[0]).to.include({
      code: Codes.YAML_SYNTAX,
      severity: 'error',
      line: 3,
      column: 8,
      file: 'bad.yaml',
    });
  });

  it('reports duplicate keys', () => {
    const loaded = parseRunbook('irun: 1\nid: a\nid: b\n', 'dup.yaml');
    expect(loaded.diagnostics.map((d) => [d.code, d.line, d.column])).to.deep.equal([[Codes.YAML_SYNTAX, 3, 1]]);
    expect(loaded.diagnostics[0].message).to.match(/duplicate key/);
  });

  it('points an error found at the end of the text at the last line', () => {
    const loaded = parseRunbook('irun: 1\ntitle: "unclosed\n', 'eof.yaml');
    expect(loaded.diagnostics[0].line).to.equal(2);
  });
});

describe('load: loadRunbookFile', () => {
  it('reads a file', async () => {
    const t = tempTree({ 'rb.yaml': 'irun: 1\nid: x\n' });
    try {
      const loaded = await loadRunbookFile(t.file('rb.yaml'), 'rb.yaml');
      expect(loaded.doc).to.deep.equal({ irun: 1, id: 'x' });
      expect(loaded.file).to.equal('rb.yaml');
      expect(loaded.locate(['id']).line).to.equal(2);
    } finally {
      t.cleanup();
    }
  });

  it('turns a missing file into IRUN_FILE_NOT_FOUND', async () => {
    const t = tempTree();
    try {
      const loaded = await loadRunbookFile(t.file('missing.yaml'));
      expect(loaded.doc).to.equal(undefined);
      expect(loaded.diagnostics).to.have.length(1);
      expect(loaded.diagnostics[0]).to.include({ code: Codes.FILE_NOT_FOUND, severity: 'error', line: 1, column: 1 });
    } finally {
      t.cleanup();
    }
  });
});
