/**
 * End to end through the CLI: pause and resume, approvals, dry-run plan, undo, verify and
 * tampering, crash-and-resume, and bad input. Uses a third-party pack (test/fixtures/cli) whose
 * mutation is counted in a file, so "took effect exactly once" is checked at the stub.
 */
import { expect } from 'chai';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJournal } from '../../engine/run/store.js';
import { tempTree } from '../helpers/fs.js';
import { irun, ROOT } from './helpers.js';

function setup() {
  const t = tempTree();
  cpSync(path.join(ROOT, 'test/fixtures/cli'), t.dir, { recursive: true });
  const env = { IRUN_TEST_COUNTER: t.file('counter.json'), IRUN_RUN_DIR: t.file('runs') };
  const counts = () =>
    existsSync(env.IRUN_TEST_COUNTER)
      ? (JSON.parse(readFileSync(env.IRUN_TEST_COUNTER, 'utf8')) as Record<string, number>)
      : {};
  const onlyRun = () => readdirSync(env.IRUN_RUN_DIR)[0];
  const journal = (id: string) => readJournal(path.join(env.IRUN_RUN_DIR, id, 'journal.jsonl')).events;
  return { t, env, counts, onlyRun, journal };
}

describe('CLI: run record, pause/resume, approvals, dry-run, undo, verify', function () {
  this.timeout(120_000);

  it('pauses for an answer and for an approval, prints the exact resume command, and completes on resume', () => {
    const { t, env, counts, onlyRun, journal } = setup();
    try {
      let r = irun(['exec', 'counters.yaml'], { cwd: t.dir, env });
      expect(r.code, r.stderr).to.equal(3);
      const id = onlyRun();
      expect(r.stdout).to.include(`irun resume ${id} --answer ask=<value>`);

      r = irun(['resume', id, '--answer', 'ask=yes'], { cwd: t.dir, env });
      expect(r.code, r.stdout + r.stderr).to.equal(3);
      expect(r.stdout).to.include(`irun resume ${id} --approve bump-a`);
      expect(counts()).to.deep.equal({});

      r = irun(['resume', id, '--approve', 'bump-a', '--approve', 'bump-each'], { cwd: t.dir, env });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(counts()).to.deep.equal({ a: 1, b: 1, c: 1 });

      const events = journal(id);
      const answer = events.find((e) => e.type === 'answer');
      expect(answer).to.include({ step: 'ask', value: true, actor: 'tester@ci', source: 'flag' });
      const approvals = events.filter((e) => e.type === 'approval').map((e) => (e as { step: string }).step);
      expect(approvals).to.deep.equal(['bump-a', 'bump-each']);
      // the secret input never reaches the journal
      expect(readFileSync(path.join(env.IRUN_RUN_DIR, id, 'journal.jsonl'), 'utf8')).to.not.include(
        'tok-default-value',
      );
      const v = irun(['verify', id], { cwd: t.dir, env });
      expect(v.code, v.stdout + v.stderr).to.equal(0);
      const runs = irun(['runs', '--json'], { cwd: t.dir, env });
      expect(JSON.parse(runs.stdout)[0]).to.include({ runId: id, status: 'completed' });
    } finally {
      t.cleanup();
    }
  });

  it('--dry-run runs reads, changes nothing, and ends with the plan', () => {
    const { t, env, counts } = setup();
    try {
      const r = irun(['exec', 'counters.yaml', '--dry-run', '--answer', 'ask=yes'], { cwd: t.dir, env });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(counts()).to.deep.equal({});
      expect(r.stdout).to.match(/Plan — what a real run would change \(2\)/);
      expect(r.stdout).to.include('bump-a  ctr.bump: bump a from 0 to 1');
      expect(r.stdout).to.include('[DRY-RUN]');
    } finally {
      t.cleanup();
    }
  });

  it('undo reverts recorded changes newest first, with approval, and records it', () => {
    const { t, env, counts, onlyRun, journal } = setup();
    try {
      expect(irun(['exec', 'counters.yaml', '--answer', 'ask=yes', '--yes'], { cwd: t.dir, env }).code).to.equal(0);
      const id = onlyRun();
      expect(counts()).to.deep.equal({ a: 1, b: 1, c: 1 });
      let r = irun(['undo', id], { cwd: t.dir, env });
      expect(r.code, r.stdout + r.stderr).to.equal(3);
      expect(counts()).to.deep.equal({ a: 1, b: 1, c: 1 });
      r = irun(['undo', id, '--step', 'bump-a', '--yes'], { cwd: t.dir, env });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(counts()).to.deep.equal({ a: 0, b: 1, c: 1 });
      r = irun(['undo', id, '--yes'], { cwd: t.dir, env });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout.indexOf('bump-each#1')).to.be.lessThan(r.stdout.indexOf('bump-each#0'));
      expect(counts()).to.deep.equal({ a: 0, b: 0, c: 0 });
      const undos = journal(id).filter((e) => e.type === 'undo');
      expect(undos.map((e) => `${(e as { step: string }).step}:${(e as { status: string }).status}`)).to.deep.equal([
        'bump-a:completed',
        'bump-each:completed',
        'bump-each:completed',
      ]);
      expect(irun(['undo', id, '--step', 'bump-a', '--yes'], { cwd: t.dir, env }).code).to.equal(1);
      const v = irun(['verify', id], { cwd: t.dir, env });
      expect(v.code, v.stdout + v.stderr).to.equal(0);
    } finally {
      t.cleanup();
    }
  });

  it('verify fails naming the line or file when any byte of the journal or an evidence file changes', () => {
    const { t, env, onlyRun } = setup();
    try {
      expect(irun(['exec', 'counters.yaml', '--answer', 'ask=yes', '--yes'], { cwd: t.dir, env }).code).to.equal(0);
      const id = onlyRun();
      const dir = path.join(env.IRUN_RUN_DIR, id);
      const jpath = path.join(dir, 'journal.jsonl');
      const original = readFileSync(jpath);
      const lines = original.toString('utf8').split('\n').length - 1;
      // flip one byte inside several different lines
      for (const lineNo of [1, Math.floor(lines / 2), lines]) {
        const text = original.toString('utf8').split('\n');
        const line = text[lineNo - 1];
        const i = line.indexOf('"type"') + 2;
        text[lineNo - 1] = line.slice(0, i) + (line[i] === 'x' ? 'y' : 'x') + line.slice(i + 1);
        writeFileSync(jpath, text.join('\n'));
        const r = irun(['verify', id], { cwd: t.dir, env });
        expect(r.code, `line ${lineNo}`).to.equal(1);
        // a change to line N breaks the link from line N+1 (or, for the last line, its own parse/type)
        expect(r.stdout).to.match(new RegExp(`line ${Math.min(lineNo + 1, lines)}`));
        writeFileSync(jpath, original);
      }
      const v = irun(['verify', id], { cwd: t.dir, env });
      expect(v.code, v.stdout + v.stderr).to.equal(0);
      const evidence = readdirSync(path.join(dir, 'evidence'));
      expect(evidence.length).to.be.greaterThan(0);
      const epath = path.join(dir, 'evidence', evidence[0]);
      const ebytes = readFileSync(epath);
      const changed = Buffer.from(ebytes);
      changed[Math.floor(changed.length / 2)] ^= 1;
      writeFileSync(epath, changed);
      const r = irun(['verify', id], { cwd: t.dir, env });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include(evidence[0]);
    } finally {
      t.cleanup();
    }
  });

  it('refuses to resume when the runbook changed, unless --force', () => {
    const { t, env, onlyRun } = setup();
    try {
      expect(irun(['exec', 'counters.yaml'], { cwd: t.dir, env }).code).to.equal(3);
      const id = onlyRun();
      writeFileSync(
        t.file('counters.yaml'),
        readFileSync(t.file('counters.yaml'), 'utf8').replace('title: Counters', 'title: Counters v2'),
      );
      let r = irun(['resume', id, '--answer', 'ask=no'], { cwd: t.dir, env });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('IRUN_RUNBOOK_CHANGED');
      r = irun(['resume', id, '--answer', 'ask=no', '--force'], { cwd: t.dir, env });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.include('run escalated');
    } finally {
      t.cleanup();
    }
  });

  it('a second process on the same run gets a clear lock error', () => {
    const { t, env, onlyRun } = setup();
    try {
      expect(irun(['exec', 'counters.yaml'], { cwd: t.dir, env }).code).to.equal(3);
      const id = onlyRun();
      // a live process (this one) holds the lock
      writeFileSync(path.join(env.IRUN_RUN_DIR, id, 'lock'), `${process.pid}@${os.hostname()}`);
      const r = irun(['resume', id, '--answer', 'ask=yes'], { cwd: t.dir, env });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('IRUN_RUN_LOCKED');
    } finally {
      t.cleanup();
    }
  });
});

