/** defineSetting: capture → preview → run → undo of one setting, against an in-memory store. */
import { expect } from 'chai';
import { IrunError } from '../../engine/plugins/api.js';
import { defineSetting, UNCHANGED } from '../../plugins/aws-common/setting.js';
import { makeCtx } from '../helpers/ctx.js';

interface State {
  configured: boolean;
  value: string | null;
}
interface Before extends State {
  note: string;
}

/** A setting kept in `store`; every write is recorded. */
function fixture(initial: State) {
  const store = { state: { ...initial }, writes: [] as (string | null)[] };
  const action = defineSetting<{ name: string; value?: string }, Before, string, State>({
    title: 'Set the value',
    description: 'test setting',
    docsUrl: 'https://example.com',
    input: { type: 'object' },
    output: { type: 'object' },
    permissions: ['test:Get', 'test:Put'],
    example: { name: 'n' },
    evidence: 'value',
    key: (input) => ({ name: input.name }),
    capture: async () => ({ ...store.state, note: 'captured' }),
    read: async () => ({ ...store.state }),
    shown: (b) => ({ configured: b.configured, value: b.value }),
    desired: (input) => input.value ?? 'on',
    isSet: (b, desired) => b.value === desired,
    put: async (_ctx, _input, desired) => {
      store.writes.push(desired);
      store.state = { configured: true, value: desired };
    },
    restore: async (_ctx, _input, b) => {
      store.writes.push(b.configured ? b.value : null);
      store.state = b.configured ? { configured: true, value: b.value } : { configured: false, value: null };
    },
    describe: (input, b, desired, noop) => ({
      summary: noop ? `${input.name} already ${desired}` : `${input.name}: ${b.value} -> ${desired}`,
      after: { configured: true, value: desired },
    }),
    irreversible: (b) => (b.value === 'locked' ? 'locked values stay' : undefined),
  });
  return { store, action };
}

describe('aws-common defineSetting', () => {
  it('is a mutating action with the given metadata', () => {
    const { action } = fixture({ configured: false, value: null });
    expect(action.effect).to.equal('mutate');
    expect(action.permissions).to.deep.equal(['test:Get', 'test:Put']);
    expect(action.capture).to.be.a('function');
    expect(action.undo).to.be.a('function');
  });

  it('captures with evidence, previews before -> after, writes, reads back and undoes', async () => {
    const { store, action } = fixture({ configured: false, value: null });
    const ctx = makeCtx();
    const input = { name: 'n', value: 'on' };
    const before = await action.capture!(ctx, input);
    expect(ctx.saved.map((s) => s.name)).to.deep.equal(['value-before']);
    const plan = await action.preview!(ctx, input, before);
    expect(plan).to.deep.include({ summary: 'n: null -> on', noop: false, after: { configured: true, value: 'on' } });
    expect(plan.before).to.deep.equal(before);
    expect(plan).to.not.have.property('details');

    const out = await action.run(ctx, input, before);
    expect(out).to.deep.equal({
      name: 'n',
      changed: true,
      before: { configured: false, value: null },
      after: { configured: true, value: 'on' },
    });
    expect(ctx.saved.map((s) => s.name)).to.deep.equal(['value-before', 'value-after']);
    expect(action.reversible!(input, before, out)).to.equal(true);

    const undone = await action.undo!(ctx, input, before, out);
    expect(undone).to.deep.equal({ restored: true, state: { configured: false, value: null } });
    expect(store.writes).to.deep.equal(['on', null]);
  });

  it('sends nothing when the setting already has the value, and undo then changes nothing', async () => {
    const { store, action } = fixture({ configured: true, value: 'on' });
    const ctx = makeCtx();
    const before = await action.capture!(ctx, { name: 'n' });
    expect((await action.preview!(ctx, { name: 'n' }, before)).noop).to.equal(true);
    const out = await action.run(ctx, { name: 'n' }, before);
    expect(out.changed).to.equal(false);
    expect(await action.undo!(ctx, { name: 'n' }, before, out)).to.deep.equal(UNCHANGED);
    expect(store.writes).to.deep.equal([]);
    expect(ctx.saved.map((s) => s.name)).to.deep.equal(['value-before']);
  });

  it('captures itself when run without a before-state', async () => {
    const { action } = fixture({ configured: true, value: 'off' });
    const ctx = makeCtx();
    const out = await action.run(ctx, { name: 'n' }, undefined);
    expect(out).to.deep.include({ changed: true, before: { configured: true, value: 'off' } });
    expect(ctx.saved.map((s) => s.name)).to.deep.equal(['value-before', 'value-after']);
  });

  it('reports a before-state undo cannot restore', async () => {
    const { action } = fixture({ configured: true, value: 'locked' });
    const ctx = makeCtx();
    const before = await action.capture!(ctx, { name: 'n' });
    const out = await action.run(ctx, { name: 'n' }, before);
    expect(action.reversible!({ name: 'n' }, before, out)).to.equal('locked values stay');
  });

  it('refuses a preview without a captured before-state', async () => {
    const { action } = fixture({ configured: false, value: null });
    const ctx = makeCtx();
    const err = await action.preview!(ctx, { name: 'n' }, undefined).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(IrunError);
    expect((err as IrunError).code).to.equal('IRUN_INTERNAL');
  });
});
