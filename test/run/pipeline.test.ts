import { expect } from 'chai';
import { declaredVars } from '../../engine/run/executor.js';
import { parseRunbook } from '../../engine/load/index.js';
import type { Simulator } from '../../engine/run/executor.js';
import { initialState, reduce } from '../../engine/run/state.js';
import { runYaml, testRegistry } from './helpers.js';

describe('step pipeline: run modes', () => {
  const doc = `
irun: 1
id: modes
title: Modes
parts:
  - id: p
    steps:
      - { id: look, action: t.echo, with: { value: 1 } }
      - { id: fix, action: t.change, with: { value: "{{ steps.look.output.value }}" } }
      - { id: after, action: t.echo, with: { value: 2 } }
`;
  const recording = (): Simulator & { calls: string[] } => {
    const calls: string[] = [];
    return {
      calls,
      async call(req) {
        calls.push(`${req.effect}:${req.step.id}`);
        return req.effect === 'read' ? { value: 'from scenario' } : { changed: true };
      },
    };
  };

  it('a scenario with dry-run reads from the scenario and plans the change instead of simulating it', async () => {
    const { registry, t } = testRegistry();
    const simulator = recording();
    const r = await runYaml(doc, { registry, simulator, dryRun: true });
    expect(r.status).to.equal('completed');
    expect(simulator.calls).to.deep.equal(['read:look', 'read:after']);
    expect(t.calls).to.deep.equal([]);
    expect(r.ends.get('look')!.output).to.deep.equal({ value: 'from scenario' });
    expect(r.ends.get('fix')!.status).to.equal('planned');
    expect(r.changes.map((c) => [c.step, c.status])).to.deep.equal([['fix', 'planned']]);
    const start = r.events.find((e) => e.type === 'run.start') as { dryRun: boolean; simulated: boolean };
    expect(start).to.include({ dryRun: true, simulated: true });
  });

  it('a scenario without dry-run asks approval and simulates the change', async () => {
    const { registry } = testRegistry();
    const simulator = recording();
    const r = await runYaml(doc, { registry, simulator, yes: true });
    expect(r.status).to.equal('completed');
    expect(simulator.calls).to.deep.equal(['read:look', 'mutate:fix', 'read:after']);
    expect(r.ends.get('fix')!.status).to.equal('completed');
    expect(r.events.some((e) => e.type === 'approval' && e.step === 'fix')).to.equal(true);
  });
});

describe('step pipeline: state only through events', () => {
  it('a part run per forEach item records its steps as events, so folding the journal gives the same state', async () => {
    const text = `
irun: 1
id: fec
title: ForEach call
parts:
  - id: main
    steps:
      - { id: each, forEach: ["a", "b"], as: name, call: per-item }
      - { id: done, end: { status: resolved } }
  - id: per-item
    steps:
      - { id: greet, action: t.echo, with: { value: "hi {{ name }}" } }
      - { id: mark, set: { last: "{{ name }}" } }
`;
    const r = await runYaml(text);
    expect(r.status).to.equal('completed');
    const doc = parseRunbook(text, 'test.yaml').doc!;
    const folded = initialState(doc, declaredVars(doc));
    for (const e of r.events) reduce(folded, e);
    expect(r.state.steps.greet.output).to.deep.equal({ value: 'hi b' });
    expect(folded.steps.greet).to.deep.equal(r.state.steps.greet);
    expect(folded.vars.last).to.equal('b');
    expect(folded.vars).to.deep.equal(r.state.vars);
  });
});
