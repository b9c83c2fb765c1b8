/**
 * A local S3-protocol HTTP server for end-to-end tests and benchmarks: path-style REST + XML for
 * the operations the object actions use and the bucket settings the bucket actions read and
 * change (policy, Block Public Access, ACL, ownership, encryption, versioning, tagging,
 * replication, Object Lock), an in-memory store that can be seeded with many
 * objects cheaply, request counts per operation and per object version, optional latency and
 * deterministic faults (503 SlowDown, 500 InternalError, connection reset).
 *
 * It accepts any signature without checking it. Faults are injected before a request is applied,
 * so a retried request is applied exactly once.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

export interface Grant {
  type: 'CanonicalUser' | 'Group' | 'AmazonCustomerByEmail';
  id?: string;
  uri?: string;
  email?: string;
  permission: string;
}

export interface Acl {
  ownerId: string;
  grants: Grant[];
}

export interface Version {
  versionId: string;
  /** Milliseconds since the epoch. */
  lastModified: number;
  deleteMarker: boolean;
  size: number;
  etag: string;
  storageClass: string;
  /** Shared between versions until changed: seeding 100,000 objects allocates no ACL each. */
  acl: Acl;
  body?: Buffer;
  restore?: string;
}

export interface Bucket {
  name: string;
  ownerId: string;
  versioned: boolean;
  ownership: 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter' | null;
  /** Keys in S3 (UTF-8 binary) order; kept sorted. */
  keys: string[];
  /** Versions per key, newest first. */
  objects: Map<string, Version[]>;
  /**
   * Bucket configuration documents by sub-resource (policy, publicAccessBlock, encryption, acl,
   * versioning, tagging, replication, object-lock), stored as the body the client sent.
   */
  config: Map<string, string>;
}

export type AclSpec = 'private' | 'public-read' | 'authenticated-read' | 'public-read-write' | Acl;

export const DEFAULT_OWNER = 'owner0000000000000000000000000000000000000000000000000000000000a';

const cannedCache = new Map<string, Acl>();
/** A canned ACL object for an owner, shared by every version that uses it. */
export function cannedAcl(kind: Exclude<AclSpec, Acl>, ownerId: string): Acl {
  const k = `${kind}|${ownerId}`;
  let acl = cannedCache.get(k);
  if (!acl) {
    const grants: Grant[] = [{ type: 'CanonicalUser', id: ownerId, permission: 'FULL_CONTROL' }];
    if (kind === 'public-read' || kind === 'public-read-write')
      grants.push({ type: 'Group', uri: ALL_USERS, permission: 'READ' });
    if (kind === 'public-read-write') grants.push({ type: 'Group', uri: ALL_USERS, permission: 'WRITE' });
    if (kind === 'authenticated-read') grants.push({ type: 'Group', uri: AUTHENTICATED_USERS, permission: 'READ' });
    acl = Object.freeze({ ownerId, grants: Object.freeze(grants) as Grant[] }) as Acl;
    cannedCache.set(k, acl);
  }
  return acl;
}

