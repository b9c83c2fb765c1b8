import { expect } from 'chai';
import { parse } from 'yaml';
import type { RunbookDoc } from '../../engine/model.js';
import { buildFlowGraph, cycles } from '../../engine/validate/flow.js';
import { dedent } from '../helpers/fs.js';

const graphOf = (yaml: string) => buildFlowGraph(parse(yaml) as RunbookDoc);
const edges = (yaml: string) =>
  graphOf(yaml)
    .edges.map((e) => `${e.from} -${e.label}-> ${e.to}`)
    .sort();

describe('flow graph', () => {
  it('runs steps in order and falls through from one part to the next', () => {
    expect(
      edges(dedent`
        parts:
          - id: p1
            steps: [{ id: a, action: x.y }, { id: b, action: x.y }]
          - id: p2
            steps: [{ id: c, end: { status: resolved } }]
      `),
    ).to.deep.equal(['a -next-> b', 'b -next-> c']);
  });

  it('a call enters the part and returns to the step after the caller; a part entered only by call does not fall through', () => {
    const g = graphOf(dedent`
      parts:
        - id: main
          steps:
            - { id: a, call: sub }
            - { id: b, end: { status: resolved } }
        - id: sub
          steps:
            - { id: s1, action: x.y }
        - id: after
          steps:
            - { id: z, action: x.y }
    `);
    const list = g.edges.map((e) => `${e.from} -${e.label}-> ${e.to}`).sort();
    expect(list).to.deep.equal(['a -call-> s1', 's1 -return-> b']);
    expect(g.callers.get('sub')).to.deep.equal(['a']);
    expect(g.callSummaries.map((e) => `${e.from}->${e.to}`)).to.deep.equal(['a->b']);
    expect([...g.reachable([g.entry!])].sort()).to.deep.equal(['a', 'b', 's1']);
  });

  it('next overrides the successor of a step that ran; a skipped step moves on in order', () => {
    expect(
      edges(dedent`
        parts:
          - id: main
            steps:
              - { id: known, if: "{{ inputs.b }}", call: sub, next: five }
              - { id: four, action: x.y }
              - { id: five, end: { status: resolved } }
          - id: sub
            steps: [{ id: s1, action: x.y }]
      `),
    ).to.deep.equal(['four -next-> five', 'known -call-> s1', 'known -if-false-> four', 's1 -return-> five']);
  });

  it('labels branch cases, default, goto and onError edges', () => {
    expect(
      edges(dedent`
        parts:
          - id: main
            steps:
              - id: pick
                branch:
                  - { if: "{{ a }}", goto: two }
                  - { if: "{{ b }}", call: sub }
                default: three
              - { id: two, action: x.y, onError: { goto: three } }
              - { id: three, goto: main }
          - id: sub
            steps: [{ id: s1, action: x.y }]
      `),
    ).to.deep.equal([
      'pick -branch:default-> three',
      'pick -branch:{{ a }}-> two',
      'pick -branch:{{ b }}-> s1',
      's1 -return-> two',
      'three -goto-> pick',
      'two -error-> three',
      'two -next-> three',
    ]);
  });

  it('finds real loops, and does not join two callers of the same part into one', () => {
    const twoCallers = graphOf(dedent`
      parts:
        - id: main
          steps:
            - { id: a, call: sub }
            - { id: b, action: x.y }
            - { id: c, call: sub }
            - { id: d, end: { status: resolved } }
        - id: sub
          steps: [{ id: s1, action: x.y }]
    `);
    // the call/return edges alone would make b -> c -> s1 -> b a cycle
    expect(cycles(twoCallers)).to.deep.equal([]);
    const loop = graphOf(dedent`
      parts:
        - id: main
          steps:
            - { id: a, action: x.y }
            - { id: b, action: x.y }
            - { id: c, goto: a }
    `);
    expect(cycles(loop)).to.deep.equal([['a', 'b', 'c']]);
  });

  it('tolerates malformed documents', () => {
    expect(buildFlowGraph(undefined).edges).to.deep.equal([]);
    expect(
      buildFlowGraph({
        parts: [null, { id: 'p', steps: 'x' }, { id: 'q', steps: [{ id: 'a', goto: 'nowhere' }] }],
      } as unknown as RunbookDoc).edges,
    ).to.deep.equal([]);
  });
});
