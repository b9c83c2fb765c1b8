/** AWS settings reaching actions, and secrets never reaching console, journal or evidence. */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { defineAction, definePlugin } from '../../engine/plugins/api.js';
import { consoleReporter } from '../../engine/report/console.js';
import { RunStore } from '../../engine/run/store.js';
import { tempTree } from '../helpers/fs.js';
import { runYaml, testRegistry } from './helpers.js';
import { parseRunbook } from '../../engine/load/index.js';

const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION = 'IQoJb3JpZ2luX2VjEH0aCXVzLWVhc3QtMSJHMEUCIQD' + 'A'.repeat(80);

function registryWithProbe() {
  const { registry, t } = testRegistry();
  registry.addPack(
    definePlugin({
      namespace: 'probe',
      actions: {
        aws: defineAction({
          description: 'returns the AWS settings it was given',
          input: { type: 'object', properties: {}, additionalProperties: false },
          output: { type: 'object' },
          effect: 'read',
          permissions: [],
          async run(ctx) {
            return { ...ctx.aws };
          },
        }),
        leak: defineAction({
          description: 'returns and saves credentials, as a careless action might',
          input: { type: 'object', properties: { token: { type: 'string' } }, additionalProperties: false },
          output: { type: 'object' },
          effect: 'read',
          permissions: [],
          async run(ctx, input: { token?: string }) {
            const creds = {
              AccessKeyId: 'ASIAEXAMPLEEXAMPLE12',
              SecretAccessKey: SECRET_KEY,
              SessionToken: SESSION,
              note: `token ${input.token}`,
            };
            await ctx.evidence.save('creds', creds);
            ctx.log.info(`got aws_secret_access_key=${SECRET_KEY} and token ${input.token}`);
            return creds;
          },
        }),
      },
    }),
  );
  return { registry, t };
}

describe('AWS settings per step', () => {
  it('command-line settings, then the runbook aws:, then the step aws: (templated), later wins', async () => {
    const { registry } = registryWithProbe();
    const r = await runYaml(
      `
irun: 1
id: aws
title: AWS settings
inputs: { region: { type: string, default: eu-west-1 }, role: { type: string, default: "arn:aws:iam::222233334444:role/Responder" } }
aws: { region: "{{ inputs.region }}", maxAttempts: 4 }
parts:
  - id: p
    steps:
      - { id: a, action: probe.aws }
      - { id: b, action: probe.aws, aws: { region: us-west-2, roleArn: "{{ inputs.role }}" } }
`,
      { registry, aws: { profile: 'ir', region: 'us-east-1', endpointUrl: 'http://127.0.0.1:9' } },
    );
    expect(r.state.steps.a.output).to.deep.equal({
      profile: 'ir',
      region: 'eu-west-1',
      endpointUrl: 'http://127.0.0.1:9',
      maxAttempts: 4,
    });
    expect(r.state.steps.b.output).to.deep.equal({
      profile: 'ir',
      region: 'us-west-2',
      endpointUrl: 'http://127.0.0.1:9',
      maxAttempts: 4,
      roleArn: 'arn:aws:iam::222233334444:role/Responder',
    });
  });
});

describe('secrets', () => {
  it('secret inputs and AWS-shaped secrets are redacted in the console, the journal and evidence', async () => {
    const { registry } = registryWithProbe();
    const t = tempTree();
    const out = new PassThrough();
    let printed = '';
    out.on('data', (d) => (printed += String(d)));
    try {
      const text = `
irun: 1
id: sec
title: Secrets
inputs: { apiToken: { type: string, secret: true } }
parts:
  - id: p
    steps:
      - { id: leak, action: probe.leak, with: { token: "{{ inputs.apiToken }}" } }
      - { id: say, action: core.log, with: { message: "calling the ticket API with {{ inputs.apiToken }}" } }
`;
      const doc = parseRunbook(text, 'sec.yaml').doc!;
      const store = RunStore.create(t.dir, 'run-1');
      const { execute } = await import('../../engine/run/executor.js');
      const { PresetHuman } = await import('../../engine/run/human.js');
      const result = await execute({
        doc,
        file: 'sec.yaml',
        sha256: 'x',
        registry,
        human: new PresetHuman({ actor: 'tester' }),
        inputs: { apiToken: 'tkn-5up3r-s3cret-value' },
        listeners: [
          store.listener(),
          consoleReporter({ out: out as unknown as NodeJS.WritableStream, color: false, doc }),
        ],
        evidenceFor: (s) => store.evidenceFor(s),
      });
      store.close();
      expect(result.status).to.equal('completed');
      // the run itself still had the real value
      expect(result.state.steps.say.output).to.deep.equal({
        message: 'calling the ticket API with tkn-5up3r-s3cret-value',
      });
      const dir = path.join(t.dir, 'run-1');
      const written = [
        readFileSync(path.join(dir, 'journal.jsonl'), 'utf8'),
        readFileSync(path.join(dir, 'run.json'), 'utf8'),
        ...readdirSync(path.join(dir, 'evidence')).map((f) => readFileSync(path.join(dir, 'evidence', f), 'utf8')),
      ];
      for (const [what, content] of [['console', printed], ...written.map((w, i) => [`file ${i}`, w])] as [
        string,
        string,
      ][]) {
        expect(content, what).to.not.include('tkn-5up3r-s3cret-value');
        expect(content, what).to.not.include(SECRET_KEY);
        expect(content, what).to.not.include(SESSION.slice(0, 60));
      }
      expect(written[0]).to.include('[REDACTED]');
      expect(written.length).to.be.greaterThan(2);
    } finally {
      t.cleanup();
    }
  });
});