describe('CLI: crash and resume', function () {
  this.timeout(300_000);

  it('a run killed with SIGKILL after any event completes on resume, every change exactly once, journal intact', () => {
    // Learn the event types and counts of a clean run.
    const base = setup();
    let kinds: Map<string, number>;
    try {
      expect(
        irun(['exec', 'counters.yaml', '--answer', 'ask=yes', '--yes'], { cwd: base.t.dir, env: base.env }).code,
      ).to.equal(0);
      kinds = new Map();
      for (const e of base.journal(base.onlyRun())) kinds.set(e.type, (kinds.get(e.type) ?? 0) + 1);
    } finally {
      base.t.cleanup();
    }
    const points: string[] = [];
    for (const [type, n] of kinds) for (const k of [...new Set([1, Math.ceil(n / 2), n])]) points.push(`${type}:${k}`);
    expect(points.length).to.be.greaterThan(12);
    for (const point of points) {
      const { t, env, counts, onlyRun } = setup();
      try {
        const r = irun(['exec', 'counters.yaml', '--answer', 'ask=yes', '--yes'], {
          cwd: t.dir,
          env: { ...env, IRUN_CRASH_AFTER: point },
        });
        expect(r.signal, `killed after ${point}`).to.equal('SIGKILL');
        const id = onlyRun();
        let done = false;
        for (let attempt = 0; attempt < 3 && !done; attempt++) {
          const rr = irun(['resume', id, '--answer', 'ask=yes', '--yes'], { cwd: t.dir, env });
          done = rr.code === 0 || /IRUN_RUN_ENDED/.test(rr.stderr);
          expect([0, 1], `${point}: ${rr.stdout}${rr.stderr}`).to.include(rr.code);
        }
        expect(done, point).to.equal(true);
        expect(counts(), `after crash at ${point}`).to.deep.equal({ a: 1, b: 1, c: 1 });
        const v = irun(['verify', id], { cwd: t.dir, env });
        expect(v.code, `${point}: ${v.stdout}`).to.equal(0);
        const meta = JSON.parse(readFileSync(path.join(env.IRUN_RUN_DIR, id, 'run.json'), 'utf8'));
        expect(meta.status, point).to.equal('completed');
      } finally {
        t.cleanup();
      }
    }
  });
});

