/**
 * Prompts own the terminal: in a real pseudo-terminal, a question asked while a step's spinner
 * runs (an approval, a forEach approval) or after it (a select) is on the screen by itself — the
 * spinner stops and clears first and comes back after the answer — live and in simulation.
 */
import { expect } from 'chai';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tempTree } from '../helpers/fs.js';
import { irunPty, KEYS, type PtySession } from '../helpers/pty.js';
import { ROOT } from './helpers.js';

const SPINNER = /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /;

function setup() {
  const t = tempTree({
    'game-day.yaml': [
      'scenario: game-day',
      'title: Prompts rehearsed',
      'approvals: none',
      'stubs:',
      '  - { action: ctr.peek, output: { count: 0 } }',
      '  - { action: ctr.bump, output: { count: 1 } }',
      '',
    ].join('\n'),
  });
  cpSync(path.join(ROOT, 'test/fixtures/cli'), t.dir, { recursive: true });
  const env = { IRUN_TEST_COUNTER: t.file('counter.json'), IRUN_RUN_DIR: t.file('runs'), NO_COLOR: '1' };
  const counts = () =>
    existsSync(env.IRUN_TEST_COUNTER)
      ? (JSON.parse(readFileSync(env.IRUN_TEST_COUNTER, 'utf8')) as Record<string, number>)
      : {};
  return { t, env, counts };
}

/** The question is the last thing drawn, and no spinner shares the screen with it. */
async function askedAlone(p: PtySession, marker: string, question: RegExp): Promise<string[]> {
  const lines = await p.settled(marker);
  const shown = lines.filter((l) => l.trim());
  expect(shown.join('\n'), 'the question is on the screen').to.match(question);
  expect(
    shown.filter((l) => SPINNER.test(l.trim())),
    `no spinner while a question is open:\n${shown.join('\n')}`,
  ).to.deep.equal([]);
  return lines;
}

async function walkThrough(p: PtySession): Promise<string[]> {
  await askedAlone(p, 'Where did the report come from', /\? Where did the report come from[\s\S]*press/);
  p.type(KEYS.down);
  p.type(KEYS.enter);

  const single = await askedAlone(p, '⚠ change bump-a', /\? Apply this change\? \(y\/N\)\s*$/);
  expect(single.join('\n')).to.match(/bump a from 0 to 1|ctr\.bump/);
  p.type('y');
  p.type(KEYS.enter);

  await askedAlone(p, '⚠ change bump-each', /⚠ change bump-each[\s\S]*\? Apply this change\? \(y\/N\)\s*$/);
  p.type('y');
  p.type(KEYS.enter);
  const { exitCode } = await p.exited;
  expect(exitCode, p.transcript()).to.equal(0);
  return p.screen();
}

describe('CLI in a pseudo-terminal: prompts own the screen', function () {
  this.timeout(90_000);

  it('live: a select, an approval and a forEach approval each show their question, never the spinner', async () => {
    const { t, env, counts } = setup();
    const p = irunPty(['exec', 'prompts.yaml'], { cwd: t.dir, env });
    try {
      const end = (await walkThrough(p)).join('\n');
      expect(counts()).to.deep.equal({ a: 1, b: 1, c: 1 });
      const text = p.transcript();
      expect(text).to.include('Where did the report come from alert');
      expect(text).to.match(/approved by tester@pty \(prompt\)/);
      expect(end).to.match(/✔ run completed/);
    } finally {
      p.kill();
      t.cleanup();
    }
  });

  it('simulation: the same questions show, and nothing is changed', async () => {
    const { t, env, counts } = setup();
    const p = irunPty(['exec', 'prompts.yaml', '--scenario', 'game-day.yaml'], { cwd: t.dir, env });
    try {
      const end = (await walkThrough(p)).join('\n');
      expect(counts()).to.deep.equal({});
      expect(p.transcript()).to.include('[SIMULATION]');
      expect(end).to.match(/SIMULATION · ✔ run completed/);
    } finally {
      p.kill();
      t.cleanup();
    }
  });
});
