import { expect } from 'chai';
import { dedent } from '../helpers/fs.js';
import { runYaml, testRegistry } from './helpers.js';

describe('executor flow', () => {
  it('runs steps in order and falls through from one part to the next', async () => {
    const r = await runYaml(dedent`
      irun: 1
      id: seq
      title: Sequence
      parts:
        - id: one
          steps:
            - { id: a, action: t.echo, with: { value: 1 } }
            - { id: b, action: t.echo, with: { value: "{{ steps.a.output.value }}" } }
        - id: two
          steps:
            - { id: c, action: t.echo, with: { value: "b said {{ steps.b.output.value }}" } }
    `);
    expect(r.status).to.equal('completed');
    expect(r.path).to.deep.equal(['a', 'b', 'c']);
    expect(r.state.steps.b.output).to.deep.equal({ value: 1 });
    expect(r.state.steps.c.output).to.deep.equal({ value: 'b said 1' });
    const parts = r.events
      .filter((e) => e.type === 'part.start' || e.type === 'part.end')
      .map((e) => `${e.type}:${(e as { part: string }).part}`);
    expect(parts).to.deep.equal(['part.start:one', 'part.end:one', 'part.start:two', 'part.end:two']);
  });

  it('skips a step whose `if` is false and records why', async () => {
    const r = await runYaml(dedent`
      irun: 1
      id: cond
      title: Cond
      inputs: { flag: { type: boolean, default: false } }
      parts:
        - id: p
          steps:
            - { id: a, if: "{{ inputs.flag }}", action: t.echo }
            - { id: b, if: "{{ not inputs.flag }}", action: t.echo }
    `);
    expect(r.ends.get('a')!.status).to.equal('skipped');
    expect(r.ends.get('a')!.reason).to.equal('condition false');
    expect(r.ends.get('b')!.status).to.equal('completed');
  });

  it('a call runs the part and returns to the step after the caller; `next` on the caller wins', async () => {
    const r = await runYaml(dedent`
      irun: 1
      id: call
      title: Call
      parts:
        - id: main
          steps:
            - { id: first, action: t.echo }
            - { id: do-sub, call: sub }
            - { id: after-sub, action: t.echo }
            - { id: do-sub-again, call: sub, next: last }
            - { id: skipped-over, action: t.echo }
            - { id: last, end: { status: resolved, message: done } }
        - id: sub
          steps:
            - { id: s1, action: t.echo, with: { value: "{{ parts.sub.visits }}" } }
            - { id: s2, action: t.echo }
    `);
    expect(r.path).to.deep.equal(['first', 'do-sub', 's1', 's2', 'after-sub', 'do-sub-again', 's1', 's2', 'last']);
    expect(r.outcome).to.equal('resolved');
    expect(r.message).to.equal('done');
    expect(r.state.steps.s1.output).to.deep.equal({ value: 2 });
    expect(r.state.callStack).to.deep.equal([]);
    expect(r.state.parts.sub.status).to.equal('completed');
  });

  it('a call at the end of a called part returns through both frames', async () => {
    const r = await runYaml(dedent`
      irun: 1
      id: nested
      title: Nested
      parts:
        - id: main
          steps:
            - { id: go, call: a }
            - { id: back, action: t.echo }
            - { id: stop, end: { status: resolved } }
        - id: a
          steps:
            - { id: a1, action: t.echo }
            - { id: to-b, call: b }
        - id: b
          steps:
            - { id: b1, action: t.echo }
    `);
    expect(r.path).to.deep.equal(['go', 'a1', 'to-b', 'b1', 'back', 'stop']);
  });

  it('a loop stops at maxVisits with a clear error', async () => {
    const r = await runYaml(dedent`
      irun: 1
      id: loop
      title: Loop
      parts:
        - id: p
          steps:
            - { id: work, action: t.echo, maxVisits: 2 }
            - { id: again, goto: work }
    `);
    expect(r.status).to.equal('failed');
    expect(r.error!.code).to.equal('IRUN_MAX_VISITS');
    expect(r.error!.message).to.match(/step 'work' was reached 3 times \(maxVisits 2\)/);
    expect(r.path).to.deep.equal(['work', 'again', 'work', 'again']);
  });

  it('a bounded loop exits through its condition', async () => {
    const r = await runYaml(dedent`
      irun: 1
      id: loop2
      title: Loop
      vars: { seen: [] }
      parts:
        - id: p
          steps:
            - { id: inc, action: t.echo }
            - { id: bump, set: { seen: "{{ concat vars.seen 'x' }}" } }
            - { id: again, if: "{{ lt (length vars.seen) 3 }}", goto: bump }
            - { id: done, action: t.echo, with: { value: "{{ length vars.seen }}" } }
    `);
    expect(r.status).to.equal('completed');
    expect(r.path).to.deep.equal(['inc', 'bump', 'again', 'bump', 'again', 'bump', 'again', 'done']);
    expect(r.state.steps.done.output).to.deep.equal({ value: 3 });
  });

  it('branch: the first matching case wins, default otherwise', async () => {
    const doc = (choice: string) =>
      dedent`
      irun: 1
      id: br
      title: Branch
      parts:
        - id: p
          steps:
            - id: pick
              manual: { ask: { type: select, choices: [a, b, c] } }
            - id: route
              branch:
                - { if: "{{ eq steps.pick.output 'a' }}", goto: on-a }
                - { if: "{{ includes (concat 'a' 'b') steps.pick.output }}", call: sub }
              default: on-c
            - { id: on-a, action: t.echo, with: { value: a }, next: fin }
            - { id: on-c, action: t.echo, with: { value: c } }
            - { id: fin, end: { status: resolved } }
        - id: sub
          steps:
            - { id: on-b, action: t.echo, with: { value: b } }
    ` + `\n# ${choice}\n`;
    expect((await runYaml(doc('a'), { answers: { pick: 'a' } })).path).to.deep.equal(['pick', 'route', 'on-a', 'fin']);
    expect((await runYaml(doc('b'), { answers: { pick: 'b' } })).path).to.deep.equal([
      'pick',
      'route',
      'on-b',
      'on-a',
      'fin',
    ]);
    expect((await runYaml(doc('c'), { answers: { pick: 'c' } })).path).to.deep.equal(['pick', 'route', 'on-c', 'fin']);
  });

  it('set assigns vars that later steps read', async () => {
    const r = await runYaml(dedent`
      irun: 1
      id: set
      title: Set
      parts:
        - id: p
          steps:
            - { id: s, set: { buckets: ["x", "y"], first: "{{ first (concat 'x' 'y') }}" } }
            - { id: use, action: t.echo, with: { value: "{{ vars.buckets }}" } }
    `);
    expect(r.state.vars).to.deep.equal({ buckets: ['x', 'y'], first: 'x' });
    expect(r.state.steps.use.output).to.deep.equal({ value: ['x', 'y'] });
  });

  it('forEach with concurrency 4 returns results in input order and never exceeds 4 in flight', async () => {
    const { registry, t } = testRegistry();
    const r = await runYaml(
      dedent`
      irun: 1
      id: fe
      title: ForEach
      inputs: { items: { type: array, default: [30, 5, 20, 1, 15, 2, 25, 3, 10, 4] } }
      parts:
        - id: p
          steps:
            - id: each
              forEach: "{{ inputs.items }}"
              as: ms
              concurrency: 4
              action: t.slow
              with: { ms: "{{ ms }}", value: "v{{ ms }}" }
    `,
      { registry },
    );
    expect(r.status).to.equal('completed');
    expect(r.state.steps.each.output).to.deep.equal(
      [30, 5, 20, 1, 15, 2, 25, 3, 10, 4].map((n) => ({ value: `v${n}` })),
    );
    expect(t.maxInFlight).to.equal(4);
    // completion order differs from input order, so ordering is really being restored
    expect(t.calls.map((c) => (c.input as { ms: number }).ms)).to.not.deep.equal([30, 5, 20, 1, 15, 2, 25, 3, 10, 4]);
  });

  it('retry: succeeds on the third attempt and records the retries', async () => {
    const { registry, t } = testRegistry();
    t.failUntil.set('k', 2);
    const r = await runYaml(
      dedent`
      irun: 1
      id: retry
      title: Retry
      parts:
        - id: p
          steps:
            - { id: flaky, action: t.flaky, with: { key: k }, retry: { attempts: 3, delay: 1ms, backoff: exponential } }
    `,
      { registry },
    );
    expect(r.status).to.equal('completed');
    expect(t.calls.length).to.equal(3);
    const retries = r.events.filter((e) => e.type === 'step.retry');
    expect(retries.map((e) => (e as { attempt: number }).attempt)).to.deep.equal([1, 2]);
    expect(r.ends.get('flaky')!.attempts).to.equal(3);
  });

  it('retry: gives up after the last attempt', async () => {
    const { registry, t } = testRegistry();
    t.failUntil.set('k', 5);
    const r = await runYaml(
      dedent`
      irun: 1
      id: retry2
      title: Retry
      parts:
        - id: p
          steps:
            - { id: flaky, action: t.flaky, with: { key: k }, retry: { attempts: 2, delay: 1ms } }
    `,
      { registry },
    );
    expect(r.status).to.equal('failed');
    expect(t.calls.length).to.equal(2);
    expect(r.error!.message).to.match(/flaky failure/);
  });

  it('timeout aborts a slow action through its AbortSignal', async () => {
    const { registry, t } = testRegistry();
    const r = await runYaml(
      dedent`
      irun: 1
      id: to
      title: Timeout
      parts:
        - id: p
          steps:
            - { id: slow, action: t.slow, with: { ms: 5000 }, timeout: 30ms }
    `,
      { registry },
    );
    expect(r.status).to.equal('failed');
    expect(r.error!.code).to.equal('IRUN_TIMEOUT');
    expect(t.abortedSignals).to.equal(1);
  });

  it('onError: continue goes on; onError: goto jumps', async () => {
    const { registry, t } = testRegistry();
    t.failUntil.set('a', 1);
    t.failUntil.set('b', 1);
    const r = await runYaml(
      dedent`
      irun: 1
      id: oe
      title: OnError
      parts:
        - id: p
          steps:
            - { id: a, action: t.flaky, with: { key: a }, onError: continue }
            - { id: b, action: t.flaky, with: { key: b }, onError: { goto: handler } }
            - { id: not-run, action: t.echo }
            - { id: handler, action: t.echo, with: { value: "{{ steps.b.error.message }}" } }
    `,
      { registry },
    );
    expect(r.status).to.equal('completed');
    expect(r.path).to.deep.equal(['a', 'b', 'handler']);
    expect(r.state.steps.a.status).to.equal('failed');
    expect(r.state.steps.handler.output).to.deep.equal({ value: 'flaky failure (1 left)' });
  });

  it('a call deeper than 16 frames fails with IRUN_CALL_DEPTH', async () => {
    const r = await runYaml(dedent`
      irun: 1
      id: deep
      title: Deep
      parts:
        - id: main
          steps:
            - { id: start, call: rec }
        - id: rec
          steps:
            - { id: again, call: rec, maxVisits: 100 }
    `);
    expect(r.status).to.equal('failed');
    expect(r.error!.code).to.equal('IRUN_CALL_DEPTH');
  });

  it('outputs: publishes named values derived from the raw result', async () => {
    const r = await runYaml(dedent`
      irun: 1
      id: outs
      title: Outputs
      parts:
        - id: p
          steps:
            - id: a
              action: t.echo
              with: { value: [ { n: 1, public: true }, { n: 2, public: false } ] }
              outputs:
                publicCount: "{{ length (where result.value 'public' true) }}"
            - { id: b, action: t.echo, with: { value: "{{ steps.a.outputs.publicCount }}" } }
    `);
    expect(r.state.steps.a.outputs).to.deep.equal({ publicCount: 1 });
    expect(r.state.steps.b.output).to.deep.equal({ value: 1 });
  });

  it('data from an action is never evaluated as a template', async () => {
    const r = await runYaml(dedent`
      irun: 1
      id: data
      title: Data
      inputs: { secretish: { type: string, default: "s3cr3t" } }
      parts:
        - id: p
          steps:
            - { id: a, action: t.echo, with: { value: "{{ '{{ inputs.secretish }}' }}" } }
            - { id: b, action: t.echo, with: { value: "{{ steps.a.output.value }}" } }
    `);
    expect(r.state.steps.b.output).to.deep.equal({ value: '{{ inputs.secretish }}' });
  });
});