describe('CLI: bad input ends with a code, never a stack trace', function () {
  this.timeout(60_000);
  const cases: { name: string; args: string[]; code: number; match: RegExp; files?: Record<string, string> }[] = [
    { name: 'unknown flag', args: ['exec', 'counters.yaml', '--bogus'], code: 2, match: /IRUN_USAGE.*--bogus/ },
    { name: 'missing runbook', args: ['exec', 'nope.yaml'], code: 1, match: /IRUN_FILE_NOT_FOUND/ },
    {
      name: 'input of the wrong type',
      args: ['exec', 'counters.yaml', '--input', 'token=1', '--input', 'nope=2'],
      code: 1,
      match: /IRUN_INPUT_INVALID.*nope/,
    },
    {
      name: 'malformed input pair',
      args: ['exec', 'counters.yaml', '--input', 'novalue'],
      code: 2,
      match: /IRUN_USAGE.*key=value/,
    },
    { name: 'unknown run', args: ['resume', 'no-such-run'], code: 1, match: /IRUN_RUN_NOT_FOUND/ },
    {
      name: 'broken answers file',
      args: ['exec', 'counters.yaml', '--answers', 'bad.yaml'],
      code: 2,
      match: /IRUN_YAML_SYNTAX/,
      files: { 'bad.yaml': 'a: [1, 2\n' },
    },
    {
      name: 'runbook that does not validate',
      args: ['exec', 'broken.yaml'],
      code: 1,
      match: /IRUN_RUNBOOK_INVALID/,
      files: {
        'broken.yaml':
          'irun: 1\nid: broken\ntitle: Broken\nparts:\n  - id: p\n    steps:\n      - { id: a, goto: nowhere }\n',
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { t, env } = setup();
      try {
        for (const [f, text] of Object.entries(c.files ?? {})) writeFileSync(t.file(f), text);
        const r = irun(c.args, { cwd: t.dir, env });
        expect(r.code, r.stdout + r.stderr).to.equal(c.code);
        expect(r.stderr).to.match(c.match);
        expect(r.stderr).to.not.match(/\n\s+at .+\(.+:\d+:\d+\)/);
      } finally {
        t.cleanup();
      }
    });
  }
});
