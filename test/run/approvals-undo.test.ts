/**
 * Approvals, resume and undo through the public entry points (execute, undoRun): a read step
 * that asks for approval, one approval for a mutating forEach, a resume in the middle of a
 * forEach that skips the items already done, and the state each undo is handed.
 */
import { expect } from 'chai';
import type { IrunError } from '../../engine/errors.js';
import type { RunEvent } from '../../engine/run/events.js';
import type { ApprovalRequest, ApprovalResult, Human } from '../../engine/run/human.js';
import { undoRun } from '../../engine/run/undo.js';
import { runYaml, testRegistry } from './helpers.js';

/** Answers every approval with the same decision and remembers what it was asked. */
class Deciding implements Human {
  readonly asked: ApprovalRequest[] = [];
  constructor(private readonly approved: boolean | undefined) {}
  async answer() {
    return undefined;
  }
  async approve(r: ApprovalRequest): Promise<ApprovalResult | undefined> {
    this.asked.push(r);
    if (this.approved === undefined) return undefined;
    return { approved: this.approved, actor: 'carol', source: 'prompt' };
  }
}

const approvals = (events: RunEvent[]) =>
  events.filter((e) => e.type === 'approval') as Extract<RunEvent, { type: 'approval' }>[];

describe('executor: approve: required on a read step', () => {
  const doc = `
irun: 1
id: read-approve
title: Read with approval
parts:
  - id: p
    steps:
      - { id: look, action: t.echo, approve: required, with: { value: 1 } }
      - { id: after, action: t.echo, with: { value: 2 } }
`;

  it('waits for approval and does not read before it is given', async () => {
    const { registry, t } = testRegistry();
    const r = await runYaml(doc, { registry });
    expect(r.status).to.equal('waiting');
    expect(r.waiting).to.include({ step: 'look', reason: 'approval' });
    expect(t.calls).to.deep.equal([]);
  });

  it('runs once approved, with the approval recorded; a decline skips the read', async () => {
    const { registry, t } = testRegistry();
    const r = await runYaml(doc, { registry, approve: ['look'] });
    expect(r.status).to.equal('completed');
    expect(t.calls.map((c) => c.input)).to.deep.equal([{ value: 1 }, { value: 2 }]);
    expect(approvals(r.events).map((a) => ({ step: a.step, approved: a.approved }))).to.deep.equal([
      { step: 'look', approved: true },
    ]);

    const declined = testRegistry();
    const d = await runYaml(doc, { registry: declined.registry, human: new Deciding(false) });
    expect(d.ends.get('look')).to.include({ status: 'skipped', reason: 'declined' });
    expect(declined.t.calls.map((c) => c.input)).to.deep.equal([{ value: 2 }]);
  });

  it('a read step without approve: required is never held for approval', async () => {
    const { registry, t } = testRegistry();
    const human = new Deciding(undefined);
    const r = await runYaml(doc.replace(', approve: required', ''), { registry, human });
    expect(r.status).to.equal('completed');
    expect(human.asked).to.deep.equal([]);
    expect(t.calls).to.have.length(2);
  });
});

