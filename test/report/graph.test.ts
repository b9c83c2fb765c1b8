import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRunbookFile } from '../../engine/load/index.js';
import type { RunbookDoc } from '../../engine/model.js';
import { Registry } from '../../engine/plugins/registry.js';
import { actionsOf } from '../../engine/report/actions.js';
import { dotText, mermaidText, renderGraph, shortCondition } from '../../engine/report/graph.js';
import { decodeMermaid, hasDot, parseMermaid, runDot, type ParsedFlowchart } from './parsers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.join(here, 'fixtures/mini-s3.yaml');

async function fixture(): Promise<{ doc: RunbookDoc; effects: Map<string, 'read' | 'mutate'> }> {
  const loaded = await loadRunbookFile(FIXTURE);
  const doc = loaded.doc!;
  const infos = await actionsOf(doc, new Registry());
  return { doc, effects: new Map([...infos].map(([id, a]) => [id, a.effect])) };
}

/** Step id -> parsed vertex (the step id is the label line after the ref/title line, or the first). */
function vertexOf(parsed: ParsedFlowchart, stepId: string) {
  const v = parsed.vertices.find((x) => decodeMermaid(x.text).split('\n').includes(stepId));
  expect(v, `vertex for step ${stepId}`).to.exist;
  return v!;
}

/** A runbook whose every text tries to break out of its label. Not validated: graph is pure. */
const hostile: RunbookDoc = {
  irun: 1,
  id: 'hostile',
  title: 'Title "quoted" ]) --> X; click a call alert(1) %% \n second line',
  parts: [
    {
      id: 'subgraph',
      title: 'Part "1" [a] {b} |c| <script>alert(1)</script> #quot; & ; end',
      steps: [
        {
          id: 'end',
          title: 'Ünïcödé 日本語 🚨 "q" `tick` \\l back\\slash',
          ref: '1.1 | 1.2',
          manual: { instructions: 'x' },
        },
        { id: 'click', title: 'A]-->B{{C}}(D)', if: '{{ eq inputs.x "a|b" }}', goto: 'style' },
        { id: 'graph', title: 'line1\nline2\r\nline3', action: 'x.y.z' },
      ],
    },
    {
      id: 'style',
      title: 'classDef end fill:#f00',
      steps: [{ id: 'style-step', branch: [{ if: '{{ lt (length "]]>") 3 }} ; %%', goto: 'end' }], default: 'graph' }],
    },
  ],
};

