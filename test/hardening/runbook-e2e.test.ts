/**
 * The shipped S3 runbook, run for real (no --scenario) against the local S3-protocol server with
 * --endpoint-url semantics (ExecuteOptions.aws.endpointUrl), with 20% of requests faulted.
 *
 * Every aws.s3 step goes over HTTP to the server (real SDK clients, signing, XML, retries). The
 * other packs (STS, CloudTrail, Athena, IAM, EC2, Macie, Access Analyzer, S3 Control) talk to
 * services the server does not speak: a registry override replaces their `run` with the answers
 * of the public-bucket-policy game-day scenario for that step (their schemas and effects stay the
 * packs' own, so inputs and outputs are still checked). Inputs, answers and approvals are the
 * scenario's: the human side of the run is scripted, the S3 side is not.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { definePlugin, type ActionDefinition, type PluginDefinition } from '../../engine/plugins/api.js';
import { Registry } from '../../engine/plugins/registry.js';
import type { LogEvent, StepEndEvent, StepStartEvent } from '../../engine/run/events.js';
import { PresetHuman } from '../../engine/run/human.js';
import { loadScenario } from '../../engine/run/simulate.js';
import accessanalyzer from '../../plugins/aws-accessanalyzer/index.js';
import athena from '../../plugins/aws-athena/index.js';
import cloudtrail from '../../plugins/aws-cloudtrail/index.js';
import ec2 from '../../plugins/aws-ec2/index.js';
import iam from '../../plugins/aws-iam/index.js';
import macie2 from '../../plugins/aws-macie2/index.js';
import s3control from '../../plugins/aws-s3control/index.js';
import sts from '../../plugins/aws-sts/index.js';
import { ALL_USERS, startS3Server, type S3Server } from '../helpers/s3-server.js';
import { minimalValue } from './generic.js';
import { fastSdkRetries, runWithRecord, tempRuns, useLocalAws } from './helpers.js';

const RUNBOOK = path.resolve('runbooks/s3-unintended-access.yaml');
const SCENARIO = loadScenario(path.resolve('runbooks/scenarios/public-bucket-policy.yaml'));
const BUCKET = 'acme-reports-prod';
const NOW = new Date(SCENARIO.now!);
const DAY = 86_400_000;

/** A copy of a pack whose actions answer from the scenario's stubs (by step id) instead of AWS. */
function scripted(pack: PluginDefinition, calls: string[]): PluginDefinition {
  const actions: Record<string, ActionDefinition> = {};
  for (const [name, def] of Object.entries(pack.actions)) {
    actions[name] = {
      ...def,
      capture: undefined,
      preview: undefined,
      async run(ctx) {
        calls.push(ctx.stepId);
        const stub =
          SCENARIO.stubs?.find((s) => s.step === ctx.stepId) ??
          SCENARIO.stubs?.find((s) => !s.step && s.action === ctx.action);
        return structuredClone(stub?.output ?? minimalValue(def.output));
      },
    };
  }
  return definePlugin({ ...pack, actions });
}

