/**
 * Hostile data: object keys, tag values, answers and Athena cells holding template syntax,
 * prototype names, quotes and SQL, HTML/script, newlines, terminal control sequences, bidi
 * overrides and unicode. They are data: never evaluated as templates (whether they reach a later
 * step's `with:`, `instructions:` or `set:`), quoted correctly in SQL, escaped in the HTML report
 * and neutralised in the console.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  AthenaClient,
  type GetQueryResultsOutput,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import fc from 'fast-check';
import { Codes } from '../../engine/errors.js';
import { parseRunbook } from '../../engine/load/index.js';
import { defineAction, definePlugin } from '../../engine/plugins/api.js';
import { consoleReporter } from '../../engine/report/console.js';
import type { RunEvent } from '../../engine/run/events.js';
import type { AnswerResult, ApprovalResult, Human, ManualPrompt } from '../../engine/run/human.js';
import { evaluate, evaluateString, render } from '../../engine/template/index.js';
import athenaPack, { dataEventsQuery, renderParameter } from '../../plugins/aws-athena/index.js';
import { makeCtx } from '../helpers/ctx.js';
import { dedent } from '../helpers/fs.js';
import { runYaml, testRegistry } from '../run/helpers.js';
import { fuzzRuns, fuzzSeed, runWithRecord, tempRuns } from './helpers.js';

/** Data an attacker controls: object keys, tag values, answers, query results. */
export const HOSTILE: string[] = [
  '{{ inputs.secret }}',
  '{{#each steps}}{{this}}{{/each}}',
  '{{{ inputs.secret }}}',
  '{{> partial }}',
  '{{ constructor.constructor "return process" }}',
  '__proto__',
  'constructor',
  'prototype',
  `it's "quoted" \`back\` \\ backslash`,
  "'; DROP TABLE x; --",
  "x' OR '1'='1",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  'line1\nline2\r\nline3',
  '\u001b[2J\u001b[H',
  '\u001b]0;pwned title\u0007',
  '\u001b[31mred\u001b[0m',
  'bell\u0007 backspace\b',
  'carriage\rreturn overwrite',
  'bidi \u202eexe.txt\u202c',
  '\u2066isolate\u2069',
  'emoji 🧨 ünïcödé 漢字 \u200b',
  '\u009b31m C1 CSI',
  '&amp; &lt;b&gt;',
  '${process.env.HOME}',
  '../../etc/passwd',
];

const SECRET = 'SECRET-INPUT-VALUE';
/** Control characters (C0 except \n and \t, DEL, C1) and bidi controls. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** An output the way an AWS pack would return it: hostile keys, tags and values, a key named __proto__. */
function awsLikeOutput(p: string): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      key: p,
      tags: { [p]: p, Name: p },
      keys: [p, `${p}-2`],
      nested: { __proto__PLACEHOLDER: { polluted: p }, constructor: { prototype: { polluted: p } } },
    }).replace('__proto__PLACEHOLDER', '__proto__'),
  ) as Record<string, unknown>;
}

/** A registry with the test actions (t.echo, ...) and `h.data`, which returns the current payload. */
function hostileRegistry(payload: { current: string }) {
  const { registry } = testRegistry();
  registry.addPack(
    definePlugin({
      namespace: 'h',
      actions: {
        data: defineAction({
          description: 'returns attacker-controlled data',
          input: { type: 'object', additionalProperties: false },
          output: { type: 'object' },
          effect: 'read',
          permissions: [],
          async run() {
            return awsLikeOutput(payload.current);
          },
        }),
      },
    }),
  );
  return registry;
}

/** Answers every manual step with the payload and keeps what it was shown. */
class RecordingHuman implements Human {
  readonly prompts: ManualPrompt[] = [];
  constructor(private readonly payload: { current: string }) {}
  async answer(p: ManualPrompt): Promise<AnswerResult> {
    this.prompts.push(p);
    return { value: this.payload.current, actor: `${this.payload.current} (actor)`, source: 'answers-file' };
  }
  async approve(): Promise<ApprovalResult> {
    return { approved: true, actor: 'tester', source: 'yes' };
  }
}

