/**
 * Fuzz: properties over runbooks derived from the shipped one by mutation (nodes deleted, keys
 * renamed, values retyped, nodes duplicated, ids changed, templates corrupted) and over random
 * bytes and unicode:
 * - validation never throws, and every diagnostic has an IRUN_ code, a severity, a message and a
 *   position inside the file;
 * - a mutated runbook that validates without errors, executed in simulation with every action
 *   answered generically (or failing like AWS), ends in completed | failed | waiting | aborted,
 *   and every error it records carries an IRUN_ code.
 *
 * IRUN_FUZZ_RUNS raises the number of cases (the benchmark runner uses 10,000); IRUN_FUZZ_SEED
 * replays a failure.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import type { Diagnostic } from '../../engine/diagnostics.js';
import { Codes, IrunError } from '../../engine/errors.js';
import { parseRunbook } from '../../engine/load/index.js';
import { Registry } from '../../engine/plugins/registry.js';
import type { RunEvent } from '../../engine/run/events.js';
import { execute } from '../../engine/run/executor.js';
import { validatePaths, validateRunbook } from '../../engine/validate/index.js';
import { answerFor, GenericHuman, GenericSimulator, minimalValue, prng } from './generic.js';
import { fuzzRuns, fuzzSeed, tempRuns } from './helpers.js';
import { BASE_TEXT, mutated, mutationArb } from './mutate.js';

const CODE = /^IRUN_[A-Z_]+$/;
const STATUSES = ['completed', 'failed', 'waiting', 'aborted'];

// ---------------------------------------------------------------------------------------------
// Checks

function checkDiagnostics(diags: Diagnostic[], text: string): void {
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const d of diags) {
    const where = JSON.stringify(d);
    expect(d.code, where).to.match(CODE);
    expect(['error', 'warning'], where).to.include(d.severity);
    expect(d.message, where).to.be.a('string').and.not.equal('');
    for (const [k, v] of [
      ['line', d.line],
      ['column', d.column],
      ['endLine', d.endLine],
      ['endColumn', d.endColumn],
    ] as const) {
      expect(Number.isInteger(v), `${k} ${where}`).to.equal(true);
      expect(v, `${k} ${where}`).to.be.at.least(1);
    }
    expect(d.line, where).to.be.at.most(lines);
    expect(d.endLine, where).to.be.at.most(lines);
    expect(typeof d.path, where).to.equal('string');
  }
}

describe('hardening: fuzz', function () {
  // Larger runs (IRUN_FUZZ_RUNS) take as long as they take.
  this.timeout(process.env.IRUN_FUZZ_RUNS ? 0 : 120_000);
  const registry = new Registry();
  const seed = fuzzSeed();
  const opts = (runs: number) => ({
    numRuns: fuzzRuns(runs),
    ...(seed !== undefined ? { seed } : {}),
    endOnFailure: true,
  });

  async function validateText(text: string): Promise<Diagnostic[]> {
    const loaded = parseRunbook(text, 'fuzz.yaml');
    const diags = await validateRunbook(loaded, { registry });
    checkDiagnostics(diags, loaded.text);
    return diags;
  }

  // Promise rejections nobody handles are crashes waiting to happen in the CLI.
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));
  afterEach(() => expect(unhandled, 'unhandled promise rejections').to.deep.equal([]));

  it('the shipped runbook is clean and the mutator changes it', async () => {
    expect((await validateText(BASE_TEXT)).filter((d) => d.severity === 'error')).to.deep.equal([]);
    expect(mutated([])).to.not.equal(''); // a round trip only reformats
    expect(await validateText(mutated([]))).to.deep.equal([]);
    const broken = await validateText(mutated([{ op: 'template', at: 3, corruption: '{{ inputs.bucket', where: 0 }]));
    expect(broken.map((d) => d.code)).to.include(Codes.TEMPLATE_SYNTAX);
  });

  it('a parts entry that is not a map does not shift the flow graph off the document (found by this suite)', async () => {
    // buildFlowGraph numbered parts after dropping non-maps, the rules by document index: the
    // unreachable-step rule then looked up a step that was not there and threw a TypeError.
    const text =
      'irun: 1\nid: x\ntitle: x\nparts:\n  - not a part\n  - id: a\n    steps:\n      - id: s1\n        end: { status: resolved }\n      - id: s2\n        goto: a\n';
    const diags = await validateText(text);
    expect(diags.map((d) => `${d.code} ${d.line}`)).to.deep.equal([`${Codes.SCHEMA} 5`, `${Codes.UNREACHABLE} 10`]);
  });

  it('validate never throws on mutated runbooks, and every diagnostic has a code and a position', async () => {
    const codes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async (muts) => {
        const diags = await validateText(mutated(muts));
        for (const d of diags) codes.add(d.code);
      }),
      opts(100),
    );
    // the mutations reach every phase: YAML, schema and semantic rules
    expect([...codes]).to.include.members([Codes.SCHEMA, Codes.TEMPLATE_SYNTAX]);
    expect(codes.size).to.be.at.least(5);
  });

  it('validate never throws on random bytes, random unicode and YAML-looking noise (through validatePaths and files)', async () => {
    const runs = tempRuns('irun-fuzz-');
    try {
      const noise = fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')),
        fc
          .string({ unit: 'grapheme', maxLength: 200 })
          .map((s) => Buffer.from(`irun: 1\nid: x\ntitle: ${s}\nparts: []\n`, 'utf8')),
        fc
          .array(
            fc.constantFrom(
              'irun: 1\n',
              'parts:\n',
              '  - id: a\n',
              '    steps:\n',
              '      - ',
              'id: s\n',
              'goto: a\n',
              '{{',
              '}}',
              '&a ',
              '*a ',
              '<<: *a\n',
              '- ',
              ': ',
              '"',
              "'",
              '\t',
              '\r\n',
              '\u0000',
              '\ufeff',
              '#',
              '|\n',
              '>-\n',
              '? ',
              '!!binary ',
              '%YAML 1.2\n---\n',
              '...\n',
            ),
            { maxLength: 40 },
          )
          .map((parts) => Buffer.from(parts.join(''), 'utf8')),
        // a slice of the shipped runbook, cut anywhere (a torn write)
        fc.nat({ max: BASE_TEXT.length }).map((n) => Buffer.from(BASE_TEXT.slice(0, n), 'utf8')),
      );
      let i = 0;
      await fc.assert(
        fc.asyncProperty(noise, async (bytes) => {
          const file = path.join(runs.root, `case-${i++ % 8}.yaml`);
          writeFileSync(file, bytes);
          const [result] = await validatePaths([file], { registry, cwd: runs.root });
          checkDiagnostics(result.diagnostics, result.loaded?.text ?? '');
        }),
        opts(300),
      );
    } finally {
      runs.cleanup();
    }
  });

  it('the generic simulator answers every registered action with an output its schema accepts', async () => {
    const bad: string[] = [];
    for (const a of await registry.all()) {
      const out = minimalValue(a.def.output);
      const check = a.validateOutput(out);
      if (!check.ok) bad.push(`${a.id}: ${check.message}`);
    }
    expect(bad).to.deep.equal([]);
    expect(
      answerFor({ id: 's', manual: { ask: { type: 'select', choices: ['a', { value: 'b' }] } } }, () => 0.9),
    ).to.equal('b');
  });

  it('executing a mutated runbook that validates never ends in an uncaught exception', async () => {
    let executed = 0;
    const statuses = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutationArb, { minLength: 0, maxLength: 2 }),
        fc.integer(),
        fc.constantFrom<Record<string, unknown>>(
          {},
          { bucket: 'leaky-bucket' },
          { bucket: 'leaky-bucket', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', adminControl: true },
          { roleName: 'app-role', objectKeys: ['a/b.txt'] },
        ),
        async (muts, runSeed, inputs) => {
          const text = mutated(muts);
          const loaded = parseRunbook(text, 'fuzz.yaml');
          const diags = await validateRunbook(loaded, { registry });
          if (!loaded.doc || diags.some((d) => d.severity === 'error')) return;
          executed++;
          const random = prng(runSeed);
          const events: RunEvent[] = [];
          // A mutated retry or timeout could sleep for minutes: the run is cancelled after a
          // while (cancellation is a normal end, IRUN_ABORTED), which also exercises that path.
          const controller = new AbortController();
          const timer = setTimeout(() => controller.abort(new IrunError(Codes.ABORTED, 'fuzz case cancelled')), 5_000);
          let result;
          try {
            result = await execute({
              doc: loaded.doc,
              file: 'fuzz.yaml',
              sha256: loaded.sha256,
              registry,
              human: new GenericHuman(random),
              simulator: new GenericSimulator(registry, random),
              inputs,
              actor: 'fuzzer',
              now: () => new Date('2024-05-07T12:00:00Z'),
              runId: 'fuzz',
              signal: controller.signal,
              listeners: [(e) => void events.push(e)],
            });
          } catch (err) {
            // Inputs a mutation made invalid are refused before the run: an IrunError, not a crash.
            expect(err, String((err as Error)?.stack)).to.be.instanceOf(IrunError);
            expect((err as IrunError).code).to.match(CODE);
            return;
          } finally {
            clearTimeout(timer);
          }
          statuses.add(result.status);
          expect(STATUSES, JSON.stringify(result.error)).to.include(result.status);
          if (result.error) expect(result.error.code, result.error.message).to.match(CODE);
          for (const e of events) {
            const err = (e as { error?: { code?: string; message?: string } }).error;
            if (err) expect(err.code, `${e.type} ${err.message}`).to.match(CODE);
          }
          expect(events[events.length - 1].type).to.be.oneOf(['run.end', 'run.waiting']);
        },
      ),
      opts(30),
    );
    expect(executed, 'cases that validated and ran').to.be.at.least(5);
    expect(statuses.size, [...statuses].join(',')).to.be.at.least(2);
  });
});