describe('hardening: the S3 runbook end to end against the local S3 server (no scenario), 20% faults', function () {
  this.timeout(120_000);
  let restoreAws: () => void;
  let restoreRetries: () => void;
  let server: S3Server;
  const runs = tempRuns('irun-e2e-');

  before(async () => {
    restoreAws = useLocalAws();
    restoreRetries = await fastSdkRetries();
    server = await startS3Server({ seed: 11 });
  });
  after(async () => {
    await server.close();
    restoreRetries();
    restoreAws();
    runs.cleanup();
  });

  it('contains, hardens and restores the bucket for real, every S3 step over HTTP, and finishes', async () => {
    const { store } = server;
    store.createBucket(BUCKET, { ownership: 'BucketOwnerPreferred' });
    const b = store.bucket(BUCKET)!;
    const publicStatement = {
      Sid: 'PublicRead',
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    };
    const appStatement = {
      Sid: 'App',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:role/reporting' },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    };
    b.config.set('policy', JSON.stringify({ Version: '2012-10-17', Statement: [publicStatement, appStatement] }));
    // reports, a few with public-read ACLs; two deleted two days ago (inside the 7-day window)
    const old = NOW.getTime() - 30 * DAY;
    for (let i = 1; i <= 12; i++)
      store.putObject(BUCKET, `monthly/2024-${String(i).padStart(2, '0')}.pdf`, {
        body: `report ${i}`,
        lastModified: old + i * 1000,
        acl: i % 4 === 0 ? 'public-read' : 'private',
      });
    store.deleteObject(BUCKET, 'monthly/2024-03.pdf', { lastModified: NOW.getTime() - 2 * DAY });
    store.deleteObject(BUCKET, 'monthly/2024-04.pdf', { lastModified: NOW.getTime() - 2 * DAY + 1000 });
    server.setFaultRate(0.2);

    const registry = new Registry();
    const scriptedCalls: string[] = [];
    for (const pack of [sts, cloudtrail, athena, iam, ec2, macie2, accessanalyzer, s3control])
      registry.addPack(scripted(pack, scriptedCalls), 'builtin');

    const text = readFileSync(RUNBOOK, 'utf8');
    const run = await runWithRecord(text, {
      root: runs.root,
      file: RUNBOOK,
      registry,
      inputs: SCENARIO.inputs,
      human: new PresetHuman({ actor: 'responder', answers: SCENARIO.answers, approveAll: true }),
      aws: { endpointUrl: server.url, region: 'us-east-1', maxAttempts: 12 },
      now: () => NOW,
    });
    const starts = run.events.filter((e): e is StepStartEvent => e.type === 'step.start');
    const ends = new Map(run.events.filter((e): e is StepEndEvent => e.type === 'step.end').map((e) => [e.step, e]));
    const s3Steps = starts.filter((e) => e.action?.startsWith('aws.s3.')).map((e) => e.step);
    const failed = [...ends.values()]
      .filter((e) => e.status === 'failed')
      .map((e) => `${e.step}: ${e.error?.code} ${e.error?.message}`);

    expect(run.result.status, `${JSON.stringify(run.result.error)}\nfailed steps:\n${failed.join('\n')}`).to.equal(
      'completed',
    );
    expect(run.result.outcome).to.equal('resolved');
    expect(failed).to.deep.equal([]);
    // the S3 part of the runbook ran against the server, not against stubs
    expect(s3Steps).to.include.members([
      'exposure-snapshot',
      'ownership',
      'remove-public-statements',
      'block-public-access',
      'bucket-acl',
      'object-acls',
      'encryption',
      'versioning',
      'object-lock',
      'versions',
      'restore-deleted',
      'exposure-after',
    ]);
    for (const step of s3Steps) expect(scriptedCalls, step).to.not.include(step);

    // What the server holds now: the containment and recovery really happened.
    const policy = JSON.parse(b.config.get('policy')!) as { Statement: { Sid: string }[] };
    expect(policy.Statement.map((s) => s.Sid)).to.deep.equal(['App']);
    expect(b.config.get('publicAccessBlock')).to.match(/<BlockPublicAcls>true<\/BlockPublicAcls>/);
    expect(b.config.get('encryption')).to.match(/aws:kms/);
    for (const { key, version } of store.entries(BUCKET)) {
      if (version.deleteMarker) continue;
      expect(
        version.acl.grants.some((g) => g.uri === ALL_USERS),
        `${key} ${version.versionId}`,
      ).to.equal(false);
      const wasPublic = Number(key.slice(13, 15)) % 4 === 0;
      expect(store.aclPuts(BUCKET, key, version.versionId), key).to.equal(wasPublic ? 1 : 0);
    }
    // the two deleted reports: their delete marker removed once (2024-04 also had its public ACL reset once)
    expect(store.writes(BUCKET, 'monthly/2024-03.pdf')).to.deep.equal({ DeleteObject: 1 });
    expect(store.writes(BUCKET, 'monthly/2024-04.pdf')).to.deep.equal({ PutObjectAcl: 1, DeleteObject: 1 });
    for (const key of ['monthly/2024-03.pdf', 'monthly/2024-04.pdf']) {
      expect(store.version(BUCKET, key)!.deleteMarker, key).to.equal(false);
      expect(store.version(BUCKET, key)!.body!.toString(), key).to.equal(`report ${Number(key.slice(13, 15))}`);
    }
    // the exposure snapshots (one per known bucket) read the server before and after
    const exposure = (step: string) =>
      (ends.get(step)!.output as { bucket: string; public: boolean }[]).map((o) => [o.bucket, o.public]);
    expect(exposure('exposure-snapshot')).to.deep.equal([[BUCKET, true]]);
    expect(exposure('exposure-after')).to.deep.equal([[BUCKET, false]]);

    // faults happened and the SDK's retries are in the journal, on S3 steps
    const faults =
      (server.counts['fault:SlowDown'] ?? 0) +
      (server.counts['fault:InternalError'] ?? 0) +
      (server.counts['fault:reset'] ?? 0);
    expect(faults).to.be.greaterThan(5);
    const retries = run.events.filter((e): e is LogEvent => e.type === 'log' && /^retrying /.test(e.message));
    expect(retries.length).to.equal(faults);
    for (const r of retries) expect(s3Steps, r.step).to.include(r.step);
  });
});