const FLOW = dedent`
  irun: 1
  id: hostile
  title: Hostile data
  inputs:
    secret: { type: string, default: ${SECRET}, secret: true }
  parts:
    - id: p
      title: Part one
      steps:
        - id: source
          title: Read attacker-controlled data
          action: h.data
        - id: whole
          action: t.echo
          with: { value: "{{ steps.source.output }}" }
        - id: embedded
          action: t.echo
          with: { value: "key={{ steps.source.output.key }}" }
        - id: ask
          manual:
            instructions: "Look at {{ steps.source.output.key }} tagged {{ json steps.source.output.tags }}"
            checklist: ["check {{ steps.source.output.key }}"]
            ask: { type: input, message: "About {{ steps.source.output.key }}?" }
        - id: echo-answer
          action: t.echo
          with: { value: "{{ steps.ask.output }}" }
        - id: remember
          set: { seen: "{{ steps.source.output.keys }}", note: "saw {{ first steps.source.output.keys }}" }
        - id: loop
          forEach: "{{ steps.source.output.keys }}"
          as: k
          action: t.echo
          with: { value: "{{ k }}" }
        - id: proto
          action: t.echo
          with: { value: "{{ steps.source.output.nested }}" }
        - id: done
          end: { status: resolved, message: "done with {{ steps.source.output.key }}" }
`;

