/**
 * The credential-leakage runbook run for real (no --scenario) on a leaked user key, with every
 * aws.iam step going over HTTP to a local IAM endpoint (real SDK client, query protocol, XML);
 * then `undo` of the run. Packs of services the endpoint does not speak (STS, GuardDuty, Security
 * Hub, CloudTrail, Athena, EC2) answer with the leaked-user-key-contained scenario's stubs, their
 * schemas still checked. Inputs, answers and approvals are the scenario's.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { definePlugin, type ActionDefinition, type PluginDefinition } from '../../engine/plugins/api.js';
import { Registry } from '../../engine/plugins/registry.js';
import type { StepEndEvent, StepStartEvent } from '../../engine/run/events.js';
import { PresetHuman } from '../../engine/run/human.js';
import { loadScenario } from '../../engine/run/simulate.js';
import { undoRun } from '../../engine/run/undo.js';
import athena from '../../plugins/aws-athena/index.js';
import cloudtrail from '../../plugins/aws-cloudtrail/index.js';
import ec2 from '../../plugins/aws-ec2/index.js';
import guardduty from '../../plugins/aws-guardduty/index.js';
import securityhub from '../../plugins/aws-securityhub/index.js';
import sts from '../../plugins/aws-sts/index.js';
import { startIamServer, type IamServer } from '../helpers/iam-server.js';
import { minimalValue } from './generic.js';
import { runWithRecord, tempRuns, useLocalAws } from './helpers.js';

const RUNBOOK = path.resolve('runbooks/credential-leakage.yaml');
const SCENARIO = loadScenario(path.resolve('runbooks/scenarios/leaked-user-key-contained.yaml'));
const KEY = 'AKIAIOSFODNN7EXAMPLE';
const OTHER_KEY = 'AKIAI44QH8DHBEXAMPLE';

function scripted(pack: PluginDefinition): PluginDefinition {
  const actions: Record<string, ActionDefinition> = {};
  for (const [name, def] of Object.entries(pack.actions)) {
    actions[name] = {
      ...def,
      capture: undefined,
      preview: undefined,
      undo: undefined,
      async run(ctx) {
        const stub = SCENARIO.stubs?.find((s) => s.step === ctx.stepId);
        return structuredClone(stub?.output ?? minimalValue(def.output));
      },
    };
  }
  return definePlugin({ ...pack, actions });
}

describe('hardening: a leaked user key contained end to end against a local IAM endpoint, then undone', function () {
  this.timeout(120_000);
  let restoreAws: () => void;
  let server: IamServer;
  let stubbedSend: PropertyDescriptor | undefined;
  const runs = tempRuns('irun-credleak-');

  before(async () => {
    restoreAws = useLocalAws();
    // other files stub IAMClient.prototype.send at load time: talk HTTP while this suite runs
    stubbedSend = Object.getOwnPropertyDescriptor(IAMClient.prototype, 'send');
    if (stubbedSend) delete (IAMClient.prototype as unknown as Record<string, unknown>).send;
    server = await startIamServer();
  });
  after(async () => {
    await server.close();
    if (stubbedSend) Object.defineProperty(IAMClient.prototype, 'send', stubbedSend);
    restoreAws();
    runs.cleanup();
  });

  it('deactivates the keys, denies everything, revokes sessions and removes the console password; undo restores all but the password', async () => {
    const user = server.addUser('ci-deployer', { keys: [KEY, OTHER_KEY], password: true });
    user.keys[1].status = 'Inactive';
    user.policies.set(
      'app-access',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
    );

    const registry = new Registry();
    for (const pack of [sts, guardduty, securityhub, cloudtrail, athena, ec2])
      registry.addPack(scripted(pack), 'builtin');
    const now = new Date(SCENARIO.now!);
    const run = await runWithRecord(readFileSync(RUNBOOK, 'utf8'), {
      root: runs.root,
      file: RUNBOOK,
      registry,
      inputs: SCENARIO.inputs,
      human: new PresetHuman({ actor: 'responder', answers: SCENARIO.answers, approveAll: true }),
      aws: { endpointUrl: server.url, region: 'us-east-1', maxAttempts: 2 },
      now: () => now,
    });
    const ends = new Map(run.events.filter((e): e is StepEndEvent => e.type === 'step.end').map((e) => [e.step, e]));
    const iamSteps = run.events
      .filter((e): e is StepStartEvent => e.type === 'step.start' && !!e.action?.startsWith('aws.iam.'))
      .map((e) => e.step);
    expect(run.result.status, JSON.stringify(run.result.error)).to.equal('completed');
    expect(iamSteps).to.deep.equal([
      'key-last-used',
      'user-inventory',
      'disable-user-keys',
      'revoke-user-sessions',
      'deny-all-user',
      'remove-console-password',
      'delete-key',
    ]);
    expect(ends.get('delete-key')!.status).to.equal('skipped');

    // what the endpoint holds now
    expect(user.keys.map((k) => k.status)).to.deep.equal(['Inactive', 'Inactive']);
    expect(JSON.parse(user.policies.get('IrunDenyAll')!)).to.deep.equal({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
    });
    const revoke = JSON.parse(user.policies.get('AWSRevokeOlderSessions')!);
    expect(revoke.Statement.Condition.DateLessThan['aws:TokenIssueTime']).to.equal('2024-05-10T08:05:00Z');
    expect(user.loginProfile).to.equal(undefined);
    expect(user.policies.has('app-access')).to.equal(true);
    expect(server.counts.UpdateAccessKey).to.equal(1); // only the active key was changed

    const summary = await undoRun({
      events: run.events,
      registry,
      human: new PresetHuman({ actor: 'responder', answers: {}, approveAll: true }),
      actor: 'responder',
      runId: run.result.runId ?? 'run',
      aws: { endpointUrl: server.url, region: 'us-east-1', maxAttempts: 2 },
      version: '0.0.0-test',
      evidenceFor: () => ({ save: async () => ({ name: '', file: '', sha256: '', bytes: 0 }), read: async () => '' }),
      emit: () => undefined,
    });
    expect(summary.failed).to.equal(undefined);
    expect(summary.completed).to.have.members(['disable-user-keys', 'revoke-user-sessions', 'deny-all-user']);
    // of the IAM changes only the console password is refused (the scripted GuardDuty step has no undo here)
    expect(summary.refused.map((r) => r.step)).to.have.members([
      'remove-console-password',
      'archive-guardduty-findings',
    ]);
    expect(summary.refused.find((r) => r.step === 'remove-console-password')!.reason).to.match(
      /password cannot be restored/,
    );
    // back as it was, except the console password, which undo cannot bring back and says so
    expect(user.keys.map((k) => k.status)).to.deep.equal(['Active', 'Inactive']);
    expect([...user.policies.keys()]).to.deep.equal(['app-access']);
    expect(user.loginProfile).to.equal(undefined);
  });
});
