/**
 * Faults: the local S3-protocol server answers 20% of requests with SlowDown (503), InternalError
 * (500) or a reset connection. The bulk actions, run through the engine with a durable run
 * record, finish; every object is changed exactly once (the server's per-object counters); and
 * the SDK's retries appear in the journal as `log` events of the step that made the calls.
 */
import { GetObjectAclCommand, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { PresetHuman } from '../../engine/run/human.js';
import type { LogEvent, RunEvent, StepEndEvent } from '../../engine/run/events.js';
import { client } from '../../plugins/aws-common/index.js';
import { makeCtx } from '../helpers/ctx.js';
import { dedent } from '../helpers/fs.js';
import { ALL_USERS, AUTHENTICATED_USERS, startS3Server, type Acl, type S3Server } from '../helpers/s3-server.js';
import { runWithRecord, fastSdkRetries, tempRuns, useLocalAws } from './helpers.js';

const isPublic = (acl: Acl) => acl.grants.some((g) => g.uri === ALL_USERS || g.uri === AUTHENTICATED_USERS);
const RETRY_LINE = /^retrying [A-Za-z]+ after [A-Za-z]+.* \(attempt \d+\)$/;

function logsOf(events: RunEvent[], step: string): LogEvent[] {
  return events.filter((e): e is LogEvent => e.type === 'log' && e.step === step);
}

describe('hardening: faults (local S3 server, 20% of requests fail)', function () {
  this.timeout(60_000);
  let restoreAws: () => void;
  let restorePacing: () => void;
  let server: S3Server | undefined;
  const runs = tempRuns('irun-faults-');

  before(async () => {
    restoreAws = useLocalAws();
    restorePacing = await fastSdkRetries();
  });
  after(() => {
    restorePacing();
    restoreAws();
    runs.cleanup();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('retry logging in the AWS client layer', () => {
    it('logs each SDK retry on the logger of the step that sent the command, with the operation, error and attempt', async () => {
      server = await startS3Server({ faultRate: 0, seed: 7 });
      server.store.createBucket('b');
      server.store.putObject('b', 'k', { acl: 'public-read' });
      // Two steps of one run share the cached client (one `shared` map) but have their own ctx.
      const a = makeCtx({ stepId: 'step-a', aws: { endpointUrl: server.url, region: 'us-east-1', maxAttempts: 6 } });
      const b = makeCtx({ stepId: 'step-b', aws: { endpointUrl: server.url, region: 'us-east-1', maxAttempts: 6 } });
      (b as { shared: Map<string, unknown> }).shared = a.shared;
      const ca = await client(a, S3Client);
      const cb = await client(b, S3Client);
      expect(Object.getPrototypeOf(ca)).to.equal(Object.getPrototypeOf(cb)); // one underlying client
      expect(ca.config).to.equal(cb.config);

      server.setFaultRate(1);
      const failing = ca.send(new GetObjectAclCommand({ Bucket: 'b', Key: 'k' }));
      await failing.then(
        () => expect.fail('every attempt faulted: the call must fail'),
        (err: Error) => expect(err).to.be.an('error'),
      );
      const retriesA = a.logs.filter((l) => l.level === 'warn');
      // maxAttempts 6: five retries, each logged once, numbered 2..6
      expect(retriesA.map((l) => l.data?.attempt)).to.deep.equal([2, 3, 4, 5, 6]);
      for (const l of retriesA) {
        expect(l.message).to.match(RETRY_LINE);
        expect(l.message).to.include('GetObjectAcl');
        expect(l.data?.operation).to.equal('GetObjectAcl');
      }
      expect(b.logs).to.deep.equal([]);

      server.setFaultRate(0);
      const ok = await cb.send(new GetObjectAclCommand({ Bucket: 'b', Key: 'k' }));
      expect(ok.Grants?.length).to.equal(2);
      expect(b.logs).to.deep.equal([]); // no retry, no line
      expect(a.logs.filter((l) => l.level === 'warn')).to.have.length(5);
    });

    it('names the error kinds the server injects (SlowDown, InternalError, a reset connection)', async () => {
      server = await startS3Server({ faultRate: 0.5, seed: 3 });
      server.store.createBucket('b');
      for (let i = 0; i < 40; i++) server.store.putObject('b', `k${i}`, { acl: 'private' });
      const ctx = makeCtx({ aws: { endpointUrl: server.url, region: 'us-east-1', maxAttempts: 20 } });
      const c = await client(ctx, S3Client);
      for (let i = 0; i < 40; i++) await c.send(new GetObjectAclCommand({ Bucket: 'b', Key: `k${i}` }));
      const reasons = new Set(ctx.logs.map((l) => String(l.data?.error).split(' ')[0]));
      expect(reasons.has('SlowDown'), [...reasons].join(',')).to.equal(true);
      expect(reasons.has('InternalError'), [...reasons].join(',')).to.equal(true);
      expect(
        [...reasons].some((r) => /ECONNRESET|socket|TimeoutError|EPIPE/i.test(r)),
        [...reasons].join(','),
      ).to.equal(true);
      const faults =
        (server.counts['fault:SlowDown'] ?? 0) +
        (server.counts['fault:InternalError'] ?? 0) +
        (server.counts['fault:reset'] ?? 0);
      expect(ctx.logs.filter((l) => l.level === 'warn')).to.have.length(faults);
    });
  });

  describe('bulk actions through the engine, with the journal', () => {
    it('resetObjectAcls and restoreDeleted finish, change every object exactly once, and the journal holds the retries', async () => {
      server = await startS3Server({ faultRate: 0, seed: 2024 });
      const { store } = server;
      // resetObjectAcls: 80 keys x 2 versions, the even keys public
      store.createBucket('leaky', { ownership: 'ObjectWriter' });
      store.seed('leaky', { count: 80, versionsPerKey: 2, acl: (i) => (i % 2 === 0 ? 'public-read' : 'private') });
      // restoreDeleted: 15 keys deleted in the window (marker removal), 15 overwritten (copy back), 10 untouched
      store.createBucket('victim');
      const t0 = Date.UTC(2024, 4, 1);
      const since = new Date(t0 + 3600_000).toISOString();
      const later = t0 + 2 * 3600_000;
      for (let i = 0; i < 40; i++)
        store.putObject('victim', `d/${String(i).padStart(3, '0')}`, { body: `good ${i}`, lastModified: t0 });
      for (let i = 0; i < 15; i++)
        store.deleteObject('victim', `d/${String(i).padStart(3, '0')}`, { lastModified: later });
      for (let i = 15; i < 30; i++)
        store.putObject('victim', `d/${String(i).padStart(3, '0')}`, { body: 'ransom', lastModified: later });
      server.setFaultRate(0.2);

      const text = dedent`
        irun: 1
        id: faults
        title: Bulk remediation under faults
        inputs:
          since: { type: string }
        parts:
          - id: fix
            title: Fix
            steps:
              - id: reset-acls
                action: aws.s3.resetObjectAcls
                with: { bucket: leaky, concurrency: 16 }
              - id: restore
                action: aws.s3.restoreDeleted
                with: { bucket: victim, prefix: "d/", since: "{{ inputs.since }}", concurrency: 8 }
      `;
      const run = await runWithRecord(text, {
        root: runs.root,
        human: new PresetHuman({ actor: 'tester', approveAll: true }),
        aws: { endpointUrl: server.url, region: 'us-east-1', maxAttempts: 12 },
        inputs: { since },
      });

      expect(run.result.status, JSON.stringify(run.result.error)).to.equal('completed');
      const ends = new Map(run.events.filter((e): e is StepEndEvent => e.type === 'step.end').map((e) => [e.step, e]));
      const reset = ends.get('reset-acls')!.output as { counts: Record<string, number> };
      expect(reset.counts).to.include({ changed: 80, failed: 0 });
      const restored = ends.get('restore')!.output as { counts: Record<string, number> };
      expect(restored.counts).to.include({ removedDeleteMarkers: 15, copiedBack: 15, unchanged: 10, failed: 0 });

      // Every fault kind happened, many times.
      for (const kind of ['SlowDown', 'InternalError', 'reset'])
        expect(server.counts[`fault:${kind}`] ?? 0, kind).to.be.greaterThan(3);

      // Exactly once per object, from the server's own counters.
      for (const { key, version } of store.entries('leaky')) {
        expect(store.aclPuts('leaky', key, version.versionId), `${key} ${version.versionId}`).to.equal(
          Number(key) % 2 === 0 ? 1 : 0,
        );
        expect(isPublic(version.acl)).to.equal(false);
      }
      for (let i = 0; i < 40; i++) {
        const key = `d/${String(i).padStart(3, '0')}`;
        const w = store.writes('victim', key);
        if (i < 15) expect(w, key).to.deep.equal({ DeleteObject: 1 });
        else if (i < 30) expect(w, key).to.deep.equal({ CopyObject: 1 });
        else expect(w, key).to.deep.equal({});
        expect(store.version('victim', key)!.body!.toString()).to.equal(`good ${i}`);
      }

      // The retries are in the journal, on the step that made them.
      for (const step of ['reset-acls', 'restore']) {
        const retries = logsOf(run.events, step).filter((l) => l.level === 'warn' && RETRY_LINE.test(l.message));
        expect(retries.length, step).to.be.at.least(1);
      }
      const allRetries = run.events.filter((e): e is LogEvent => e.type === 'log' && RETRY_LINE.test(e.message));
      const faults =
        (server.counts['fault:SlowDown'] ?? 0) +
        (server.counts['fault:InternalError'] ?? 0) +
        (server.counts['fault:reset'] ?? 0);
      // one journal line per faulted request (every faulted request was retried: none gave up)
      expect(allRetries.length).to.equal(faults);
      // Log lines sit between their step's start and end.
      const startAt = (s: string) => run.events.findIndex((e) => e.type === 'step.start' && e.step === s);
      const endAt = (s: string) => run.events.findIndex((e) => e.type === 'step.end' && e.step === s);
      for (const l of allRetries) {
        const i = run.events.indexOf(l);
        expect(i).to.be.greaterThan(startAt(l.step!)).and.lessThan(endAt(l.step!));
      }
    });
  });
});