describe('executor inputs, humans and approvals', () => {
  const withInputs = dedent`
    irun: 1
    id: inp
    title: Inputs
    inputs:
      bucket: { type: string, pattern: "^[a-z0-9.-]{3,63}$" }
      days: { type: integer, default: 7 }
      since: { type: string, default: "{{ dateAdd (now) days=-7 }}" }
    parts:
      - id: p
        steps:
          - { id: a, action: t.echo, with: { value: "{{ inputs.since }}" } }
  `;

  it('applies literal and templated defaults and coerces command-line text', async () => {
    const r = await runYaml(withInputs, { inputs: { bucket: 'my-bucket', days: '3' } });
    expect(r.state.inputs).to.deep.equal({ bucket: 'my-bucket', days: 3, since: '2026-11-23T12:00:00.000Z' });
  });

  it('refuses inputs of the wrong type or pattern, and unknown inputs, before any step', async () => {
    for (const inputs of [{ bucket: 'NOT A BUCKET' }, { days: 'many' }, { nope: 'x' }]) {
      const r = await runYaml(withInputs, { inputs });
      expect(r.status).to.equal('failed');
      expect(r.error!.code).to.equal('IRUN_INPUT_INVALID');
      expect(r.path).to.deep.equal([]);
    }
  });

  const manual = dedent`
    irun: 1
    id: man
    title: Manual
    parts:
      - id: p
        steps:
          - id: intake
            manual:
              instructions: "How did you learn of it?"
              ask: { type: select, choices: [ticket, alert, press] }
          - { id: after, action: t.echo, with: { value: "{{ steps.intake.output }}" } }
  `;

  it('takes answers for manual steps and records who answered', async () => {
    const r = await runYaml(manual, { answers: { intake: 'alert' } });
    expect(r.status).to.equal('completed');
    expect(r.state.steps.after.output).to.deep.equal({ value: 'alert' });
    const answer = r.events.find((e) => e.type === 'answer') as { actor: string; value: unknown };
    expect(answer).to.include({ actor: 'tester', value: 'alert' });
  });

  it('pauses (waiting) when a manual step has no answer', async () => {
    const r = await runYaml(manual);
    expect(r.status).to.equal('waiting');
    expect(r.waiting).to.include({ step: 'intake', reason: 'answer' });
  });

  it('rejects an answer that is not among the choices', async () => {
    const r = await runYaml(manual, { answers: { intake: 'tiket' } });
    expect(r.status).to.equal('failed');
    expect(r.error!.code).to.equal('IRUN_ANSWER_INVALID');
  });

  const mutating = dedent`
    irun: 1
    id: mut
    title: Mutating
    parts:
      - id: p
        steps:
          - { id: read, action: t.echo }
          - { id: fix, action: t.change, with: { value: 42 } }
          - { id: after, action: t.echo }
  `;

  it('a mutating step waits for approval when none is given', async () => {
    const { registry, t } = testRegistry();
    const r = await runYaml(mutating, { registry });
    expect(r.status).to.equal('waiting');
    expect(r.waiting).to.include({ step: 'fix', reason: 'approval' });
    expect(t.mutations).to.equal(0);
  });

  it('--approve <step> and --yes approve the change; the approval is recorded', async () => {
    for (const opts of [{ approve: ['fix'] }, { yes: true }]) {
      const { registry, t } = testRegistry();
      const r = await runYaml(mutating, { registry, ...opts });
      expect(r.status).to.equal('completed');
      expect(t.mutations).to.equal(1);
      const approval = r.events.find((e) => e.type === 'approval') as {
        approved: boolean;
        actor: string;
        plan: { summary: string };
      };
      expect(approval.approved).to.equal(true);
      expect(approval.plan.summary).to.equal('set value to 42');
      expect(r.ends.get('fix')!.before).to.deep.equal({ mutations: 0 });
      expect(r.ends.get('fix')!.reversible).to.equal(true);
    }
  });

  it('dry-run: captures and previews the change, never runs it', async () => {
    const { registry, t } = testRegistry();
    const r = await runYaml(mutating, { registry, dryRun: true });
    expect(r.status).to.equal('completed');
    expect(t.mutations).to.equal(0);
    expect(r.ends.get('fix')!.status).to.equal('planned');
    expect(r.changes).to.deep.equal([
      { step: 'fix', action: 't.change', status: 'planned', plan: { summary: 'set value to 42' } },
    ]);
  });
});

