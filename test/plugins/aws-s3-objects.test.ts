import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  NotFound,
  PutObjectAclCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import { compile } from '../../engine/schema/ajv.js';
import { ALL_USERS, AUTHENTICATED_USERS } from '../../plugins/aws-s3/acl.js';
import { objectActions } from '../../plugins/aws-s3/index.js';
import type { VersionEntry } from '../../plugins/aws-s3/listing.js';
import { AsyncPool } from '../../plugins/aws-s3/pool.js';
import type { ResetObjectAclsOutput } from '../../plugins/aws-s3/reset-acls.js';
import { planKey, type RestoreDeletedOutput } from '../../plugins/aws-s3/restore-deleted.js';
import { makeCtx } from '../helpers/ctx.js';

/** Take an own `send` (another file's stub) off a client prototype; returns how to put it back. */
function setAside(proto: object): () => void {
  const own = Object.getOwnPropertyDescriptor(proto, 'send');
  if (own) delete (proto as Record<string, unknown>).send;
  return () => {
    if (own) Object.defineProperty(proto, 'send', own);
  };
}

let s3Mock: AwsClientStub<S3Client>;
let s3cMock: AwsClientStub<S3ControlClient>;
describe('aws.s3 object actions (mocked SDK)', () => {
  // Other test files stub these clients at load time: set their stubs aside while this file's
  // stubs are installed, and put them back afterwards.
  let aside: (() => void)[] = [];
  before(() => {
    aside = [S3Client, S3ControlClient].map((C) => setAside(C.prototype));
    s3Mock = mockClient(S3Client);
    s3cMock = mockClient(S3ControlClient);
  });
  after(() => {
    s3Mock.restore();
    s3cMock.restore();
    for (const putBack of aside) putBack();
  });
  const A = objectActions;

  const OWNER = 'ownerid-1';
  const OTHER = 'otherid-2';
  const ownerOnly = [{ Grantee: { Type: 'CanonicalUser', ID: OWNER }, Permission: 'FULL_CONTROL' }];
  const publicRead = [...ownerOnly, { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' }];

  function awsError(name: string, status = 400, requestId = 'r-1'): Error {
    return Object.assign(new Error(`${name} message`), {
      name,
      $metadata: { requestId, httpStatusCode: status },
      $fault: 'client',
    });
  }

  async function rejects(p: Promise<unknown>): Promise<IrunError> {
    try {
      await p;
    } catch (err) {
      return err as IrunError;
    }
    throw new Error('expected a rejection');
  }

  const mutating = [
    'PutObjectAclCommand',
    'CopyObjectCommand',
    'DeleteObjectCommand',
    'PutObjectCommand',
    'RestoreObjectCommand',
  ];
  function mutatingCalls(): string[] {
    return s3Mock
      .calls()
      .map((c) => (c.args[0] as object).constructor.name)
      .filter((n) => mutating.includes(n));
  }

  /** A bucket with ownership controls ObjectWriter and owner OWNER. */
  function bucketBasics(ownership: string | null = 'ObjectWriter') {
    if (ownership)
      s3Mock
        .on(GetBucketOwnershipControlsCommand)
        .resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: ownership as 'ObjectWriter' }] } });
    else s3Mock.on(GetBucketOwnershipControlsCommand).rejects(awsError('OwnershipControlsNotFoundError', 404));
    s3Mock.on(GetBucketAclCommand).resolves({ Owner: { ID: OWNER }, Grants: ownerOnly as never });
  }

  const t = (iso: string) => new Date(iso);

  afterEach(() => {
    s3Mock.reset();
    s3cMock.reset();
  });

  describe('aws.s3 object actions: schemas', () => {
    for (const [name, def] of Object.entries(objectActions)) {
      it(`${name}: schemas compile, example is valid, permissions declared`, () => {
        const input = compile(def.input);
        compile(def.output);
        expect(input(def.example), JSON.stringify(input.errors)).to.equal(true);
        expect(def.permissions.length).to.be.greaterThan(0);
        expect(def.description).to.be.a('string').and.not.equal('');
        if (def.effect === 'mutate') {
          expect(def.capture, 'capture').to.be.a('function');
          expect(def.preview, 'preview').to.be.a('function');
          expect(def.reversible, 'reversible').to.be.a('function');
        }
      });
    }

    it('rejects unknown input properties and bad bucket names', () => {
      const v = compile(A.resetObjectAcls.input);
      expect(v({ bucket: 'ok-bucket', Prefix: 'x' })).to.equal(false);
      expect(v({ bucket: 'Bad_Bucket' })).to.equal(false);
      expect(v({ bucket: 'ok-bucket', concurrency: 129 })).to.equal(false);
      const r = compile(A.restoreDeleted.input);
      expect(r({ bucket: 'ok-bucket' }), 'keys or prefix required').to.equal(false);
      expect(r({ bucket: 'ok-bucket', prefix: '' })).to.equal(true);
    });
  });

  describe('AsyncPool', () => {
    it('keeps at most `limit` tasks in flight and surfaces a task error on drain', async () => {
      const pool = new AsyncPool(3);
      let inFlight = 0;
      let max = 0;
      for (let i = 0; i < 20; i++) {
        await pool.submit(async () => {
          inFlight++;
          max = Math.max(max, inFlight);
          await new Promise((r) => setImmediate(r));
          inFlight--;
        });
      }
      await pool.drain();
      expect(max).to.equal(3);
      expect(pool.peak).to.equal(3);

      const failing = new AsyncPool(2);
      await failing.submit(async () => {
        throw new Error('boom');
      });
      const err = await rejects(failing.drain());
      expect(err.message).to.equal('boom');
    });
  });

  describe('aws.s3.listObjectVersions', () => {
    it('follows key and version-id markers across pages and splits versions from delete markers', async () => {
      s3Mock
        .on(ListObjectVersionsCommand)
        .resolvesOnce({
          IsTruncated: true,
          NextKeyMarker: 'a.txt',
          NextVersionIdMarker: 'v2',
          Versions: [
            { Key: 'a.txt', VersionId: 'v2', IsLatest: false, LastModified: t('2024-05-02T00:00:00Z'), Size: 5 },
          ],
          DeleteMarkers: [{ Key: 'a.txt', VersionId: 'm1', IsLatest: true, LastModified: t('2024-05-03T00:00:00Z') }],
        })
        .resolvesOnce({
          IsTruncated: true,
          NextKeyMarker: 'b.txt',
          NextVersionIdMarker: 'v9',
          Versions: [
            { Key: 'a.txt', VersionId: 'v1', IsLatest: false, LastModified: t('2024-05-01T00:00:00Z'), Size: 4 },
            { Key: 'b.txt', VersionId: 'v9', IsLatest: true, LastModified: t('2024-05-01T00:00:00Z'), Size: 1 },
          ],
        })
        .resolvesOnce({
          IsTruncated: false,
          Versions: [
            { Key: 'c.txt', VersionId: 'null', IsLatest: true, LastModified: t('2024-01-01T00:00:00Z'), Size: 0 },
          ],
        });

      const out = await A.listObjectVersions.run(
        makeCtx(),
        { bucket: 'my-bucket', prefix: 'p/', region: 'eu-west-1' },
        undefined,
      );

      const calls = s3Mock.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input);
      expect(calls).to.have.length(3);
      expect(calls[0]).to.deep.include({ Bucket: 'my-bucket', Prefix: 'p/' });
      expect(calls[0].KeyMarker).to.equal(undefined);
      expect(calls[1]).to.deep.include({ KeyMarker: 'a.txt', VersionIdMarker: 'v2' });
      expect(calls[2]).to.deep.include({ KeyMarker: 'b.txt', VersionIdMarker: 'v9' });
      expect(out.versions.map((v: VersionEntry) => v.versionId)).to.deep.equal(['v2', 'v1', 'v9', 'null']);
      expect(out.deleteMarkers).to.deep.equal([
        { key: 'a.txt', versionId: 'm1', isLatest: true, deleteMarker: true, lastModified: '2024-05-03T00:00:00.000Z' },
      ]);
      expect(out.truncated).to.equal(false);
      expect(compile(A.listObjectVersions.output)(out)).to.equal(true);
    });

    it('stops at `max` and says the list is truncated', async () => {
      s3Mock.on(ListObjectVersionsCommand).resolves({
        IsTruncated: true,
        NextKeyMarker: 'k',
        NextVersionIdMarker: 'v',
        Versions: [1, 2, 3].map((i) => ({
          Key: `k${i}`,
          VersionId: `v${i}`,
          IsLatest: true,
          LastModified: t('2024-01-01T00:00:00Z'),
        })),
      });
      const out = await A.listObjectVersions.run(
        makeCtx(),
        { bucket: 'my-bucket', max: 2, region: 'us-east-1' },
        undefined,
      );
      expect(out.versions).to.have.length(2);
      expect(out.truncated).to.equal(true);
      expect(s3Mock.commandCalls(ListObjectVersionsCommand)[0].args[0].input.MaxKeys).to.equal(2);
    });

    it('maps AccessDenied to IRUN_AWS_ACCESS_DENIED with the request id', async () => {
      s3Mock.on(ListObjectVersionsCommand).rejects(
        new S3ServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { requestId: 'req-42', httpStatusCode: 403 },
          message: 'Access Denied',
        }),
      );
      const err = await rejects(
        A.listObjectVersions.run(makeCtx(), { bucket: 'my-bucket', region: 'us-east-1' }, undefined),
      );
      expect(err).to.be.instanceOf(IrunError);
      expect(err.code).to.equal('IRUN_AWS_ACCESS_DENIED');
      expect(err.details).to.deep.include({ requestId: 'req-42', awsError: 'AccessDenied' });
    });
  });

  describe('aws.s3.listObjectsV2', () => {
    it('pages with the SDK paginator and caps the result at maxKeys', async () => {
      s3Mock
        .on(ListObjectsV2Command)
        .resolvesOnce({
          IsTruncated: true,
          NextContinuationToken: 't1',
          Contents: [
            { Key: 'a', Size: 1, LastModified: t('2024-01-01T00:00:00Z') },
            { Key: 'b', Size: 2 },
          ],
        })
        .resolvesOnce({
          IsTruncated: true,
          NextContinuationToken: 't2',
          Contents: [
            { Key: 'c', Size: 3 },
            { Key: 'd', Size: 4 },
          ],
        })
        .resolvesOnce({ IsTruncated: false, Contents: [{ Key: 'e', Size: 5 }] });
      const out = await A.listObjectsV2.run(
        makeCtx(),
        { bucket: 'my-bucket', maxKeys: 3, region: 'us-east-1' },
        undefined,
      );
      expect(out.objects.map((o: { key: string }) => o.key)).to.deep.equal(['a', 'b', 'c']);
      expect(out.objects[0].lastModified).to.equal('2024-01-01T00:00:00.000Z');
      expect(out.truncated).to.equal(true);
      const calls = s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
      expect(calls).to.have.length(2);
      expect(calls[1].ContinuationToken).to.equal('t1');
    });
  });

  describe('aws.s3.headObject / getObjectAcl', () => {
    it('headObject: a missing object is a result', async () => {
      s3Mock.on(HeadObjectCommand).rejects(new NotFound({ $metadata: { httpStatusCode: 404 }, message: 'Not Found' }));
      const out = await A.headObject.run(
        makeCtx(),
        { bucket: 'my-bucket', key: 'gone', region: 'us-east-1' },
        undefined,
      );
      expect(out).to.deep.equal({ bucket: 'my-bucket', key: 'gone', exists: false });
    });

    it('headObject: plain JSON with the parsed restore status', async () => {
      s3Mock.on(HeadObjectCommand).resolves({
        ContentLength: 10,
        StorageClass: 'GLACIER',
        LastModified: t('2024-01-01T00:00:00Z'),
        Restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2029 00:00:00 GMT"',
        VersionId: 'v1',
      });
      const out = await A.headObject.run(
        makeCtx(),
        { bucket: 'my-bucket', key: 'k', versionId: 'v1', region: 'us-east-1' },
        undefined,
      );
      expect(out).to.deep.include({
        exists: true,
        storageClass: 'GLACIER',
        lastModified: '2024-01-01T00:00:00.000Z',
        size: 10,
      });
      expect(out.restore).to.deep.equal({ ongoing: false, expiry: '2029-12-21T00:00:00.000Z' });
      expect(s3Mock.commandCalls(HeadObjectCommand)[0].args[0].input.VersionId).to.equal('v1');
    });

    it('getObjectAcl: flags AllUsers, AuthenticatedUsers and other accounts', async () => {
      s3Mock.on(GetObjectAclCommand).resolves({
        Owner: { ID: OWNER },
        Grants: [
          ...(ownerOnly as never[]),
          { Grantee: { Type: 'Group', URI: AUTHENTICATED_USERS }, Permission: 'READ' },
          { Grantee: { Type: 'CanonicalUser', ID: OTHER }, Permission: 'READ_ACP' },
        ],
      });
      const out = await A.getObjectAcl.run(
        makeCtx(),
        { bucket: 'my-bucket', key: 'k', versionId: 'v1', region: 'us-east-1' },
        undefined,
      );
      expect(out.public).to.equal(true);
      expect(out.crossAccount).to.equal(true);
      expect(out.offending).to.deep.equal(['AuthenticatedUsers READ', `id:${OTHER} READ_ACP`]);
      expect(s3Mock.commandCalls(GetObjectAclCommand)[0].args[0].input).to.deep.equal({
        Bucket: 'my-bucket',
        Key: 'k',
        VersionId: 'v1',
      });
      expect(compile(A.getObjectAcl.output)(out)).to.equal(true);
    });
  });

  describe('aws.s3.putObjectAcl', () => {
    const input = { bucket: 'my-bucket', key: 'secret.csv', versionId: 'v7', region: 'us-east-1' };

    it('capture -> run -> undo: owner-only per version, then the saved Owner and Grants back', async () => {
      bucketBasics(null);
      s3Mock
        .on(GetObjectAclCommand)
        .resolvesOnce({ Owner: { ID: OWNER }, Grants: publicRead as never })
        .resolves({ Owner: { ID: OWNER }, Grants: ownerOnly as never });
      s3Mock.on(PutObjectAclCommand).resolves({});
      const ctx = makeCtx();
      const before = await A.putObjectAcl.capture!(ctx, input);
      expect(before.ownership).to.equal(null);
      const out = await A.putObjectAcl.run(ctx, input, before);
      expect(out.changed).to.equal(true);
      const put = s3Mock.commandCalls(PutObjectAclCommand)[0].args[0].input;
      expect(put).to.deep.equal({
        Bucket: 'my-bucket',
        Key: 'secret.csv',
        VersionId: 'v7',
        AccessControlPolicy: {
          Owner: { ID: OWNER },
          Grants: [{ Grantee: { Type: 'CanonicalUser', ID: OWNER }, Permission: 'FULL_CONTROL' }],
        },
      });
      expect(ctx.saved.map((s) => s.name)).to.deep.equal(['object-acl-before', 'object-acl-after']);
      expect(A.putObjectAcl.reversible!(input, before, out)).to.equal(true);

      await A.putObjectAcl.undo!(ctx, input, before, out);
      const restored = s3Mock.commandCalls(PutObjectAclCommand)[1].args[0].input;
      expect(restored.VersionId).to.equal('v7');
      expect(restored.AccessControlPolicy).to.deep.equal({ Owner: { ID: OWNER }, Grants: publicRead });
    });

    it('is idempotent: an owner-only ACL is left alone', async () => {
      bucketBasics();
      s3Mock.on(GetObjectAclCommand).resolves({ Owner: { ID: OWNER }, Grants: ownerOnly as never });
      const ctx = makeCtx();
      const out = await A.putObjectAcl.run(ctx, input, await A.putObjectAcl.capture!(ctx, input));
      expect(out.changed).to.equal(false);
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('skips a BucketOwnerEnforced bucket without reading or writing ACLs', async () => {
      bucketBasics('BucketOwnerEnforced');
      const ctx = makeCtx();
      const before = await A.putObjectAcl.capture!(ctx, input);
      const out = await A.putObjectAcl.run(ctx, input, before);
      expect(out).to.deep.include({ skipped: true, changed: false });
      expect(s3Mock.commandCalls(GetObjectAclCommand)).to.have.length(0);
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('preview sends no mutating command; dry-run run() is blocked before the client', async () => {
      bucketBasics();
      s3Mock.on(GetObjectAclCommand).resolves({ Owner: { ID: OWNER }, Grants: publicRead as never });
      const ctx = makeCtx({ dryRun: true });
      const before = await A.putObjectAcl.capture!(ctx, input);
      const plan = await A.putObjectAcl.preview!(ctx, input, before);
      expect(plan.noop).to.equal(false);
      expect(plan.summary).to.contain('AllUsers READ');
      const err = await rejects(A.putObjectAcl.run(ctx, input, before));
      expect(err.code).to.equal('IRUN_DRY_RUN_BLOCKED');
      expect(mutatingCalls()).to.deep.equal([]);
    });
  });

  describe('aws.s3.restoreObjectVersion', () => {
    const input = { bucket: 'my-bucket', key: 'dir/a b+ü.txt', versionId: 'old/v+1', region: 'us-east-1' };

    it('copies the version on top (encoded copy source) and undo deletes the new version', async () => {
      s3Mock.on(ListObjectVersionsCommand).resolves({
        Versions: [{ Key: input.key, VersionId: 'cur', IsLatest: true, LastModified: t('2024-05-02T00:00:00Z') }],
      });
      s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 100 });
      s3Mock.on(CopyObjectCommand).resolves({ VersionId: 'new-1' });
      s3Mock.on(DeleteObjectCommand).resolves({});
      const ctx = makeCtx();
      const before = await A.restoreObjectVersion.capture!(ctx, input);
      expect(before.current).to.deep.equal({ versionId: 'cur', deleteMarker: false });
      const out = await A.restoreObjectVersion.run(ctx, input, before);
      expect(s3Mock.commandCalls(CopyObjectCommand)[0].args[0].input).to.deep.equal({
        Bucket: 'my-bucket',
        Key: input.key,
        CopySource: 'my-bucket/dir%2Fa%20b%2B%C3%BC.txt?versionId=old%2Fv%2B1',
      });
      expect(out).to.deep.include({ changed: true, newVersionId: 'new-1' });
      expect(out.before).to.deep.equal({ versionId: 'cur', deleteMarker: false });
      await A.restoreObjectVersion.undo!(ctx, input, before, out);
      expect(s3Mock.commandCalls(DeleteObjectCommand)[0].args[0].input).to.deep.equal({
        Bucket: 'my-bucket',
        Key: input.key,
        VersionId: 'new-1',
      });
    });

    it('fails clearly above 5 GB (UploadPartCopy needed) without copying', async () => {
      s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: [] });
      s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 6 * 1024 ** 3 });
      const ctx = makeCtx();
      const before = await A.restoreObjectVersion.capture!(ctx, input);
      const err = await rejects(A.restoreObjectVersion.run(ctx, input, before));
      expect(err.code).to.equal('IRUN_OBJECT_TOO_LARGE');
      expect(err.message).to.contain('UploadPartCopy');
      expect(mutatingCalls()).to.deep.equal([]);
    });
  });

  describe('aws.s3.deleteObjectVersion', () => {
    const input = { bucket: 'my-bucket', key: 'a.txt', versionId: 'm1', region: 'us-east-1' };

    it('removing the latest delete marker is reversible: undo creates a new marker', async () => {
      s3Mock.on(ListObjectVersionsCommand).resolves({
        DeleteMarkers: [{ Key: 'a.txt', VersionId: 'm1', IsLatest: true, LastModified: t('2024-05-02T00:00:00Z') }],
        Versions: [{ Key: 'a.txt', VersionId: 'v1', IsLatest: false, LastModified: t('2024-05-01T00:00:00Z') }],
      });
      s3Mock.on(DeleteObjectCommand).resolves({ DeleteMarker: true, VersionId: 'm1' });
      const ctx = makeCtx();
      const before = await A.deleteObjectVersion.capture!(ctx, input);
      expect(before).to.deep.include({ found: true, deleteMarker: true, isLatest: true });
      const out = await A.deleteObjectVersion.run(ctx, input, before);
      expect(s3Mock.commandCalls(DeleteObjectCommand)[0].args[0].input).to.deep.equal({
        Bucket: 'my-bucket',
        Key: 'a.txt',
        VersionId: 'm1',
      });
      expect(A.deleteObjectVersion.reversible!(input, before, out)).to.equal(true);
      await A.deleteObjectVersion.undo!(ctx, input, before, out);
      expect(s3Mock.commandCalls(DeleteObjectCommand)[1].args[0].input).to.deep.equal({
        Bucket: 'my-bucket',
        Key: 'a.txt',
      });
    });

    it('deleting a real version is not reversible and says why', async () => {
      s3Mock.on(ListObjectVersionsCommand).resolves({
        Versions: [{ Key: 'a.txt', VersionId: 'm1', IsLatest: true, LastModified: t('2024-05-01T00:00:00Z') }],
      });
      const ctx = makeCtx();
      const before = await A.deleteObjectVersion.capture!(ctx, input);
      const why = A.deleteObjectVersion.reversible!(input, before, { changed: true });
      expect(why)
        .to.be.a('string')
        .and.match(/gone for good/);
      const plan = await A.deleteObjectVersion.preview!(ctx, input, before);
      expect(plan.summary).to.contain('Permanently delete');
      expect(mutatingCalls()).to.deep.equal([]);
    });
  });

  describe('aws.s3.restoreArchived', () => {
    const input = { bucket: 'my-bucket', key: 'old.csv', region: 'us-east-1', days: 3, tier: 'Bulk' as const };

    it('requests a restore with Days and Tier, and is not reversible', async () => {
      s3Mock
        .on(HeadObjectCommand)
        .resolvesOnce({ StorageClass: 'GLACIER' })
        .resolves({ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' });
      s3Mock.on(RestoreObjectCommand).resolves({});
      const ctx = makeCtx();
      const before = await A.restoreArchived.capture!(ctx, input);
      const out = await A.restoreArchived.run(ctx, input, before);
      expect(s3Mock.commandCalls(RestoreObjectCommand)[0].args[0].input).to.deep.equal({
        Bucket: 'my-bucket',
        Key: 'old.csv',
        RestoreRequest: { Days: 3, GlacierJobParameters: { Tier: 'Bulk' } },
      });
      expect(out).to.deep.include({ changed: true, requested: true, restored: false });
      expect(A.restoreArchived.reversible!(input, before, out)).to.be.a('string');
    });

    it('does nothing when a restore is already in progress', async () => {
      s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'DEEP_ARCHIVE', Restore: 'ongoing-request="true"' });
      const ctx = makeCtx();
      const out = await A.restoreArchived.run(ctx, input, await A.restoreArchived.capture!(ctx, input));
      expect(out).to.deep.include({ changed: false, requested: false });
      expect(mutatingCalls()).to.deep.equal([]);
    });
  });

  // ---------------------------------------------------------------------------------------------

  /** Versions for ListObjectVersions pages: n versions of distinct keys under a prefix. */
  function versionsPage(from: number, n: number) {
    return Array.from({ length: n }, (_, i) => ({
      Key: `p/${String(from + i).padStart(4, '0')}`,
      VersionId: `v${from + i}`,
      IsLatest: true,
      LastModified: t('2024-01-01T00:00:00Z'),
      Size: 1,
    }));
  }

  /** Three pages: 4 + 4 + 2 versions (keys p/0000..p/0009) and one delete marker. */
  function threePages() {
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'p/0003',
        NextVersionIdMarker: 'v3',
        Versions: versionsPage(0, 4),
      })
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'p/0007',
        NextVersionIdMarker: 'v7',
        Versions: versionsPage(4, 4),
        DeleteMarkers: [{ Key: 'p/0005x', VersionId: 'dm', IsLatest: true }],
      })
      .resolvesOnce({ IsTruncated: false, Versions: versionsPage(8, 2) })
      // second pass (the work after the count)
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'p/0003',
        NextVersionIdMarker: 'v3',
        Versions: versionsPage(0, 4),
      })
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'p/0007',
        NextVersionIdMarker: 'v7',
        Versions: versionsPage(4, 4),
        DeleteMarkers: [{ Key: 'p/0005x', VersionId: 'dm', IsLatest: true }],
      })
      .resolvesOnce({ IsTruncated: false, Versions: versionsPage(8, 2) });
  }

  /** Even-numbered versions are public, v3 is shared with another account. */
  function aclsByVersion() {
    s3Mock.on(GetObjectAclCommand).callsFake(async (input: { VersionId: string }) => {
      const n = Number(input.VersionId.slice(1));
      if (n === 3)
        return {
          Owner: { ID: OWNER },
          Grants: [...ownerOnly, { Grantee: { Type: 'CanonicalUser', ID: OTHER }, Permission: 'READ' }],
        };
      return { Owner: { ID: OWNER }, Grants: n % 2 === 0 ? publicRead : ownerOnly };
    });
  }

  describe('aws.s3.resetObjectAcls', () => {
    const input = { bucket: 'my-bucket', prefix: 'p/', region: 'us-east-1', concurrency: 3 };

    it('streams every version over several pages, puts owner-only per VersionId with bounded concurrency, saves evidence, and undo restores', async () => {
      bucketBasics();
      threePages();
      let inFlight = 0;
      let peak = 0;
      s3Mock.on(GetObjectAclCommand).callsFake(async (i: { VersionId: string }) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        const n = Number(i.VersionId.slice(1));
        if (n === 3)
          return {
            Owner: { ID: OWNER },
            Grants: [...ownerOnly, { Grantee: { Type: 'CanonicalUser', ID: OTHER }, Permission: 'READ' }],
          };
        return { Owner: { ID: OWNER }, Grants: n % 2 === 0 ? publicRead : ownerOnly };
      });
      s3Mock.on(PutObjectAclCommand).resolves({});
      const ctx = makeCtx();
      const before = await A.resetObjectAcls.capture!(ctx, input);
      const out = (await A.resetObjectAcls.run(ctx, input, before)) as ResetObjectAclsOutput;

      // bounded: never more than 3 in flight (the peak reached depends on scheduling; the
      // end-to-end test against the local server shows the parallelism)
      expect(peak).to.be.within(1, 3);
      expect(out.mode).to.equal('local');
      expect(out.counts).to.deep.equal({
        scanned: 10,
        public: 5,
        crossAccount: 1,
        changed: 5,
        unchanged: 5,
        failed: 0,
        skipped: 0,
      });
      const puts = s3Mock.commandCalls(PutObjectAclCommand).map((c) => c.args[0].input);
      expect(puts.map((p) => p.VersionId).sort()).to.deep.equal(['v0', 'v2', 'v4', 'v6', 'v8']);
      for (const p of puts) expect(p.AccessControlPolicy).to.deep.equal({ Owner: { ID: OWNER }, Grants: ownerOnly });
      expect(s3Mock.commandCalls(GetObjectAclCommand).map((c) => c.args[0].input.VersionId)).to.not.include('dm');
      // one evidence file per page with changes, written before the puts of that page
      expect(out.evidence.map((e) => e.name)).to.deep.equal([
        'object-acls-before-0001',
        'object-acls-before-0002',
        'object-acls-before-0003',
      ]);
      expect(out.evidence.map((e) => e.count)).to.deep.equal([2, 2, 1]);
      expect(ctx.progressed.length).to.be.greaterThan(0);
      expect(compile(A.resetObjectAcls.output)(out)).to.equal(true);
      expect(A.resetObjectAcls.reversible!(input, before, out)).to.equal(true);

      s3Mock.resetHistory();
      await A.resetObjectAcls.undo!(ctx, input, before, out);
      const restored = s3Mock.commandCalls(PutObjectAclCommand).map((c) => c.args[0].input);
      expect(restored).to.have.length(5);
      for (const r of restored)
        expect(r.AccessControlPolicy).to.deep.equal({ Owner: { ID: OWNER }, Grants: publicRead });
    });

    it('removeCrossAccount also resets grants to other accounts', async () => {
      bucketBasics();
      threePages();
      aclsByVersion();
      s3Mock.on(PutObjectAclCommand).resolves({});
      const out = (await A.resetObjectAcls.run(
        makeCtx(),
        { ...input, removeCrossAccount: true },
        undefined,
      )) as ResetObjectAclsOutput;
      expect(out.counts.changed).to.equal(6);
      expect(s3Mock.commandCalls(PutObjectAclCommand).map((c) => c.args[0].input.VersionId)).to.include('v3');
    });

    it('BucketOwnerEnforced: skipped with the reason, nothing listed or changed', async () => {
      bucketBasics('BucketOwnerEnforced');
      const out = (await A.resetObjectAcls.run(makeCtx(), input, undefined)) as ResetObjectAclsOutput;
      expect(out).to.deep.include({ skipped: true, mode: 'skipped', changed: false });
      expect(out.reason).to.match(/^BucketOwnerEnforced: ACLs are disabled/);
      expect(s3Mock.commandCalls(ListObjectVersionsCommand)).to.have.length(0);
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('listed keys: all versions of each key only', async () => {
      bucketBasics();
      s3Mock.on(ListObjectVersionsCommand, { Prefix: 'a' }).resolves({
        Versions: [
          { Key: 'a', VersionId: 'v2', IsLatest: true, LastModified: t('2024-01-02T00:00:00Z') },
          { Key: 'a', VersionId: 'v0', IsLatest: false, LastModified: t('2024-01-01T00:00:00Z') },
          { Key: 'ab', VersionId: 'v4', IsLatest: true, LastModified: t('2024-01-01T00:00:00Z') },
        ],
      });
      aclsByVersion();
      s3Mock.on(PutObjectAclCommand).resolves({});
      const out = (await A.resetObjectAcls.run(
        makeCtx(),
        { bucket: 'my-bucket', keys: ['a'], region: 'us-east-1' },
        undefined,
      )) as ResetObjectAclsOutput;
      expect(out.counts.scanned).to.equal(2);
      expect(
        s3Mock
          .commandCalls(PutObjectAclCommand)
          .map((c) => c.args[0].input.VersionId)
          .sort(),
      ).to.deep.equal(['v0', 'v2']);
    });

    it('preview counts what would change without writing', async () => {
      bucketBasics();
      threePages();
      aclsByVersion();
      const ctx = makeCtx({ dryRun: true });
      const plan = await A.resetObjectAcls.preview!(ctx, input, await A.resetObjectAcls.capture!(ctx, input));
      expect(plan.summary).to.equal('Reset to owner-only the ACL of 5 of 10 object versions under s3://my-bucket/p/');
      expect(plan.noop).to.equal(false);
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('dry-run: run() is blocked by the client layer before any PutObjectAcl reaches the client', async () => {
      bucketBasics();
      threePages();
      aclsByVersion();
      const ctx = makeCtx({ dryRun: true });
      const err = await rejects(A.resetObjectAcls.run(ctx, input, undefined));
      expect(err.code).to.equal('IRUN_DRY_RUN_BLOCKED');
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('collects per-object errors and fails at the end with samples, after doing the rest', async () => {
      bucketBasics();
      threePages();
      aclsByVersion();
      s3Mock.on(PutObjectAclCommand).resolves({});
      s3Mock.on(PutObjectAclCommand, { VersionId: 'v4' }).rejects(awsError('AccessDenied', 403, 'req-v4'));
      const err = await rejects(A.resetObjectAcls.run(makeCtx(), input, undefined));
      expect(err.code).to.equal('IRUN_BULK_PARTIAL_FAILURE');
      const details = err.details as unknown as ResetObjectAclsOutput;
      expect(details.counts).to.deep.include({ changed: 4, failed: 1 });
      expect(details.errors[0]).to.deep.include({ key: 'p/0004', versionId: 'v4', code: 'IRUN_AWS_ACCESS_DENIED' });
      expect(details.evidence).to.have.length(3);
    });

    it('above batchThreshold without batch settings: fails saying what to provide', async () => {
      bucketBasics();
      threePages();
      const err = await rejects(A.resetObjectAcls.run(makeCtx(), { ...input, batchThreshold: 5 }, undefined));
      expect(err.code).to.equal('IRUN_BATCH_SETTINGS_REQUIRED');
      expect(err.message).to.contain('batch: { roleArn, manifestBucket }');
      // counting stops at the threshold: the third page is never listed
      expect(s3Mock.commandCalls(ListObjectVersionsCommand)).to.have.length(2);
      expect(mutatingCalls()).to.deep.equal([]);
    });

    it('above batchThreshold: writes the CSV manifest and hands off to S3 Batch Operations (CreateJob, then DescribeJob until Complete)', async () => {
      bucketBasics();
      const page1 = {
        IsTruncated: true,
        NextKeyMarker: 'p/0003',
        NextVersionIdMarker: 'v3',
        Versions: versionsPage(0, 4),
      };
      const page2 = {
        IsTruncated: true,
        NextKeyMarker: 'p/0007',
        NextVersionIdMarker: 'v7',
        Versions: versionsPage(4, 4),
      };
      s3Mock
        .on(ListObjectVersionsCommand)
        // the count stops after two pages (8 > 5); the manifest pass lists everything
        .resolvesOnce(page1)
        .resolvesOnce(page2)
        .resolvesOnce(page1)
        .resolvesOnce({
          IsTruncated: true,
          NextKeyMarker: 'p/0007',
          NextVersionIdMarker: 'v7',
          Versions: versionsPage(4, 4),
        })
        .resolvesOnce({
          IsTruncated: false,
          Versions: [
            ...versionsPage(8, 1),
            { Key: 'p/we ird,+ü.txt', VersionId: 'vx', IsLatest: true, LastModified: t('2024-01-01T00:00:00Z') },
          ],
        });
      let manifest = '';
      s3Mock.on(PutObjectCommand).callsFake(async (i: { Body: Readable }) => {
        for await (const c of i.Body) manifest += String(c);
        return { ETag: '"etag-1"' };
      });
      s3cMock.on(CreateJobCommand).resolves({ JobId: 'job-1' });
      s3cMock
        .on(DescribeJobCommand)
        .resolvesOnce({ Job: { Status: 'Preparing' } })
        .resolvesOnce({
          Job: {
            Status: 'Active',
            ProgressSummary: { TotalNumberOfTasks: 10, NumberOfTasksSucceeded: 4, NumberOfTasksFailed: 0 },
          },
        })
        .resolves({
          Job: {
            Status: 'Complete',
            ProgressSummary: { TotalNumberOfTasks: 10, NumberOfTasksSucceeded: 10, NumberOfTasksFailed: 0 },
          },
        });
      const ctx = makeCtx({ aws: { region: 'us-east-1', accountId: '111122223333' } });
      const batch = { roleArn: 'arn:aws:iam::111122223333:role/batch', manifestBucket: 'ir-manifests', pollSeconds: 0 };
      const out = (await A.resetObjectAcls.run(
        ctx,
        { ...input, batchThreshold: 5, batch },
        undefined,
      )) as ResetObjectAclsOutput;

      expect(s3Mock.commandCalls(GetObjectAclCommand)).to.have.length(0);
      expect(s3Mock.commandCalls(PutObjectAclCommand)).to.have.length(0);
      const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
      expect(put.Bucket).to.equal('ir-manifests');
      expect(put.Key).to.equal('irun/manifests/test-run/test-step/my-bucket.csv');
      const lines = manifest.trim().split('\n');
      expect(lines).to.have.length(10);
      expect(lines[0]).to.equal('my-bucket,p%2F0000,v0');
      expect(lines[9]).to.equal('my-bucket,p%2Fwe%20ird%2C%2B%C3%BC.txt,vx');

      const job = s3cMock.commandCalls(CreateJobCommand)[0].args[0].input;
      expect(job).to.deep.include({
        AccountId: '111122223333',
        RoleArn: batch.roleArn,
        ConfirmationRequired: false,
        Priority: 10,
      });
      expect(job.ClientRequestToken).to.match(/^[0-9a-f]{64}$/);
      expect(job.Operation).to.deep.equal({
        S3PutObjectAcl: {
          AccessControlPolicy: {
            AccessControlList: {
              Owner: { ID: OWNER },
              Grants: [{ Grantee: { TypeIdentifier: 'id', Identifier: OWNER }, Permission: 'FULL_CONTROL' }],
            },
          },
        },
      });
      expect(job.Manifest).to.deep.equal({
        Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key', 'VersionId'] },
        Location: {
          ObjectArn: 'arn:aws:s3:::ir-manifests/irun/manifests/test-run/test-step/my-bucket.csv',
          ETag: 'etag-1',
        },
      });
      expect(job.Report).to.deep.include({
        Enabled: true,
        Bucket: 'arn:aws:s3:::ir-manifests',
        ReportScope: 'AllTasks',
        Format: 'Report_CSV_20180820',
      });
      expect(s3cMock.commandCalls(DescribeJobCommand)).to.have.length(3);
      expect(s3cMock.commandCalls(DescribeJobCommand)[0].args[0].input).to.deep.equal({
        AccountId: '111122223333',
        JobId: 'job-1',
      });

      expect(out.mode).to.equal('batch');
      expect(out.batch).to.deep.include({ jobId: 'job-1', status: 'Complete' });
      expect(out.counts).to.deep.include({ scanned: 10, changed: 10 });
      const why = A.resetObjectAcls.reversible!(input, undefined, out);
      expect(why).to.be.a('string').and.contain('undo is manual');
      expect(compile(A.resetObjectAcls.output)(out)).to.equal(true);
    });
  });

  // ---------------------------------------------------------------------------------------------

  describe('aws.s3.restoreDeleted', () => {
    const since = '2024-05-10T00:00:00Z';
    const entry = (key: string, versionId: string, iso: string, deleteMarker = false): VersionEntry => ({
      key,
      versionId,
      isLatest: false,
      deleteMarker,
      lastModified: iso,
    });

    it('planKey: marker removal, copy-back, unrecoverable, untouched', () => {
      const s = Date.parse(since);
      expect(
        planKey('a', [entry('a', 'm1', '2024-05-11T00:00:00Z', true), entry('a', 'v1', '2024-05-01T00:00:00Z')], s),
      ).to.deep.equal({
        key: 'a',
        action: 'removeDeleteMarker',
        markerIds: ['m1'],
        revealsVersionId: 'v1',
      });
      // overwritten in the window then deleted: copy back the pre-window version
      expect(
        planKey(
          'b',
          [
            entry('b', 'm1', '2024-05-12T00:00:00Z', true),
            entry('b', 'v2', '2024-05-11T00:00:00Z'),
            entry('b', 'v1', '2024-05-01T00:00:00Z'),
          ],
          s,
        ),
      ).to.deep.include({
        action: 'copyBack',
        sourceVersionId: 'v1',
        priorVersionId: 'm1',
        priorIsDeleteMarker: true,
      });
      expect(
        planKey('c', [entry('c', 'v2', '2024-05-11T00:00:00Z'), entry('c', 'v1', '2024-05-01T00:00:00Z')], s),
      ).to.deep.include({ action: 'copyBack', sourceVersionId: 'v1', priorVersionId: 'v2' });
      expect(planKey('d', [entry('d', 'v1', '2024-05-11T00:00:00Z')], s).action).to.equal('unrecoverable');
      expect(planKey('e', [], s).action).to.equal('unrecoverable');
      expect(
        planKey(
          'f',
          [entry('f', 'm2', '2024-05-11T00:00:00Z', true), entry('f', 'm1', '2024-05-11T00:00:00Z', true)],
          s,
        ).action,
      ).to.equal('unrecoverable');
      expect(planKey('g', [entry('g', 'v1', '2024-05-01T00:00:00Z')], s).action).to.equal('none');
      expect(
        planKey('h', [entry('h', 'm1', '2024-05-01T00:00:00Z', true), entry('h', 'v1', '2024-04-01T00:00:00Z')], s)
          .action,
      ).to.equal('none');
      // no window: any delete marker is removed, live versions are left alone
      expect(
        planKey('i', [entry('i', 'm1', '2020-01-01T00:00:00Z', true), entry('i', 'v1', '2019-01-01T00:00:00Z')]).action,
      ).to.equal('removeDeleteMarker');
      expect(planKey('j', [entry('j', 'v1', '2019-01-01T00:00:00Z')]).action).to.equal('none');
    });

    it('prefix + window: removes markers, copies back, reports unrecoverable; undo reverts from the evidence', async () => {
      s3Mock
        .on(ListObjectVersionsCommand)
        .resolvesOnce({
          IsTruncated: true,
          NextKeyMarker: 'docs/b',
          NextVersionIdMarker: 'b2',
          DeleteMarkers: [{ Key: 'docs/a', VersionId: 'a-m', IsLatest: true, LastModified: t('2024-05-11T00:00:00Z') }],
          Versions: [
            { Key: 'docs/a', VersionId: 'a1', IsLatest: false, LastModified: t('2024-05-01T00:00:00Z') },
            { Key: 'docs/b', VersionId: 'b2', IsLatest: true, LastModified: t('2024-05-11T00:00:00Z') },
          ],
        })
        .resolvesOnce({
          IsTruncated: false,
          Versions: [
            // docs/b continues on the next page
            { Key: 'docs/b', VersionId: 'b1', IsLatest: false, LastModified: t('2024-05-02T00:00:00Z') },
            { Key: 'docs/c', VersionId: 'c1', IsLatest: true, LastModified: t('2024-05-12T00:00:00Z') },
            { Key: 'docs/d', VersionId: 'd1', IsLatest: true, LastModified: t('2024-04-12T00:00:00Z') },
          ],
        });
      s3Mock.on(DeleteObjectCommand).resolves({});
      s3Mock.on(CopyObjectCommand).resolves({ VersionId: 'b3' });
      const ctx = makeCtx();
      const input = { bucket: 'my-bucket', prefix: 'docs/', since, region: 'us-east-1' };
      await A.restoreDeleted.capture!(ctx, input);
      const out = (await A.restoreDeleted.run(ctx, input, undefined)) as RestoreDeletedOutput;

      expect(out.counts).to.deep.equal({
        keys: 4,
        restored: 2,
        removedDeleteMarkers: 1,
        copiedBack: 1,
        unrecoverable: 1,
        unchanged: 1,
        failed: 0,
      });
      expect(s3Mock.commandCalls(DeleteObjectCommand)[0].args[0].input).to.deep.equal({
        Bucket: 'my-bucket',
        Key: 'docs/a',
        VersionId: 'a-m',
      });
      expect(s3Mock.commandCalls(CopyObjectCommand)[0].args[0].input).to.deep.equal({
        Bucket: 'my-bucket',
        Key: 'docs/b',
        CopySource: 'my-bucket/docs%2Fb?versionId=b1',
      });
      expect(out.unrecoverable).to.deep.equal([
        { key: 'docs/c', reason: 'modified inside the time window, and no earlier version exists' },
      ]);
      expect(out.restored).to.deep.include({
        key: 'docs/b',
        action: 'copyBack',
        sourceVersionId: 'b1',
        newVersionId: 'b3',
        priorVersionId: 'b2',
      });
      expect(out.evidence.before[0].name).to.equal('restore-deleted-before-0001');
      expect(out.evidence.changes[0].count).to.equal(2);
      expect(compile(A.restoreDeleted.output)(out)).to.equal(true);

      s3Mock.resetHistory();
      await A.restoreDeleted.undo!(ctx, input, undefined, out);
      const undo = s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input);
      expect(undo).to.have.deep.members([
        { Bucket: 'my-bucket', Key: 'docs/a' },
        { Bucket: 'my-bucket', Key: 'docs/b', VersionId: 'b3' },
      ]);
    });

    it('listed keys: a key with no versions is unrecoverable; a live key is reported as skipped', async () => {
      s3Mock.on(ListObjectVersionsCommand, { Prefix: 'gone.txt' }).resolves({ Versions: [] });
      s3Mock.on(ListObjectVersionsCommand, { Prefix: 'live.txt' }).resolves({
        Versions: [{ Key: 'live.txt', VersionId: 'l1', IsLatest: true, LastModified: t('2024-01-01T00:00:00Z') }],
      });
      s3Mock.on(ListObjectVersionsCommand, { Prefix: 'del.txt' }).resolves({
        DeleteMarkers: [{ Key: 'del.txt', VersionId: 'dm', IsLatest: true, LastModified: t('2024-05-11T00:00:00Z') }],
        Versions: [
          { Key: 'del.txt', VersionId: 'd1', IsLatest: false, LastModified: t('2024-01-01T00:00:00Z') },
          { Key: 'del.txt.bak', VersionId: 'x', IsLatest: true },
        ],
      });
      s3Mock.on(DeleteObjectCommand).resolves({});
      const out = (await A.restoreDeleted.run(
        makeCtx(),
        { bucket: 'my-bucket', keys: ['gone.txt', 'live.txt', 'del.txt'], region: 'us-east-1' },
        undefined,
      )) as RestoreDeletedOutput;
      expect(out.unrecoverable.map((u) => u.key)).to.deep.equal(['gone.txt']);
      expect(out.skipped).to.deep.equal([{ key: 'live.txt', reason: 'the current version is live' }]);
      expect(s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).to.deep.equal([
        { Bucket: 'my-bucket', Key: 'del.txt', VersionId: 'dm' },
      ]);
    });

    it('preview lists the plan without sending a mutating command; dry-run run() is blocked', async () => {
      s3Mock.on(ListObjectVersionsCommand).resolves({
        DeleteMarkers: [{ Key: 'x', VersionId: 'm', IsLatest: true, LastModified: t('2024-05-11T00:00:00Z') }],
        Versions: [{ Key: 'x', VersionId: 'v', IsLatest: false, LastModified: t('2024-05-01T00:00:00Z') }],
      });
      const ctx = makeCtx({ dryRun: true });
      const input = { bucket: 'my-bucket', prefix: '', region: 'us-east-1' };
      const plan = await A.restoreDeleted.preview!(ctx, input, undefined);
      expect(plan.summary).to.contain('1 delete markers to remove');
      const err = await rejects(A.restoreDeleted.run(ctx, input, undefined));
      expect(err.code).to.equal('IRUN_DRY_RUN_BLOCKED');
      expect(mutatingCalls()).to.deep.equal([]);
    });
  });
});