describe('executor: approval of a mutating forEach', () => {
  const doc = (extra = '') => `
irun: 1
id: foreach-approve
title: Change each
parts:
  - id: p
    steps:
      - id: each
        forEach: [a, b, c]
        action: t.change
        with: { value: "{{ item }}" }${extra}
`;

  it('one approval, asked before any item changes, covers every item', async () => {
    const { registry, t } = testRegistry();
    const human = new Deciding(true);
    const r = await runYaml(doc(), { registry, human });
    expect(r.status).to.equal('completed');
    expect(human.asked).to.have.length(1);
    expect(human.asked[0].plan.summary).to.equal('t.change for each of 3 item(s)');
    expect(t.calls.map((c) => c.input)).to.deep.equal([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    const a = approvals(r.events);
    expect(a).to.have.length(1);
    expect(a[0]).to.include({ step: 'each', approved: true, actor: 'carol' });
    // the approval comes before the first item
    const firstItem = r.events.findIndex((e) => e.type === 'item.end');
    expect(r.events.indexOf(a[0])).to.be.lessThan(firstItem);
  });

  it('without an approval the run waits and no item changes; a decline changes nothing', async () => {
    const waiting = testRegistry();
    const w = await runYaml(doc(), { registry: waiting.registry });
    expect(w.status).to.equal('waiting');
    expect(w.waiting).to.include({ step: 'each', reason: 'approval' });
    expect(waiting.t.mutations).to.equal(0);

    const declined = testRegistry();
    const d = await runYaml(doc(), { registry: declined.registry, human: new Deciding(false) });
    expect(d.ends.get('each')).to.include({ status: 'skipped', reason: 'declined' });
    expect(declined.t.mutations).to.equal(0);
  });

  it('approve: auto runs every item without asking', async () => {
    const { registry, t } = testRegistry();
    const human = new Deciding(undefined);
    const r = await runYaml(doc('\n        approve: auto'), { registry, human });
    expect(r.status).to.equal('completed');
    expect(human.asked).to.deep.equal([]);
    expect(t.mutations).to.equal(3);
  });
});

describe('executor: resume in the middle of a forEach', () => {
  const doc = `
irun: 1
id: foreach-resume
title: Resume each
parts:
  - id: p
    steps:
      - id: each
        forEach: [a, b, c, d]
        action: t.echo
        with: { value: "{{ item }}" }
      - id: after
        action: t.echo
        with: { value: "{{ steps.each.output }}" }
`;

  it('after a crash between items, runs only the items not done and keeps every result in order', async () => {
    const first = testRegistry();
    const full = await runYaml(doc, { registry: first.registry });
    expect(full.status).to.equal('completed');
    // the journal of a process that died after the second item
    const cut = full.events.findIndex((e) => e.type === 'item.end' && e.index === 1);
    const history = full.events.slice(0, cut + 1);

    const again = testRegistry();
    const r = await runYaml(doc, { registry: again.registry, history });
    expect(r.status).to.equal('completed');
    expect(again.t.calls.map((c) => c.input)).to.deep.equal([
      { value: 'c' },
      { value: 'd' },
      { value: ['a', 'b', 'c', 'd'].map((value) => ({ value })) },
    ]);
    expect(r.ends.get('each')!.output).to.deep.equal(['a', 'b', 'c', 'd'].map((value) => ({ value })));
    const items = r.events.filter((e) => e.type === 'item.end').map((e) => (e as { index: number }).index);
    expect(items).to.deep.equal([2, 3]);
  });

  it('a mutating forEach resumed after a crash changes only the remaining items', async () => {
    const mutating = doc.replace(
      'action: t.echo\n        with: { value: "{{ item }}" }',
      'action: t.change\n        with: { value: "{{ item }}" }',
    );
    const first = testRegistry();
    const full = await runYaml(mutating, { registry: first.registry, yes: true });
    expect(full.status).to.equal('completed');
    expect(first.t.mutations).to.equal(4);
    const cut = full.events.findIndex((e) => e.type === 'item.end' && e.index === 2);

    const again = testRegistry();
    const r = await runYaml(mutating, { registry: again.registry, yes: true, history: full.events.slice(0, cut + 1) });
    expect(r.status).to.equal('completed');
    expect(again.t.calls.filter((c) => c.action === 'change').map((c) => c.input)).to.deep.equal([{ value: 'd' }]);
  });
});

describe('undo is handed the state recorded before each change', () => {
  it('a single change: the input, the captured before-state and the output, from the journal', async () => {
    const doc = `
irun: 1
id: undo-one
title: Undo one
parts:
  - id: p
    steps:
      - { id: fix, action: t.change, with: { value: 42 } }
`;
    const { registry, t } = testRegistry();
    t.mutations = 7; // the state before the change
    const r = await runYaml(doc, { registry, yes: true });
    expect(r.ends.get('fix')!.before).to.deep.equal({ mutations: 7 });
    expect(t.mutations).to.equal(8);
    const summary = await undoRun({
      events: r.events,
      registry,
      human: new Deciding(true),
      actor: 'carol',
      runId: r.runId,
      aws: {},
      version: '0.0.0',
      evidenceFor: () => ({ save: async () => ({ name: '', file: '', sha256: '', bytes: 0 }), read: async () => '' }),
      emit: () => undefined,
    });
    expect(summary.completed).to.deep.equal(['fix']);
    expect(t.undos).to.deep.equal([{ input: { value: 42 }, before: { mutations: 7 }, output: { changed: true } }]);
  });

  it('a forEach: each item is undone with its own before-state, newest first', async () => {
    const doc = `
irun: 1
id: undo-each
title: Undo each
parts:
  - id: p
    steps:
      - id: each
        forEach: [a, b, c]
        action: t.change
        with: { value: "{{ item }}" }
`;
    const { registry, t } = testRegistry();
    const r = await runYaml(doc, { registry, yes: true });
    expect(t.mutations).to.equal(3);
    const undone: unknown[] = [];
    const summary = await undoRun({
      events: r.events,
      registry,
      human: new Deciding(true),
      actor: 'carol',
      runId: r.runId,
      aws: {},
      version: '0.0.0',
      evidenceFor: () => ({ save: async () => ({ name: '', file: '', sha256: '', bytes: 0 }), read: async () => '' }),
      emit: (e) => void undone.push(e),
    });
    expect(summary.completed).to.deep.equal(['each#2', 'each#1', 'each#0']);
    expect(t.undos).to.deep.equal([
      { input: { value: 'c' }, before: { mutations: 2 }, output: { changed: true } },
      { input: { value: 'b' }, before: { mutations: 1 }, output: { changed: true } },
      { input: { value: 'a' }, before: { mutations: 0 }, output: { changed: true } },
    ]);
    expect(t.mutations).to.equal(0);
    expect(undone).to.have.length(3);
  });
});

describe('undo: which changes, and what stops it', () => {
  const doc = `
irun: 1
id: undo-many
title: Undo many
parts:
  - id: p
    steps:
      - { id: look, action: t.echo, with: { value: 1 } }
      - { id: first, action: t.change, with: { value: 1 } }
      - { id: second, action: t.change, with: { value: 2 } }
      - { id: reads, forEach: [a, b], action: t.echo, with: { value: "{{ item }}" } }
`;
  const run = async () => {
    const { registry, t } = testRegistry();
    const r = await runYaml(doc, { registry, yes: true });
    expect(r.status).to.equal('completed');
    return { registry, t, events: r.events, runId: r.runId };
  };
  const undo = (
    x: { registry: Awaited<ReturnType<typeof run>>['registry']; events: RunEvent[]; runId: string },
    human: Human,
    more: { steps?: string[] } = {},
  ) => {
    const emitted: RunEvent[] = [];
    return undoRun({
      events: x.events,
      registry: x.registry,
      human,
      actor: 'carol',
      runId: x.runId,
      aws: {},
      version: '0.0.0',
      evidenceFor: () => ({ save: async () => ({ name: '', file: '', sha256: '', bytes: 0 }), read: async () => '' }),
      emit: (e) => void emitted.push(e),
      ...more,
    }).then((summary) => ({ summary, emitted }));
  };

  it('only completed changes are undone (not reads, not read forEach items), newest first, and never twice', async () => {
    const x = await run();
    const { summary, emitted } = await undo(x, new Deciding(true));
    expect(summary).to.deep.equal({ completed: ['second', 'first'], refused: [], declined: [] });
    expect(x.t.undos.map((u) => u.input)).to.deep.equal([{ value: 2 }, { value: 1 }]);
    const again = await undo({ ...x, events: [...x.events, ...emitted] }, new Deciding(true));
    expect(again.summary.completed).to.deep.equal([]);
    expect(x.t.undos).to.have.length(2);
  });

  it('--step limits the undo; a step with no change to undo is refused with the steps that have one', async () => {
    const x = await run();
    const { summary } = await undo(x, new Deciding(true), { steps: ['first'] });
    expect(summary.completed).to.deep.equal(['first']);
    let err: IrunError | undefined;
    try {
      await undo(x, new Deciding(true), { steps: ['look', 'nope'] });
    } catch (e) {
      err = e as IrunError;
    }
    expect(err?.code).to.equal('IRUN_UNDO_NOTHING');
    expect(err?.message).to.equal('no recorded change to undo at steps look, nope');
    expect(err?.suggestions).to.deep.equal(['steps with changes to undo: second, first']);
  });

  it('a decline skips one change and goes on; no decision stops and waits', async () => {
    const x = await run();
    const declined = await undo(x, new Deciding(false));
    expect(declined.summary).to.deep.equal({ completed: [], refused: [], declined: ['second', 'first'] });
    expect(declined.emitted.map((e) => (e as { status: string }).status)).to.deep.equal(['declined', 'declined']);
    expect(x.t.undos).to.deep.equal([]);
    const waiting = await undo(x, new Deciding(undefined));
    expect(waiting.summary).to.deep.equal({ completed: [], refused: [], declined: [], waitingFor: 'second' });
    expect(waiting.emitted).to.deep.equal([]);
  });

  it('asks approval with the recorded states: the output as before, the captured state as after', async () => {
    const x = await run();
    const human = new Deciding(true);
    await undo(x, human, { steps: ['first'] });
    expect(human.asked).to.have.length(1);
    expect(human.asked[0]).to.deep.include({ action: 't.change', input: { value: 1 } });
    expect(human.asked[0].plan).to.deep.equal({
      summary: 'undo t.change of step first: restore the state recorded before the change',
      before: { changed: true },
      after: { mutations: 0 },
    });
  });
});