describe('executor: next after a skipped step', () => {
  it('a step skipped by its `if` continues in order; `next` applies only when it ran', async () => {
    const doc = (known: boolean) => `
irun: 1
id: nx
title: Next
inputs: { bucket: { type: string${known ? ', default: b' : ''} } }
parts:
  - id: p
    steps:
      - { id: known, if: "{{ inputs.bucket }}", call: sub, next: five }
      - { id: four, action: t.echo }
      - { id: five, action: t.echo }
  - id: sub
    steps:
      - { id: contain, action: t.echo, next: back }
      - { id: back, end: { status: resolved } }
`;
    expect((await runYaml(doc(false))).path).to.deep.equal(['known', 'four', 'five', 'contain', 'back']);
    expect((await runYaml(doc(true))).path).to.deep.equal(['known', 'contain', 'back']);
  });
});

describe('executor: inputs of actions and runbook vars', () => {
  it('a `with:` field whose template is null is left out; literal values stay', async () => {
    const { registry, t } = testRegistry();
    const r = await runYaml(
      `
irun: 1
id: opt
title: Optional
inputs: { key: { type: string }, v: { type: string, default: x } }
vars: { label: "v={{ inputs.v }}", list: [1, 2] }
parts:
  - id: p
    steps:
      - { id: a, action: t.echo, with: { value: "{{ inputs.key }}" } }
      - { id: b, action: t.echo, with: { value: "{{ vars.label }}" } }
      - { id: c, action: t.echo, with: { value: { x: "{{ inputs.key }}", y: "{{ inputs.key }}" } } }
      - { id: d, action: t.echo, with: { value: { x: "{{ inputs.key }}", y: "{{ inputs.v }}", z: null } } }
`,
      { registry },
    );
    expect(r.status).to.equal('completed');
    expect(t.calls[0].input).to.deep.equal({});
    expect(r.state.steps.b.output).to.deep.equal({ value: 'v=x' });
    // a map of optional fields none of which was given is left out as a whole
    expect(t.calls[2].input).to.deep.equal({});
    expect(t.calls[3].input).to.deep.equal({ value: { y: 'x', z: null } });
    expect(r.state.vars.list).to.deep.equal([1, 2]);
  });
});