describe('hardening: hostile data', function () {
  this.timeout(60_000);

  describe('never evaluated as templates', () => {
    it('flows through steps.x.output into with:, instructions:, set:, forEach and end messages unchanged, for every payload', async () => {
      const payload = { current: '' };
      const registry = hostileRegistry(payload);
      for (const p of HOSTILE) {
        payload.current = p;
        const human = new RecordingHuman(payload);
        const run = await runYaml(FLOW, { registry, human });
        const out = (id: string) => (run.ends.get(id)?.output as { value?: unknown } | undefined)?.value;
        expect(run.status, `${JSON.stringify(p)}: ${JSON.stringify(run.error)}`).to.equal('completed');
        expect(out('whole'), JSON.stringify(p)).to.deep.equal(awsLikeOutput(p));
        expect(out('embedded')).to.equal(`key=${p}`);
        expect(human.prompts[0].instructions).to.equal(`Look at ${p} tagged ${JSON.stringify(awsLikeOutput(p).tags)}`);
        expect(human.prompts[0].checklist).to.deep.equal([`check ${p}`]);
        expect(human.prompts[0].ask?.message).to.equal(`About ${p}?`);
        expect(out('echo-answer')).to.equal(p);
        expect(run.state.vars.seen).to.deep.equal([p, `${p}-2`]);
        expect(run.state.vars.note).to.equal(`saw ${p}`);
        expect((run.ends.get('loop')!.output as { value: unknown }[]).map((o) => o.value)).to.deep.equal([p, `${p}-2`]);
        expect(out('proto')).to.deep.equal(awsLikeOutput(p).nested);
        expect(run.message).to.equal(`done with ${p}`);
        // `{{ inputs.secret }}` inside data was never rendered: the secret appears nowhere.
        expect(JSON.stringify(run.events)).to.not.include(SECRET);
        // and nothing reached Object.prototype
        expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
        expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).to.equal(false);
      }
    });

    it('the template engine reads own data only: prototype names in paths are absent, never the Object machinery', () => {
      const scope = {
        inputs: {},
        vars: {},
        steps: { s: { output: awsLikeOutput('x'), status: 'completed', error: null } },
        parts: {},
        run: {},
      };
      for (const expr of [
        '{{ steps.s.output.constructor }}',
        '{{ steps.s.output.key.constructor }}',
        '{{ steps.s.output.toString }}',
        '{{ steps.s.output.keys.length.constructor }}',
        '{{ steps.s.output.__proto__ }}',
      ]) {
        let value: unknown;
        try {
          value = evaluateString(expr, scope);
        } catch (err) {
          expect((err as { code?: string }).code, expr).to.match(/^IRUN_TEMPLATE_/);
          continue;
        }
        expect(typeof value, expr).to.not.equal('function');
        expect(value, expr).to.not.equal(Object.prototype);
        expect(value, expr).to.not.equal(Object);
      }
      // an own "constructor" key of the data is just data
      expect(evaluateString('{{ steps.s.output.nested.constructor.prototype.polluted }}', scope)).to.equal('x');
      // rendering data that looks like a template is literal
      const data = { steps: { s: { output: { key: '{{ inputs.secret }}' } } }, inputs: { secret: SECRET } };
      expect(render('[{{ steps.s.output.key }}]', data)).to.equal('[{{ inputs.secret }}]');
      expect(evaluate({ a: ['{{ steps.s.output.key }}'] }, data)).to.deep.equal({ a: ['{{ inputs.secret }}'] });
    });

    it('any string reaching a later step through a template comes out byte for byte (property)', async () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 12 }), { maxKeys: 4 }),
          (s, tags) => {
            const scope = { steps: { s: { output: { key: s, tags } } } };
            expect(evaluateString('{{ steps.s.output.key }}', scope)).to.equal(s);
            expect(render('<{{ steps.s.output.key }}>', scope)).to.equal(`<${s}>`);
            expect(evaluateString('{{ steps.s.output.tags }}', scope)).to.deep.equal(tags);
          },
        ),
        { numRuns: fuzzRuns(300), ...(fuzzSeed() !== undefined ? { seed: fuzzSeed() } : {}) },
      );
    });
  });

  describe('quoted correctly in SQL', () => {
    const unquote = (lit: string) => {
      expect(lit.startsWith("'") && lit.endsWith("'") && lit.length >= 2, lit).to.equal(true);
      const inner = lit.slice(1, -1);
      // inside the literal every quote is doubled: no way out of the string
      expect(inner.replaceAll("''", ''), lit).to.not.include("'");
      return inner.replaceAll("''", "'");
    };

    it('renderParameter and sqlString turn any text into one literal that reads back as the text', () => {
      for (const p of HOSTILE) expect(unquote(renderParameter(p))).to.equal(p);
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
          if (s.includes('\u0000')) {
            // a NUL is refused by both, never passed through
            expect(() => renderParameter(s)).to.throw(/NUL/);
            return;
          }
          expect(unquote(renderParameter(s))).to.equal(s);
          expect(unquote(evaluateString('{{ sqlString v }}', { v: s }) as string)).to.equal(s);
        }),
        { numRuns: fuzzRuns(300), ...(fuzzSeed() !== undefined ? { seed: fuzzSeed() } : {}) },
      );
    });

    it('sqlIdent refuses anything but a plain identifier', () => {
      for (const p of HOSTILE.filter((x) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(x))) {
        expect(() => evaluateString('{{ sqlIdent v }}', { v: p }), p)
          .to.throw()
          .with.property('code')
          .that.matches(/^IRUN_TEMPLATE_/);
      }
      // a plain word is a fine identifier, quoted
      expect(evaluateString('{{ sqlIdent v }}', { v: '__proto__' })).to.equal('"__proto__"');
      expect(evaluateString('{{ sqlIdent v }}', { v: 'db.cloudtrail_logs' })).to.equal('"db"."cloudtrail_logs"');
    });

    it('the CloudTrail data-event query carries an object key only as an execution parameter, and hostile cells come back as data', async () => {
      const athena = mockClient(AthenaClient);
      try {
        for (const p of HOSTILE.slice(0, 12)) {
          athena.reset();
          const { query } = dataEventsQuery(
            {
              database: 'default',
              table: 'cloudtrail_logs',
              mode: 'objectKey',
              value: p,
              bucket: 'bucket-1',
              since: '2024-05-01T00:00:00Z',
            },
            new Date('2024-05-07T12:00:00Z'),
          );
          expect(query, p).to.not.include(p);
          athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
          athena.on(GetQueryExecutionCommand).resolves({
            QueryExecution: { QueryExecutionId: 'q-1', StatementType: 'DML', Status: { State: 'SUCCEEDED' } },
          });
          const rows = [
            { Data: [{ VarCharValue: 'eventtime' }, { VarCharValue: 'eventname' }] },
            { Data: [{ VarCharValue: p }, { VarCharValue: `GetObject ${p}` }] },
          ];
          athena.on(GetQueryResultsCommand).resolves({
            ResultSet: {
              Rows: rows,
              ResultSetMetadata: {
                ColumnInfo: [
                  { Name: 'eventtime', Type: 'varchar' },
                  { Name: 'eventname', Type: 'varchar' },
                ],
              },
            },
          } as GetQueryResultsOutput);
          const ctx = makeCtx();
          ctx.sleep = async () => {};
          const out = (await athenaPack.actions.cloudTrailDataEvents.run(
            ctx,
            {
              database: 'default',
              table: 'cloudtrail_logs',
              mode: 'objectKey',
              value: p,
              bucket: 'bucket-1',
              since: '2024-05-01T00:00:00Z',
              until: '2024-05-07T12:00:00Z',
            },
            undefined,
          )) as { rows: Record<string, unknown>[] };
          const start = athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input;
          expect(start.QueryString, p).to.not.include(p);
          expect(start.ExecutionParameters?.[0]).to.equal(renderParameter(p));
          expect(out.rows[0]).to.deep.equal({ eventtime: p, eventname: `GetObject ${p}` });
          // a cell flowing into a later step's text is literal, and reaches SQL only through sqlString
          expect(render('{{ sqlString steps.q.output.rows.0.eventtime }}', { steps: { q: { output: out } } })).to.equal(
            renderParameter(p),
          );
        }
      } finally {
        athena.restore();
      }
    });
  });

  describe('neutralised in the terminal and escaped in the HTML report', () => {
    const runs = tempRuns('irun-hostile-');
    after(() => runs.cleanup());

    /** Run FLOW with one payload, recording it (RunStore) and collecting the console output. */
    async function recorded(
      p: string,
      color: boolean,
    ): Promise<{ console: string; dir: string; events: RunEvent[]; runbookFile: string }> {
      const payload = { current: p };
      const registry = hostileRegistry(payload);
      const runbookFile = path.join(runs.root, 'hostile.yaml');
      writeFileSync(runbookFile, FLOW);
      const chunks: Buffer[] = [];
      const out = new Writable({
        write(chunk: Buffer | string, _enc, cb) {
          chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
          cb();
        },
      });
      const doc = parseRunbook(FLOW, runbookFile).doc!;
      const reporter = consoleReporter({ out, color, doc, spinner: false });
      const run = await runWithRecord(FLOW, {
        root: runs.root,
        registry,
        human: new RecordingHuman(payload),
        listeners: [reporter],
        file: runbookFile,
      });
      reporter.close();
      // events the run did not produce but data can reach: a failure message, a log line, a plan
      for (const e of hostileExtras(p)) await reporter(e);
      expect(run.result.status).to.equal('completed');
      return { console: Buffer.concat(chunks).toString('utf8'), dir: run.dir, events: run.events, runbookFile };
    }

    function hostileExtras(p: string): RunEvent[] {
      return [
        {
          type: 'step.start',
          step: 'source',
          part: 'p',
          kind: 'action',
          visit: 2,
          action: 'h.data',
          effect: 'read',
        } as RunEvent,
        { type: 'log', step: 'source', level: 'warn', message: `retrying GetObjectAcl on ${p}` } as RunEvent,
        { type: 'progress', step: 'source', progress: { message: p, done: 1, total: 2 } } as RunEvent,
        {
          type: 'approval',
          step: 'source',
          approved: true,
          actor: p,
          at: '2024-05-07T12:00:00Z',
          source: 'yes',
          plan: { summary: `reset ACL of ${p}` },
        } as RunEvent,
        {
          type: 'step.end',
          step: 'source',
          status: 'completed',
          durationMs: 1,
          next: null,
          output: { [p]: p, [`${p}2`]: [p] },
        } as RunEvent,
        {
          type: 'step.end',
          step: 'source',
          status: 'failed',
          durationMs: 1,
          next: null,
          error: { code: Codes.ACTION_FAILED, message: `NoSuchKey: ${p}` },
        } as RunEvent,
        { type: 'step.end', step: 'source', status: 'skipped', durationMs: 1, next: null, reason: p } as RunEvent,
        { type: 'run.waiting', step: 'ask', reason: 'answer', message: p } as RunEvent,
        {
          type: 'run.end',
          status: 'failed',
          outcome: 'failed',
          message: p,
          error: { code: Codes.ACTION_FAILED, message: p },
          endedAt: '2024-05-07T12:00:00Z',
        } as RunEvent,
      ];
    }

    it('the console reporter writes no control character or bidi override from data (plain and colour)', async () => {
      const problems: string[] = [];
      for (const color of [false, true]) {
        for (const p of HOSTILE) {
          const { console: text } = await recorded(p, color);
          // colour is the reporter's own SGR sequences (ESC [ n m) and nothing else
          const stripped = color ? text.replace(/\u001b\[\d+(;\d+)*m/g, '') : text;
          for (const line of stripped.split('\n')) {
            const bad = CONTROL.exec(line);
            if (bad)
              problems.push(
                `${JSON.stringify(p)} (color ${color}) wrote ${JSON.stringify(bad[0])} in ${JSON.stringify(line.trim())}`,
              );
          }
          // what the responder needs is still there, made visible
          if (p === '\u001b[2J\u001b[H') expect(stripped).to.include('\\x1b[2J');
        }
      }
      expect(problems.length, problems.join('\n')).to.equal(0);
    });

    it('the HTML report escapes markup and neutralises control characters from data', async function () {
      let renderReport: ((model: unknown, format: 'html') => Promise<string>) | undefined;
      let buildReport: ((dir: string, o?: { runbookFile?: string; now?: () => Date }) => Promise<unknown>) | undefined;
      try {
        ({ renderReport, buildReport } = (await import('../../engine/report/report.js')) as never);
      } catch {
        // engine/report/report.ts is not there yet: nothing to check
        this.skip();
      }
      for (const p of HOSTILE) {
        const { dir, runbookFile } = await recorded(p, false);
        const model = await buildReport!(dir, { runbookFile, now: () => new Date('2024-05-07T13:00:00Z') });
        const html = await renderReport!(model, 'html');
        // Escaped text holds no '<': any tag in the page is the report's own.
        const tags = new Set([...html.matchAll(/<\/?([A-Za-z][A-Za-z0-9-]*)/g)].map((m) => m[1].toLowerCase()));
        for (const t of ['script', 'img', 'svg', 'iframe', 'object'])
          expect(tags.has(t), `${p}: <${t}>`).to.equal(false);
        expect(html, p).to.not.match(/<[^>]*\son[a-z]+\s*=/i);
        const bad = CONTROL.exec(html);
        expect(
          bad,
          `${JSON.stringify(p)}: ${JSON.stringify(bad && html.slice(Math.max(0, bad.index - 60), bad.index + 20))}`,
        ).to.equal(null);
        if (p.startsWith('<script>')) expect(html).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
        expect(html).to.not.include(SECRET);
      }
    });
  });
});