describe('report/graph: Mermaid', () => {
  it('parses with Mermaid and keeps parts, steps, kinds and edges', async () => {
    const { doc, effects } = await fixture();
    const text = renderGraph(doc, { format: 'mermaid', effects });
    const parsed = await parseMermaid(text);
    expect(parsed.type).to.match(/^flowchart/);

    // one subgraph per part, holding exactly that part's steps
    expect(parsed.subgraphs.map((s) => decodeMermaid(s.title))).to.deep.equal([
      'Part 1: Gather evidence',
      'Part 2: Contain',
      'Part 3: Close',
    ]);
    const stepIds = doc.parts.flatMap((p) => p.steps.map((s) => s.id));
    expect(parsed.vertices).to.have.length(stepIds.length);
    doc.parts.forEach((part, i) => {
      const members = parsed.subgraphs[i].nodes
        .map((n) => parsed.vertices.find((v) => v.id === n)!)
        .map((v) => decodeMermaid(v.text));
      expect(members.map((t) => part.steps.find((s) => t.split('\n').includes(s.id))?.id)).to.deep.equal(
        part.steps.map((s) => s.id),
      );
    });

    // labels: ref, title, id
    expect(decodeMermaid(vertexOf(parsed, 'intake').text).split('\n').slice(0, 2)).to.deep.equal([
      '1.1 · How did you learn of it?',
      'intake',
    ]);

    // manual steps, reads and changes look different
    const manual = vertexOf(parsed, 'intake');
    const read = vertexOf(parsed, 'snapshot');
    const mutate = vertexOf(parsed, 'block');
    expect(manual.classes).to.include('irun-manual');
    expect(read.classes).to.include('irun-read');
    expect(mutate.classes).to.include('irun-mutate');
    expect(new Set([manual.type, read.type, mutate.type]).size).to.equal(3);
    expect(vertexOf(parsed, 'disable-keys').classes).to.include('irun-mutate');

    const edge = (from: string, to: string) =>
      parsed.edges.filter((e) => e.start === vertexOf(parsed, from).id && e.end === vertexOf(parsed, to).id);
    // conditional call: dashed and labelled with its condition; the return comes back dashed
    const call = edge('bucket-known', 'snapshot');
    expect(call).to.have.length(1);
    expect(call[0].stroke).to.equal('dotted');
    expect(decodeMermaid(call[0].text)).to.equal('call if inputs.bucket');
    const ret = edge('retry-block', 'key-owners');
    expect(ret.map((e) => [e.stroke, decodeMermaid(e.text)])).to.deep.include(['dotted', 'return']);
    // branch cases labelled with their condition, the default with "otherwise"
    expect(decodeMermaid(edge('decide', 'snapshot')[0].text)).to.equal('call if eq steps.intake.output "alert"');
    expect(decodeMermaid(edge('decide', 'escalate')[0].text)).to.equal('not inputs.bucket');
    expect(decodeMermaid(edge('decide', 'done')[0].text)).to.equal('otherwise');
    // the loop back to block is bold and says it is bounded
    const loop = edge('retry-block', 'block');
    expect(loop).to.have.length(1);
    expect(loop[0].stroke).to.equal('thick');
    expect(decodeMermaid(loop[0].text)).to.equal('if steps.still-public.output · loop, max 2 visits');
    // a plain sequence edge has no label
    expect(edge('snapshot', 'block').map((e) => e.text)).to.deep.equal(['']);
    // onError: continue is no edge; a skipped step that moves on in order adds no second arrow
    expect(edge('analyzer', 'key-owners')).to.have.length(1);
  });

  it('escapes every label: hostile titles parse and read back unchanged, adding no nodes or edges', async () => {
    const text = renderGraph(hostile, { format: 'mermaid' });
    const parsed = await parseMermaid(text);
    expect(parsed.vertices).to.have.length(4);
    expect(parsed.subgraphs.map((s) => decodeMermaid(s.title))).to.deep.equal([
      hostile.parts[0].title,
      hostile.parts[1].title,
    ]);
    const labels = parsed.vertices.map((v) => decodeMermaid(v.text));
    expect(labels[0]).to.equal('1.1 | 1.2 · Ünïcödé 日本語 🚨 "q" `tick` \\l back\\slash\nend\nmanual');
    expect(labels[2]).to.equal('line1 line2 line3\ngraph\nx.y.z');
    expect(parsed.edges.map((e) => [e.start, e.end, decodeMermaid(e.text)])).to.deep.equal([
      ['s0', 's1', ''],
      ['s1', 's2', 'if not eq inputs.x "a|b"'],
      ['s1', 's3', 'if eq inputs.x "a|b"'],
      ['s2', 's3', ''],
      ['s3', 's0', '{{ lt (length "]]>") 3 }} ; %% · loop, max 3 visits'],
      ['s3', 's2', 'otherwise · loop, max 3 visits'],
    ]);
    expect(text).to.not.include('<script>');
  });

  it('the parser used here rejects a broken diagram (the checks above can fail)', async () => {
    const broken = 'flowchart TD\n  s0["a "quoted" label"] --> s1\n';
    let failed = false;
    try {
      await parseMermaid(broken);
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    // and unescaped text in our own output would break it too
    const raw = renderGraph(hostile, { format: 'mermaid' }).replace(/#34;/g, '"');
    let rawFailed = false;
    try {
      await parseMermaid(raw);
    } catch {
      rawFailed = true;
    }
    expect(rawFailed).to.equal(true);
  });

  it('mermaidText and shortCondition', () => {
    expect(mermaidText('a"b<c>|d\ne: f')).to.equal('a#34;b#60;c#62;#124;d e#58; f');
    expect(shortCondition('{{ eq  steps.x.output\n "y" }}')).to.equal('eq steps.x.output "y"');
    expect(shortCondition(`{{ ${'a'.repeat(100)} }}`, 10)).to.equal('aaaaaaaaa…');
    expect(shortCondition('text {{ x }} more')).to.equal('text {{ x }} more');
  });
});

describe('report/graph: DOT', function () {
  before(function () {
    if (!hasDot()) {
      console.log('    (skipped: Graphviz `dot` is not installed; apt-get install -y graphviz)');
      this.skip();
    }
  });

  interface Json0 {
    objects: { _gvid: number; name: string; label?: string; shape?: string; nodes?: number[] }[];
    edges?: { tail: number; head: number; label?: string; style?: string }[];
  }
  const unescape = (s: string | undefined) => (s ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

  it('renders with `dot -Tsvg` and keeps clusters, shapes and edge styles', async () => {
    const { doc, effects } = await fixture();
    const text = renderGraph(doc, { format: 'dot', effects });
    const svg = runDot(text, 'svg');
    expect(svg.stderr).to.equal('');
    expect(svg.status).to.equal(0);
    expect(svg.stdout).to.match(/<svg[\s>]/);

    const json = JSON.parse(runDot(text, 'json').stdout) as Json0;
    const clusters = json.objects.filter((o) => o.name.startsWith('cluster_'));
    expect(clusters.map((c) => unescape(c.label))).to.deep.equal([
      'Part 1: Gather evidence',
      'Part 2: Contain',
      'Part 3: Close',
    ]);
    const nodes = json.objects.filter((o) => !o.name.startsWith('cluster_'));
    const byStep = (id: string) => nodes.find((n) => unescape(n.label).split('\n').includes(id))!;
    const stepIds = new Set(doc.parts.flatMap((p) => p.steps.map((st) => st.id)));
    expect(
      clusters[1].nodes!.map((g) =>
        unescape(json.objects.find((o) => o._gvid === g)!.label)
          .split('\n')
          .find((l) => stepIds.has(l)),
      ),
    ).to.deep.equal(['snapshot', 'block', 'disable-keys', 'still-public', 'retry-block']);
    expect(byStep('intake').shape).to.equal('parallelogram');
    expect(byStep('block').shape).to.equal('hexagon');
    expect(byStep('snapshot').shape).to.equal('box');
    const edge = (a: string, b: string) =>
      json.edges!.filter((e) => e.tail === byStep(a)._gvid && e.head === byStep(b)._gvid);
    expect(edge('bucket-known', 'snapshot').map((e) => [e.style, unescape(e.label)])).to.deep.equal([
      ['dashed', 'call if inputs.bucket'],
    ]);
    expect(edge('retry-block', 'block').map((e) => unescape(e.label))).to.deep.equal([
      'if steps.still-public.output · loop, max 2 visits',
    ]);
  });

  it('escapes hostile labels: still valid, same node and edge count, labels read back', () => {
    const text = renderGraph(hostile, { format: 'dot' });
    const svg = runDot(text, 'svg');
    expect(svg.status, svg.stderr).to.equal(0);
    const json = JSON.parse(runDot(text, 'json').stdout) as Json0;
    const nodes = json.objects.filter((o) => !o.name.startsWith('cluster_'));
    expect(nodes).to.have.length(4);
    expect(json.edges!.map((e) => unescape(e.label))).to.deep.equal([
      '',
      'if not eq inputs.x "a|b"',
      'if eq inputs.x "a|b"',
      '',
      '{{ lt (length "]]>") 3 }} ; %% · loop, max 3 visits',
      'otherwise · loop, max 3 visits',
    ]);
    expect(json.objects.filter((o) => o.name.startsWith('cluster_')).map((c) => unescape(c.label))).to.deep.equal([
      hostile.parts[0].title,
      hostile.parts[1].title,
    ]);
    expect(unescape(nodes[0].label)).to.equal('1.1 | 1.2 · Ünïcödé 日本語 🚨 "q" `tick` \\l back\\slash\nend\nmanual');
  });

  it('the check can fail: an unescaped quote breaks dot', () => {
    expect(dotText('a"b\\c\nd')).to.equal('a\\"b\\\\c\\nd');
    const raw = renderGraph(hostile, { format: 'dot' }).replace(/\\"/g, '"');
    expect(runDot(raw, 'svg').status).to.not.equal(0);
  });
});
