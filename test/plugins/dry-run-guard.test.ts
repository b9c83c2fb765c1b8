/**
 * The dry-run guard judged by a hand-written table (test/helpers/aws-commands.ts), not by its own
 * rule: every change the packs can send is refused under dry-run before it reaches the client,
 * every read goes through, and in a live run changes go through too. Real SDK command classes,
 * real clients with aws-sdk-client-mock behind the guard.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { IrunError } from '../../engine/errors.js';
import { isReadStatement } from '../../plugins/aws-athena/query.js';
import { client } from '../../plugins/aws-common/index.js';
import {
  commandsIn,
  MUTATING,
  MUTATING_SQL,
  READ_SQL,
  READS,
  SERVICES,
  SIGNER,
  type Service,
} from '../helpers/aws-commands.js';
import { makeCtx } from '../helpers/ctx.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const CLIENT_CLASS: Record<Service, string> = {
  accessanalyzer: 'AccessAnalyzerClient',
  athena: 'AthenaClient',
  cloudtrail: 'CloudTrailClient',
  ec2: 'EC2Client',
  iam: 'IAMClient',
  macie2: 'Macie2Client',
  s3: 'S3Client',
  s3control: 'S3ControlClient',
  sts: 'STSClient',
  guardduty: 'GuardDutyClient',
  securityhub: 'SecurityHubClient',
};

type Ctor = new (input: unknown) => { constructor: { name: string } };
type Module = Record<string, unknown>;
const modules = new Map<Service, Module>();
const stubs = new Map<Service, AwsStub<any, any, any>>();

function commandClass(service: Service, name: string): Ctor {
  const C = modules.get(service)![`${name}Command`];
  expect(C, `${SERVICES[service]} has ${name}Command`).to.be.a('function');
  return C as Ctor;
}

async function sendThroughGuard(
  service: Service,
  command: unknown,
  dryRun: boolean,
): Promise<{ error?: IrunError; sent: number }> {
  const stub = stubs.get(service)!;
  stub.resetHistory();
  const ctx = makeCtx({ dryRun, aws: { region: 'us-east-1', accountId: '111122223333' } });
  const Client = modules.get(service)![CLIENT_CLASS[service]] as new (c: unknown) => {
    send(c: unknown): Promise<unknown>;
  };
  const c = await client(ctx, Client);
  let error: IrunError | undefined;
  try {
    await c.send(command);
  } catch (e) {
    error = e as IrunError;
  }
  return { error, sent: stub.calls().length };
}

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourcesUnder(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('dry-run guard, judged by a hand-written table of AWS changes', () => {
  before(async () => {
    for (const [service, mod] of Object.entries(SERVICES) as [Service, string][]) {
      const m = (await import(mod)) as Module;
      modules.set(service, m);
      const stub = mockClient(m[CLIENT_CLASS[service]] as never);
      stub.onAnyCommand().resolves({});
      stubs.set(service, stub);
    }
  });
  after(() => {
    for (const s of stubs.values()) s.restore();
  });

  it('every command the packs send is classified by the table as a read or a change', () => {
    const known = new Set(Object.values({ ...READS }).flat());
    for (const list of Object.values(MUTATING)) for (const n of list) known.add(n);
    known.add('StartQueryExecution'); // judged by its SQL, below
    for (const n of SIGNER) known.add(n);
    const unclassified: string[] = [];
    for (const file of sourcesUnder(path.join(ROOT, 'plugins'))) {
      for (const name of commandsIn(readFileSync(file, 'utf8'))) {
        if (!known.has(name)) unclassified.push(`${path.relative(ROOT, file)}: ${name}`);
      }
    }
    expect(unclassified, 'add these to test/helpers/aws-commands.ts as a read or a change').to.deep.equal([]);
  });

  for (const [service, names] of Object.entries(MUTATING) as [Service, string[]][]) {
    for (const name of names) {
      it(`${service} ${name}: refused under dry-run, never reaches the client; sent in a live run`, async () => {
        const C = commandClass(service, name);
        const dry = await sendThroughGuard(service, new C({}), true);
        expect(dry.error?.code, `${name} under dry-run`).to.equal('IRUN_DRY_RUN_BLOCKED');
        expect(dry.error?.message).to.equal(`dry-run: ${name} changes AWS state and was not sent`);
        expect(dry.sent).to.equal(0);
        const live = await sendThroughGuard(service, new C({}), false);
        expect(live.error, `${name} in a live run`).to.equal(undefined);
        expect(live.sent).to.equal(1);
      });
    }
  }

  it('every read the packs send goes through under dry-run', async () => {
    const refused: string[] = [];
    for (const [service, names] of Object.entries(READS) as [Service, string[]][]) {
      for (const name of names) {
        const C = commandClass(service, name);
        const r = await sendThroughGuard(service, new C({}), true);
        if (r.error || r.sent !== 1) refused.push(`${service} ${name}: ${r.error?.message ?? `sent ${r.sent}`}`);
      }
    }
    expect(refused).to.deep.equal([]);
  });

  describe('Athena statements', () => {
    for (const sql of MUTATING_SQL) {
      it(`refused under dry-run: ${JSON.stringify(sql)}`, async () => {
        const C = commandClass('athena', 'StartQueryExecution');
        const r = await sendThroughGuard('athena', new C({ QueryString: sql }), true);
        expect(r.error?.code).to.equal('IRUN_DRY_RUN_BLOCKED');
        expect(r.sent).to.equal(0);
        // the query action's own check agrees (it decides whether a query needs approval)
        if (sql.trim()) expect(isReadStatement(sql), 'isReadStatement').to.equal(false);
      });
    }
    for (const sql of READ_SQL) {
      it(`sent under dry-run: ${JSON.stringify(sql)}`, async () => {
        const C = commandClass('athena', 'StartQueryExecution');
        const r = await sendThroughGuard('athena', new C({ QueryString: sql }), true);
        expect(r.error).to.equal(undefined);
        expect(r.sent).to.equal(1);
        expect(isReadStatement(sql), 'isReadStatement').to.equal(true);
      });
    }
    it('a StartQueryExecution without a query string is refused under dry-run', async () => {
      const C = commandClass('athena', 'StartQueryExecution');
      const r = await sendThroughGuard('athena', new C({}), true);
      expect(r.error?.code).to.equal('IRUN_DRY_RUN_BLOCKED');
      expect(r.sent).to.equal(0);
    });
  });
});