describe('executor: cancel (Ctrl-C)', () => {
  it('a cancelled run ends failed at the interrupted step, not swallowed by onError: continue, and resumes there', async () => {
    const { registry } = testRegistry();
    const controller = new AbortController();
    const doc = `
irun: 1
id: cancel
title: Cancel
parts:
  - id: p
    steps:
      - { id: first, action: t.echo }
      - { id: slow, action: t.slow, with: { ms: 400 }, onError: continue }
      - { id: after, action: t.echo }
`;
    setTimeout(() => controller.abort(), 50);
    const r = await runYaml(doc, { registry, signal: controller.signal });
    expect(r.status).to.equal('failed');
    expect(r.error!.code).to.equal('IRUN_ABORTED');
    expect(r.state.failedStep).to.equal('slow');
    expect(r.path).to.deep.equal(['first', 'slow']);
    const resumed = await runYaml(doc, { registry, history: r.events });
    expect(resumed.status).to.equal('completed');
    expect(resumed.path).to.deep.equal(['slow', 'after']);
  });
});

describe('executor: forEach over a part', () => {
  const doc = (body: string) => `
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
${body}
`;

  it('runs the part per item with the item in scope; a failing step with onError: continue does not stop the item', async () => {
    const { registry, t } = testRegistry();
    t.failUntil.set('a', 1);
    const r = await runYaml(
      doc(`      - { id: greet, action: t.echo, with: { value: "hi {{ name }}" } }
      - { id: flaky, action: t.flaky, with: { key: "{{ name }}" }, onError: continue }
      - { id: after, action: t.echo, with: { value: "{{ name }} done" } }`),
      { registry },
    );
    expect(r.status).to.equal('completed');
    expect(r.state.steps.each.output).to.deep.equal([
      { greet: { value: 'hi a' }, flaky: null, after: { value: 'a done' } },
      { greet: { value: 'hi b' }, flaky: { ok: true }, after: { value: 'b done' } },
    ]);
    const logs = r.events.filter((e) => e.type === 'log').map((e) => (e as { message: string }).message);
    expect(logs).to.include('item 0: flaky failed (IRUN_ACTION_FAILED: flaky failure (1 left))');
  });

  it('refuses a change inside a per-item part (it would escape approval and undo)', async () => {
    const { registry, t } = testRegistry();
    const r = await runYaml(doc(`      - { id: fix, action: t.change, with: { value: 1 } }`), { registry, yes: true });
    expect(r.status).to.equal('failed');
    expect(r.error!.message).to.match(/changes AWS state inside part 'per-item'.*use forEach over the action itself/);
    expect(t.mutations).to.equal(0);
  });
});