function compareKeys(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** First index i with keys[i] >= key (or > key when `after`). */
function lowerBound(keys: string[], key: string, after = false): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(keys[mid], key);
    if (c < 0 || (after && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The in-memory store behind the server. */
export class S3Store {
  readonly buckets = new Map<string, Bucket>();
  private versionSeq = 0;
  private clock = Date.UTC(2024, 0, 1);
  private readonly aclPutCounts = new Map<string, number>();

  /** A new version id, unique and increasing. */
  nextVersionId(): string {
    this.versionSeq++;
    return `v${this.versionSeq.toString(36).padStart(8, '0')}`;
  }

  /** A timestamp one second after the previous one, unless given. */
  private tick(at?: Date | number): number {
    if (at !== undefined) return typeof at === 'number' ? at : at.getTime();
    this.clock += 1000;
    return this.clock;
  }

  createBucket(
    name: string,
    options: { versioned?: boolean; ownership?: Bucket['ownership']; ownerId?: string } = {},
  ): Bucket {
    const b: Bucket = {
      name,
      ownerId: options.ownerId ?? DEFAULT_OWNER,
      versioned: options.versioned ?? true,
      ownership: options.ownership === undefined ? null : options.ownership,
      keys: [],
      objects: new Map(),
      config: new Map(),
    };
    this.buckets.set(name, b);
    return b;
  }

  bucket(name: string): Bucket | undefined {
    return this.buckets.get(name);
  }

  private requireBucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw new Error(`no bucket ${name}`);
    return b;
  }

  private resolveAcl(b: Bucket, spec: AclSpec | undefined): Acl {
    if (!spec) return cannedAcl('private', b.ownerId);
    return typeof spec === 'string' ? cannedAcl(spec, b.ownerId) : spec;
  }

  private addEntry(b: Bucket, key: string, v: Version): void {
    let list = b.objects.get(key);
    if (!list) {
      list = [];
      b.objects.set(key, list);
      const i = lowerBound(b.keys, key);
      b.keys.splice(i, 0, key);
    }
    if (!b.versioned) {
      // Unversioned buckets keep one "null" version.
      list.length = 0;
      v.versionId = 'null';
    }
    list.unshift(v);
  }

  /** Add a version on top of a key; returns its version id. */
  putObject(
    bucket: string,
    key: string,
    options: {
      acl?: AclSpec;
      lastModified?: Date | number;
      size?: number;
      body?: Buffer | string;
      storageClass?: string;
      restore?: string;
    } = {},
  ): string {
    const b = this.requireBucket(bucket);
    const body =
      options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    const v: Version = {
      versionId: this.nextVersionId(),
      lastModified: this.tick(options.lastModified),
      deleteMarker: false,
      size: options.size ?? body?.length ?? 0,
      etag: `"${createHash('md5')
        .update(body ?? key)
        .digest('hex')}"`,
      storageClass: options.storageClass ?? 'STANDARD',
      acl: this.resolveAcl(b, options.acl),
      ...(body ? { body } : {}),
      ...(options.restore ? { restore: options.restore } : {}),
    };
    this.addEntry(b, key, v);
    return v.versionId;
  }

  /** Put a delete marker on top of a key; returns the marker's version id. */
  deleteObject(bucket: string, key: string, options: { lastModified?: Date | number } = {}): string {
    const b = this.requireBucket(bucket);
    const v: Version = {
      versionId: this.nextVersionId(),
      lastModified: this.tick(options.lastModified),
      deleteMarker: true,
      size: 0,
      etag: '',
      storageClass: 'STANDARD',
      acl: cannedAcl('private', b.ownerId),
    };
    if (!b.versioned) {
      this.removeKeyIfEmpty(b, key, true);
      return 'null';
    }
    this.addEntry(b, key, v);
    return v.versionId;
  }

  private removeKeyIfEmpty(b: Bucket, key: string, force = false): void {
    const list = b.objects.get(key);
    if (force || (list && list.length === 0)) {
      b.objects.delete(key);
      const i = lowerBound(b.keys, key);
      if (b.keys[i] === key) b.keys.splice(i, 1);
    }
  }

  /** Remove one version (or marker) permanently. */
  deleteVersion(bucket: string, key: string, versionId: string): Version | undefined {
    const b = this.requireBucket(bucket);
    const list = b.objects.get(key);
    const i = list?.findIndex((v) => v.versionId === versionId) ?? -1;
    if (!list || i < 0) return undefined;
    const [gone] = list.splice(i, 1);
    this.removeKeyIfEmpty(b, key);
    return gone;
  }

  /**
   * Seed many objects cheaply: keys `${prefix}${index padded}` with `versionsPerKey` versions each.
   * `acl(i, v)` picks a canned ACL per version (shared objects, no per-version allocation).
   */
  seed(
    bucket: string,
    options: {
      count: number;
      prefix?: string;
      versionsPerKey?: number;
      acl?: (i: number, v: number) => AclSpec;
      size?: number;
      keyOf?: (i: number) => string;
    },
  ): string[] {
    const b = this.requireBucket(bucket);
    const per = options.versionsPerKey ?? 1;
    const prefix = options.prefix ?? '';
    const width = String(options.count).length;
    const keyOf = options.keyOf ?? ((i: number) => `${prefix}${String(i).padStart(width, '0')}`);
    const added: string[] = [];
    for (let i = 0; i < options.count; i++) {
      const key = keyOf(i);
      let list = b.objects.get(key);
      if (!list) {
        list = [];
        b.objects.set(key, list);
        added.push(key);
      }
      for (let v = 0; v < per; v++) {
        list.unshift({
          versionId: b.versioned ? this.nextVersionId() : 'null',
          lastModified: this.tick(),
          deleteMarker: false,
          size: options.size ?? 1,
          etag: '"d41d8cd98f00b204e9800998ecf8427e"',
          storageClass: 'STANDARD',
          acl: this.resolveAcl(b, options.acl?.(i, v)),
        });
        if (!b.versioned) list.length = 1;
      }
    }
    if (added.length) {
      b.keys.push(...added);
      b.keys.sort(compareKeys);
    }
    return added;
  }

  /** Versions of a key, newest first (the live array: do not mutate). */
  versions(bucket: string, key: string): readonly Version[] {
    return this.buckets.get(bucket)?.objects.get(key) ?? [];
  }

  version(bucket: string, key: string, versionId?: string): Version | undefined {
    const list = this.buckets.get(bucket)?.objects.get(key);
    if (!list?.length) return undefined;
    if (versionId === undefined) return list[0];
    return list.find((v) => v.versionId === versionId);
  }

  getAcl(bucket: string, key: string, versionId?: string): Acl | undefined {
    return this.version(bucket, key, versionId)?.acl;
  }

  setAcl(bucket: string, key: string, versionId: string, acl: Acl): void {
    const v = this.version(bucket, key, versionId);
    if (!v) throw new Error(`no version ${versionId} of ${key}`);
    v.acl = acl;
  }

  /** How many PutObjectAcl requests were applied to this key + version. */
  aclPuts(bucket: string, key: string, versionId: string): number {
    return this.aclPutCounts.get(`${bucket}\u0000${key}\u0000${versionId}`) ?? 0;
  }

  /** Record an applied PutObjectAcl (the server calls this). */
  countAclPut(bucket: string, key: string, versionId: string): void {
    const k = `${bucket}\u0000${key}\u0000${versionId}`;
    this.aclPutCounts.set(k, (this.aclPutCounts.get(k) ?? 0) + 1);
  }

  private readonly writeCounts = new Map<string, Record<string, number>>();

  /**
   * Applied writes to a key by operation (PutObjectAcl, PutObject, CopyObject, DeleteObject,
   * RestoreObject): faults are decided before a request is applied, so a retried request that
   * got through once shows here once.
   */
  writes(bucket: string, key: string): Record<string, number> {
    return { ...(this.writeCounts.get(`${bucket}\u0000${key}`) ?? {}) };
  }

  /** Record an applied write (the server calls this). */
  countWrite(bucket: string, key: string, op: string): void {
    const k = `${bucket}\u0000${key}`;
    let c = this.writeCounts.get(k);
    if (!c) this.writeCounts.set(k, (c = {}));
    c[op] = (c[op] ?? 0) + 1;
  }

  /** Number of distinct versions that received at least one PutObjectAcl. */
  aclPutVersions(): number {
    return this.aclPutCounts.size;
  }

  /** Every (key, version) pair of a bucket, in listing order (for assertions). */
  *entries(bucket: string): Generator<{ key: string; version: Version }> {
    const b = this.buckets.get(bucket);
    if (!b) return;
    for (const key of b.keys) for (const version of b.objects.get(key) ?? []) yield { key, version };
  }
}

// ---------------------------------------------------------------------------------------------
// XML

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function xmlUnescape(s: string): string {
  return s.replace(
    /&(lt|gt|amp|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g,
    (m, name: string, dec?: string, hex?: string) => {
      if (dec) return String.fromCodePoint(Number(dec));
      if (hex) return String.fromCodePoint(parseInt(hex, 16));
      return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[name] ?? m;
    },
  );
}

const tag = (name: string, value: string | number | boolean) =>
  `<${name}>${typeof value === 'string' ? xmlEscape(value) : String(value)}</${name}>`;

function aclXml(acl: Acl): string {
  const grants = acl.grants
    .map((g) => {
      const inner =
        g.type === 'Group'
          ? tag('URI', g.uri ?? '')
          : g.type === 'AmazonCustomerByEmail'
            ? tag('EmailAddress', g.email ?? '')
            : tag('ID', g.id ?? '');
      return `<Grant><Grantee xmlns:xsi="${XSI}" xsi:type="${g.type}">${inner}</Grantee>${tag('Permission', g.permission)}</Grant>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><AccessControlPolicy xmlns="${NS}"><Owner>${tag('ID', acl.ownerId)}</Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`;
}

function first(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? xmlUnescape(m[1]) : undefined;
}

/** Parse a PutObjectAcl AccessControlPolicy body. */
export function parseAclXml(xml: string, fallbackOwner: string): Acl {
  const ownerBlock = /<Owner>([\s\S]*?)<\/Owner>/.exec(xml)?.[1] ?? '';
  const ownerId = first(ownerBlock, 'ID') ?? fallbackOwner;
  const grants: Grant[] = [];
  for (const m of xml.matchAll(/<Grant>([\s\S]*?)<\/Grant>/g)) {
    const g = m[1];
    const type = (/xsi:type="([^"]+)"/.exec(g)?.[1] ?? 'CanonicalUser') as Grant['type'];
    const grant: Grant = { type, permission: first(g, 'Permission') ?? 'READ' };
    const id = first(g, 'ID');
    const uri = first(g, 'URI');
    const email = first(g, 'EmailAddress');
    if (id !== undefined) grant.id = id;
    if (uri !== undefined) grant.uri = uri;
    if (email !== undefined) grant.email = email;
    grants.push(grant);
  }
  return { ownerId, grants };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '.000Z');

// ---------------------------------------------------------------------------------------------
// The server

export interface S3ServerOptions {
  /** Delay before every response, in ms. */
  latencyMs?: number;
  /** Share of requests (0..1) answered with a fault: 503 SlowDown, 500 InternalError or a reset connection. */
  faultRate?: number;
  /** Seed of the fault generator: the same seed gives the same faults for the same request order. */
  seed?: number;
  /**
   * Relative weights of the fault kinds (default 0.4 / 0.4 / 0.2). A SlowDown is a throttling
   * error: the SDK's adaptive retry mode then slows the whole client down, so benchmarks and
   * tests that must stay fast give it a smaller share.
   */
  faultMix?: { slowDown?: number; internalError?: number; reset?: number };
  /** Store to serve (a new empty one by default). */
  store?: S3Store;
}

export interface S3Server {
  url: string;
  store: S3Store;
  /** Requests per operation (GetObjectAcl, PutObjectAcl, ...), faults included; plus `fault:<kind>` counts. */
  counts: Record<string, number>;
  /** Highest number of requests being handled at once. */
  peakInFlight(): number;
  /** Turn fault injection on or off (e.g. seed without faults, then run with them). */
  setFaultRate(rate: number): void;
  close(): Promise<void>;
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Decode an `aws-chunked` body (chunk-size;chunk-signature=...\r\n data \r\n ... 0\r\n trailers). */
function decodeAwsChunked(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(pos, eol).toString('latin1').split(';')[0], 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function operationOf(method: string, key: string, q: URLSearchParams, headers: http.IncomingHttpHeaders): string {
  if (!key) {
    for (const [sub, name] of Object.entries(BUCKET_CONFIG_OPS)) {
      if (!q.has(sub)) continue;
      if (method === 'GET') return `Get${name}`;
      if (method === 'PUT') return `Put${name}`;
      if (method === 'DELETE') return `Delete${name}`;
    }
    if (method === 'GET' && q.has('policyStatus')) return 'GetBucketPolicyStatus';
    if (method === 'PUT' && q.has('acl')) return 'PutBucketAcl';
    if (method === 'PUT' && q.has('ownershipControls')) return 'PutBucketOwnershipControls';
    if (method === 'DELETE' && q.has('ownershipControls')) return 'DeleteBucketOwnershipControls';
    if (method === 'GET' && q.has('location')) return 'GetBucketLocation';
    if (method === 'GET' && q.has('ownershipControls')) return 'GetBucketOwnershipControls';
    if (method === 'GET' && q.has('acl')) return 'GetBucketAcl';
    if (method === 'GET' && q.has('versions')) return 'ListObjectVersions';
    if (method === 'GET' && q.get('list-type') === '2') return 'ListObjectsV2';
    if (method === 'HEAD') return 'HeadBucket';
    return `Unsupported:${method}:bucket`;
  }
  if (q.has('acl'))
    return method === 'PUT' ? 'PutObjectAcl' : method === 'GET' ? 'GetObjectAcl' : `Unsupported:${method}:acl`;
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'DELETE') return 'DeleteObject';
  if (method === 'PUT') return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  if (method === 'POST' && q.has('restore')) return 'RestoreObject';
  return `Unsupported:${method}:object`;
}

/**
 * Bucket sub-resources kept as the document the client put (Get/Put/Delete<Name>), with the
 * "not configured" error S3 gives when there is none.
 */
const BUCKET_CONFIG_OPS: Record<string, string> = {
  policy: 'BucketPolicy',
  publicAccessBlock: 'PublicAccessBlock',
  encryption: 'BucketEncryption',
  versioning: 'BucketVersioning',
  tagging: 'BucketTagging',
  replication: 'BucketReplication',
  'object-lock': 'ObjectLockConfiguration',
};
const NOT_CONFIGURED: Record<string, [string, string]> = {
  policy: ['NoSuchBucketPolicy', 'The bucket policy does not exist'],
  publicAccessBlock: ['NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found'],
  encryption: [
    'ServerSideEncryptionConfigurationNotFoundError',
    'The server side encryption configuration was not found',
  ],
  tagging: ['NoSuchTagSet', 'The TagSet does not exist'],
  replication: ['ReplicationConfigurationNotFoundError', 'The replication configuration was not found'],
  'object-lock': ['ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket'],
};

/** A policy that grants to everyone ("Principal": "*" or {"AWS": "*"}) without a condition. */
function policyIsPublic(text: string): boolean {
  try {
    const doc = JSON.parse(text) as { Statement?: unknown };
    const list = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as {
      Effect?: string;
      Principal?: unknown;
      Condition?: unknown;
    }[];
    return list.some(
      (st) =>
        st?.Effect === 'Allow' &&
        !st.Condition &&
        (st.Principal === '*' || (st.Principal as { AWS?: unknown } | undefined)?.AWS === '*'),
    );
  } catch {
    return false;
  }
}

/** Object operations that change the store (counted per key by S3Store.writes). */
const WRITES = new Set(['PutObjectAcl', 'PutObject', 'CopyObject', 'DeleteObject', 'RestoreObject']);

/** Start the server on 127.0.0.1 (a free port). */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const store = options.store ?? new S3Store();
  const counts: Record<string, number> = {};
  let faultRate = options.faultRate ?? 0;
  const mix = {
    slowDown: options.faultMix?.slowDown ?? 0.4,
    internalError: options.faultMix?.internalError ?? 0.4,
    reset: options.faultMix?.reset ?? 0.2,
  };
  const mixTotal = mix.slowDown + mix.internalError + mix.reset || 1;
  const random = prng(options.seed ?? 1);
  let requestSeq = 0;
  let inFlight = 0;
  let peak = 0;
  const sockets = new Set<import('node:net').Socket>();

  const bump = (name: string) => {
    counts[name] = (counts[name] ?? 0) + 1;
  };

  const handle = (
    op: string,
    method: string,
    bucketName: string,
    key: string,
    q: URLSearchParams,
    headers: http.IncomingHttpHeaders,
    body: Buffer,
  ): Reply => {
    const b = store.bucket(bucketName);
    if (!b) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const sub = !key ? Object.keys(BUCKET_CONFIG_OPS).find((k) => q.has(k)) : undefined;
    if (sub && sub !== 'versioning') {
      if (method === 'GET') {
        const doc = b.config.get(sub);
        if (doc === undefined) throw new S3Error(404, NOT_CONFIGURED[sub][0], NOT_CONFIGURED[sub][1]);
        return sub === 'policy'
          ? { status: 200, body: doc, headers: { 'content-type': 'application/json' } }
          : xml(doc);
      }
      if (method === 'PUT') {
        b.config.set(sub, decodeBody(body, headers).toString('utf8'));
        return { status: sub === 'policy' ? 204 : 200 };
      }
      if (method === 'DELETE') {
        b.config.delete(sub);
        return { status: 204 };
      }
    }
    switch (op) {
      case 'GetBucketVersioning':
        return xml(
          b.config.get('versioning') ??
            `<VersioningConfiguration xmlns="${NS}">${b.versioned ? tag('Status', 'Enabled') : ''}</VersioningConfiguration>`,
        );
      case 'PutBucketVersioning': {
        const doc = decodeBody(body, headers).toString('utf8');
        b.config.set('versioning', doc);
        if (first(doc, 'Status') === 'Enabled') b.versioned = true;
        return { status: 200 };
      }
      case 'GetBucketPolicyStatus': {
        const policy = b.config.get('policy');
        if (policy === undefined) throw new S3Error(404, NOT_CONFIGURED.policy[0], NOT_CONFIGURED.policy[1]);
        return xml(`<PolicyStatus xmlns="${NS}">${tag('IsPublic', policyIsPublic(policy))}</PolicyStatus>`);
      }
      case 'PutBucketAcl': {
        const canned = headers['x-amz-acl'];
        const acl =
          typeof canned === 'string' && canned
            ? cannedAcl(canned as Exclude<AclSpec, Acl>, b.ownerId)
            : parseAclXml(decodeBody(body, headers).toString('utf8'), b.ownerId);
        b.config.set('acl', aclXml(acl));
        return { status: 200 };
      }
      case 'PutBucketOwnershipControls': {
        const value = first(decodeBody(body, headers).toString('utf8'), 'ObjectOwnership');
        b.ownership = (value as Bucket['ownership']) ?? null;
        return { status: 200 };
      }
      case 'DeleteBucketOwnershipControls':
        b.ownership = null;
        return { status: 204 };
      case 'GetBucketLocation':
        return xml(`<LocationConstraint xmlns="${NS}"></LocationConstraint>`);
      case 'HeadBucket':
        return { status: 200 };
      case 'GetBucketOwnershipControls':
        if (!b.ownership)
          throw new S3Error(404, 'OwnershipControlsNotFoundError', 'The bucket ownership controls were not found');
        return xml(
          `<OwnershipControls xmlns="${NS}"><Rule>${tag('ObjectOwnership', b.ownership)}</Rule></OwnershipControls>`,
        );
      case 'GetBucketAcl':
        return xml(b.config.get('acl') ?? aclXml(cannedAcl('private', b.ownerId)));
      case 'ListObjectVersions':
        return xml(listVersions(b, q));
      case 'ListObjectsV2':
        return xml(listV2(b, q));
      case 'GetObjectAcl': {
        const v = findVersion(b, key, q.get('versionId') ?? undefined);
        return xml(aclXml(v.acl));
      }
      case 'PutObjectAcl': {
        const versionId = q.get('versionId') ?? undefined;
        const v = findVersion(b, key, versionId);
        if (b.ownership === 'BucketOwnerEnforced')
          throw new S3Error(400, 'AccessControlListNotSupported', 'The bucket does not allow ACLs');
        const canned = headers['x-amz-acl'];
        v.acl =
          typeof canned === 'string' && canned
            ? cannedAcl(canned as Exclude<AclSpec, Acl>, b.ownerId)
            : parseAclXml(decodeBody(body, headers).toString('utf8'), v.acl.ownerId);
        store.countAclPut(b.name, key, v.versionId);
        return { status: 200, headers: versionHeader(b, v.versionId) };
      }
      case 'HeadObject':
      case 'GetObject': {
        const versionId = q.get('versionId') ?? undefined;
        const v = findVersion(b, key, versionId, true);
        const h: Record<string, string> = {
          'content-length': String(op === 'GetObject' ? (v.body?.length ?? 0) : v.size),
          etag: v.etag,
          'last-modified': new Date(v.lastModified).toUTCString(),
          'content-type': 'application/octet-stream',
          ...versionHeader(b, v.versionId),
        };
        if (v.storageClass !== 'STANDARD') h['x-amz-storage-class'] = v.storageClass;
        if (v.restore) h['x-amz-restore'] = v.restore;
        return { status: 200, headers: h, ...(op === 'GetObject' ? { body: v.body ?? Buffer.alloc(0) } : {}) };
      }
      case 'PutObject': {
        const data = decodeBody(body, headers);
        const versionId = store.putObject(b.name, key, {
          body: data,
          ...(typeof headers['x-amz-storage-class'] === 'string'
            ? { storageClass: headers['x-amz-storage-class'] }
            : {}),
        });
        const v = store.version(b.name, key, versionId)!;
        return { status: 200, headers: { etag: v.etag, ...versionHeader(b, versionId) } };
      }
      case 'CopyObject': {
        const raw = String(headers['x-amz-copy-source']);
        const qi = raw.indexOf('?');
        const srcPath = decodeURIComponent(qi < 0 ? raw : raw.slice(0, qi)).replace(/^\//, '');
        const srcQuery = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
        const slash = srcPath.indexOf('/');
        const srcBucket = store.bucket(srcPath.slice(0, slash));
        if (!srcBucket) throw new S3Error(404, 'NoSuchBucket', 'The source bucket does not exist');
        const src = findVersion(srcBucket, srcPath.slice(slash + 1), srcQuery.get('versionId') ?? undefined);
        if (src.storageClass === 'GLACIER' || src.storageClass === 'DEEP_ARCHIVE')
          throw new S3Error(403, 'InvalidObjectState', 'The source object is archived');
        const newId = store.putObject(b.name, key, { size: src.size, ...(src.body ? { body: src.body } : {}) });
        const v = store.version(b.name, key, newId)!;
        v.etag = src.etag;
        return {
          ...xml(
            `<CopyObjectResult xmlns="${NS}">${tag('LastModified', iso(v.lastModified))}${tag('ETag', v.etag)}</CopyObjectResult>`,
          ),
          headers: {
            'content-type': 'application/xml',
            ...versionHeader(b, newId),
            ...(srcBucket.versioned ? { 'x-amz-copy-source-version-id': src.versionId } : {}),
          },
        };
      }
      case 'DeleteObject': {
        const versionId = q.get('versionId') ?? undefined;
        if (versionId !== undefined) {
          const gone = store.deleteVersion(b.name, key, versionId);
          return {
            status: 204,
            headers: {
              'x-amz-version-id': versionId,
              ...(gone?.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
            },
          };
        }
        const markerId = store.deleteObject(b.name, key);
        return {
          status: 204,
          headers: b.versioned ? { 'x-amz-version-id': markerId, 'x-amz-delete-marker': 'true' } : {},
        };
      }
      case 'RestoreObject': {
        const v = findVersion(b, key, q.get('versionId') ?? undefined);
        if (v.restore?.includes('ongoing-request="true"'))
          throw new S3Error(409, 'RestoreAlreadyInProgress', 'Object restore is already in progress');
        const status = v.restore ? 200 : 202;
        v.restore = 'ongoing-request="true"';
        return { status };
      }
      default:
        throw new S3Error(501, 'NotImplemented', `${op} is not implemented by the test server`);
    }
  };

  const findVersion = (b: Bucket, key: string, versionId: string | undefined, head = false): Version => {
    const list = b.objects.get(key);
    if (!list?.length) throw new S3Error(404, head ? 'NotFound' : 'NoSuchKey', 'The specified key does not exist.');
    if (versionId === undefined) {
      const v = list[0];
      if (v.deleteMarker)
        throw new S3Error(404, head ? 'NotFound' : 'NoSuchKey', 'The specified key does not exist.', {
          'x-amz-delete-marker': 'true',
          'x-amz-version-id': v.versionId,
        });
      return v;
    }
    const v = list.find((x) => x.versionId === versionId);
    if (!v) throw new S3Error(404, head ? 'NotFound' : 'NoSuchVersion', 'The specified version does not exist.');
    if (v.deleteMarker)
      throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
        'x-amz-delete-marker': 'true',
      });
    return v;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      inFlight++;
      if (inFlight > peak) peak = inFlight;
      const finish = () => {
        inFlight--;
      };
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const pathname = url.pathname.replace(/^\//, '');
      const slash = pathname.indexOf('/');
      const bucketName = decodeURIComponent(slash < 0 ? pathname : pathname.slice(0, slash));
      const key = slash < 0 ? '' : decodeURIComponent(pathname.slice(slash + 1));
      const op = operationOf(method, key, url.searchParams, req.headers);
      bump(op);
      requestSeq++;
      const requestId = `req-${requestSeq.toString(16).padStart(8, '0')}`;

      // Faults are decided before anything is applied.
      if (faultRate > 0 && random() < faultRate) {
        const kind = random() * mixTotal;
        bump(
          `fault:${kind < mix.slowDown ? 'SlowDown' : kind < mix.slowDown + mix.internalError ? 'InternalError' : 'reset'}`,
        );
        if (kind < mix.slowDown)
          return void send(
            res,
            requestId,
            errorReply(503, 'SlowDown', 'Please reduce your request rate.', requestId),
            method,
            finish,
          );
        if (kind < mix.slowDown + mix.internalError)
          return void send(
            res,
            requestId,
            errorReply(500, 'InternalError', 'We encountered an internal error. Please try again.', requestId),
            method,
            finish,
          );
        finish();
        req.socket.destroy();
        return;
      }

      let reply: Reply;
      try {
        if (pathname.startsWith('v20180820/configuration/publicAccessBlock'))
          reply = accountPublicAccessBlock(method, Buffer.concat(chunks), requestId);
        else reply = handle(op, method, bucketName, key, url.searchParams, req.headers, Buffer.concat(chunks));
        if (WRITES.has(op) && reply.status < 300) store.countWrite(bucketName, key, op);
      } catch (err) {
        if (err instanceof S3Error) {
          reply = errorReply(err.status, err.code, err.message, requestId);
          reply.headers = { ...reply.headers, ...err.headers };
        } else reply = errorReply(500, 'InternalError', (err as Error).message, requestId);
      }
      send(res, requestId, reply, method, finish);
    });
  });

  /** S3 Control's account-level Block Public Access (path-style, the account id in a header). */
  let accountBpa: string | undefined;
  function accountPublicAccessBlock(method: string, body: Buffer, requestId: string): Reply {
    if (method === 'PUT') {
      accountBpa = body.toString('utf8');
      return { status: 200, body: '' };
    }
    if (method === 'DELETE') {
      accountBpa = undefined;
      return { status: 204, body: '' };
    }
    if (accountBpa === undefined)
      return errorReply(
        404,
        'NoSuchPublicAccessBlockConfiguration',
        'The public access block configuration was not found',
        requestId,
      );
    return { status: 200, body: accountBpa, headers: { 'content-type': 'application/xml' } };
  }

  function errorReply(status: number, code: string, message: string, requestId: string): Reply {
    bump(`error:${code}`);
    return {
      status,
      body: `<?xml version="1.0" encoding="UTF-8"?><Error>${tag('Code', code)}${tag('Message', message)}${tag('RequestId', requestId)}</Error>`,
      headers: { 'content-type': 'application/xml' },
    };
  }

  function send(res: http.ServerResponse, requestId: string, reply: Reply, method: string, finish: () => void): void {
    const write = () => {
      finish();
      if (res.destroyed) return;
      const body = method === 'HEAD' || reply.status === 204 ? undefined : reply.body;
      const headers: Record<string, string> = {
        'x-amz-request-id': requestId,
        'x-amz-id-2': requestId,
        ...(reply.headers ?? {}),
      };
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      else if (method !== 'HEAD') headers['content-length'] = '0';
      res.writeHead(reply.status, headers);
      res.end(body);
    };
    if (options.latencyMs) setTimeout(write, options.latencyMs);
    else write();
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    counts,
    peakInFlight: () => peak,
    setFaultRate: (rate: number) => {
      faultRate = rate;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const s of sockets) s.destroy();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function xml(body: string): Reply {
  return {
    status: 200,
    body: body.startsWith('<?xml') ? body : `<?xml version="1.0" encoding="UTF-8"?>${body}`,
    headers: { 'content-type': 'application/xml' },
  };
}

function versionHeader(b: Bucket, versionId: string): Record<string, string> {
  return b.versioned ? { 'x-amz-version-id': versionId } : {};
}

function decodeBody(body: Buffer, headers: http.IncomingHttpHeaders): Buffer {
  const enc = String(headers['content-encoding'] ?? '');
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  if (enc.includes('aws-chunked') || sha.startsWith('STREAMING-')) return decodeAwsChunked(body);
  return body;
}

function maxKeysOf(q: URLSearchParams): number {
  const n = Number(q.get('max-keys') ?? 1000);
  return Number.isFinite(n) && n >= 0 ? Math.min(1000, Math.floor(n)) : 1000;
}

function listVersions(b: Bucket, q: URLSearchParams): string {
  const prefix = q.get('prefix') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const versionIdMarker = q.get('version-id-marker') ?? '';
  const max = maxKeysOf(q);
  let i: number;
  let skipUntil: string | undefined;
  if (keyMarker) {
    if (versionIdMarker) {
      i = lowerBound(b.keys, keyMarker);
      skipUntil = versionIdMarker;
    } else i = lowerBound(b.keys, keyMarker, true);
  } else i = lowerBound(b.keys, prefix);
  const parts: string[] = [];
  let n = 0;
  let lastKey = '';
  let lastVersion = '';
  let truncated = false;
  outer: for (; i < b.keys.length; i++) {
    const key = b.keys[i];
    if (!key.startsWith(prefix)) {
      if (compareKeys(key, prefix) > 0) break;
      continue;
    }
    const list = b.objects.get(key) ?? [];
    let j = 0;
    if (skipUntil !== undefined && key === keyMarker) {
      const at = list.findIndex((v) => v.versionId === skipUntil);
      j = at < 0 ? 0 : at + 1;
    }
    skipUntil = undefined;
    for (; j < list.length; j++) {
      if (n >= max) {
        truncated = true;
        break outer;
      }
      const v = list[j];
      const common = `${tag('Key', key)}${tag('VersionId', v.versionId)}${tag('IsLatest', j === 0)}${tag('LastModified', iso(v.lastModified))}`;
      const owner = `<Owner>${tag('ID', b.ownerId)}</Owner>`;
      parts.push(
        v.deleteMarker
          ? `<DeleteMarker>${common}${owner}</DeleteMarker>`
          : `<Version>${common}${tag('ETag', v.etag)}${tag('Size', v.size)}${tag('StorageClass', v.storageClass)}${owner}</Version>`,
      );
      n++;
      lastKey = key;
      lastVersion = v.versionId;
    }
  }
  const head =
    `<ListVersionsResult xmlns="${NS}">${tag('Name', b.name)}${tag('Prefix', prefix)}${tag('KeyMarker', keyMarker)}${tag('VersionIdMarker', versionIdMarker)}` +
    `${tag('MaxKeys', max)}${tag('IsTruncated', truncated)}` +
    (truncated ? `${tag('NextKeyMarker', lastKey)}${tag('NextVersionIdMarker', lastVersion)}` : '');
  return `${head}${parts.join('')}</ListVersionsResult>`;
}

function listV2(b: Bucket, q: URLSearchParams): string {
  const prefix = q.get('prefix') ?? '';
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? '';
  const max = maxKeysOf(q);
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : startAfter;
  let i = after ? lowerBound(b.keys, after, true) : lowerBound(b.keys, prefix);
  const parts: string[] = [];
  let last = '';
  let truncated = false;
  for (; i < b.keys.length; i++) {
    const key = b.keys[i];
    if (!key.startsWith(prefix)) {
      if (compareKeys(key, prefix) > 0) break;
      continue;
    }
    const v = b.objects.get(key)?.[0];
    if (!v || v.deleteMarker) continue;
    if (parts.length >= max) {
      truncated = true;
      break;
    }
    parts.push(
      `<Contents>${tag('Key', key)}${tag('LastModified', iso(v.lastModified))}${tag('ETag', v.etag)}${tag('Size', v.size)}${tag('StorageClass', v.storageClass)}</Contents>`,
    );
    last = key;
  }
  return (
    `<ListBucketResult xmlns="${NS}">${tag('Name', b.name)}${tag('Prefix', prefix)}${tag('KeyCount', parts.length)}${tag('MaxKeys', max)}${tag('IsTruncated', truncated)}` +
    (token ? tag('ContinuationToken', token) : '') +
    (truncated ? tag('NextContinuationToken', Buffer.from(last, 'utf8').toString('base64url')) : '') +
    `${parts.join('')}</ListBucketResult>`
  );
}
