/**
 * The shared AWS layer of the built-in packs: SDK clients built from the step's AWS settings
 * (region, profile, role to assume, endpoint), cached per run, with adaptive retries and the
 * irun user agent; the dry-run guard; and the mapping of AWS errors to irun results and codes.
 *
 * SDK modules are imported dynamically so that loading a pack (for `irun validate`) never
 * loads the AWS SDK.
 */
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { type ActionContext, awsErrorCode, IrunError } from '../../engine/plugins/api.js';

export const DEFAULT_REGION = 'us-east-1';

// Structural type for an SDK v3 client: enough for caching and guarding `send`.
interface SdkClient {
  send(command: unknown, ...rest: unknown[]): Promise<unknown>;
}
type ClientCtor<C> = new (config: Record<string, unknown>) => C;

export interface ClientOptions {
  /** Region for this client; defaults to the step's region, then AWS_REGION, then us-east-1. */
  region?: string;
}

/** Commands that only read, by name; anything else is a mutation and is blocked under dry-run. */
const READ_PREFIX = /^(Get|List|Describe|Head|Lookup|Search|Select|Batch[Gg]et)/;
const READ_EXTRA = new Set(['StartResourceScanCommand', 'StopQueryExecutionCommand']);
/** Athena statements that only read. DDL (CREATE/DROP/ALTER/MSCK) mutates the Glue catalog. */
const READ_SQL = /^\s*(\(\s*)?(SELECT|WITH|SHOW|DESCRIBE|EXPLAIN|VALUES)\b/i;

export function isReadOnlyCommand(command: { constructor: { name: string }; input?: unknown }): boolean {
  const name = command.constructor.name;
  if (name === 'StartQueryExecutionCommand') {
    const q = (command.input as { QueryString?: string } | undefined)?.QueryString ?? '';
    return READ_SQL.test(q);
  }
  const bare = name.replace(/Command$/, '');
  return READ_PREFIX.test(bare) || READ_EXTRA.has(name);
}

export function resolveRegion(ctx: ActionContext, region?: string): string {
  return region ?? ctx.aws.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
}

async function credentialsFor(ctx: ActionContext, region: string): Promise<AwsCredentialIdentityProvider | undefined> {
  const { profile, roleArn, externalId } = ctx.aws;
  if (!profile && !roleArn) return undefined; // the SDK's default provider chain
  const key = `aws.credentials|${profile ?? ''}|${roleArn ?? ''}|${externalId ?? ''}`;
  let provider = ctx.shared.get(key) as AwsCredentialIdentityProvider | undefined;
  if (!provider) {
    const { fromIni, fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
    const base = profile ? fromIni({ profile }) : undefined;
    provider = roleArn
      ? fromTemporaryCredentials({
          params: {
            RoleArn: roleArn,
            RoleSessionName: `irun-${ctx.runId}`.slice(0, 64),
            ...(externalId ? { ExternalId: externalId } : {}),
          },
          ...(base ? { masterCredentials: base } : {}),
          clientConfig: { region, ...(ctx.aws.endpointUrl ? { endpoint: ctx.aws.endpointUrl } : {}) },
        })
      : base;
    ctx.shared.set(key, provider);
  }
  return provider;
}

/**
 * The SDK client of one service for the step's settings, created once per run and reused.
 * `send` is wrapped: under dry-run a mutating command throws IRUN_DRY_RUN_BLOCKED before it
 * reaches the client, whatever the action does.
 */
export async function client<C extends SdkClient>(
  ctx: ActionContext,
  Ctor: ClientCtor<C>,
  options: ClientOptions = {},
): Promise<C> {
  const region = resolveRegion(ctx, options.region);
  const { profile, roleArn, externalId, endpointUrl, maxAttempts } = ctx.aws;
  const key = [
    'aws.client',
    Ctor.name,
    region,
    profile,
    roleArn,
    externalId,
    endpointUrl,
    maxAttempts,
    ctx.dryRun,
  ].join('|');
  const cached = ctx.shared.get(key) as C | undefined;
  if (cached) return forStep(cached, ctx);
  const credentials = await credentialsFor(ctx, region);
  const config: Record<string, unknown> = {
    region,
    retryMode: 'adaptive',
    maxAttempts: maxAttempts ?? 5,
    customUserAgent: `irun/${ctx.version}`,
    ...(credentials ? { credentials } : {}),
    ...(endpointUrl ? { endpoint: endpointUrl } : {}),
  };
  // Path-style addressing for a custom endpoint (a local S3 server has no bucket subdomains).
  if (endpointUrl && /^S3/.test(Ctor.name)) config.forcePathStyle = true;
  // S3 Control puts the account id in front of the host (<account>.s3-control...), which a custom
  // endpoint such as 127.0.0.1 cannot take (aws-sdk-js-v3#7146): resolve every call to the
  // endpoint as given (the account id still travels in the x-amz-account-id header).
  if (endpointUrl && Ctor.name === 'S3ControlClient') {
    const url = endpointUrl;
    config.endpointProvider = () => ({ url: new URL(url) });
  }
  const c = new Ctor(config);
  guard(c, ctx);
  ctx.shared.set(key, c);
  return forStep(c, ctx);
}

const RETRY_LOG = 'irunRetryLog';
const views = new WeakMap<object, WeakMap<ActionContext, object>>();

/**
 * The run's cached client as seen by one step: the same client (prototype chain: config,
 * middleware, mocks all shared), with a `send` that logs the SDK's retries of each command on
 * this step's `ctx.log`. Clients live as long as the run but `ctx` is per step (and per forEach
 * item), so the logger travels with each command instead of living on the shared client: two
 * steps using one client each get their own retry lines, never the other's.
 */
function forStep<C extends SdkClient>(c: C, ctx: ActionContext): C {
  let byCtx = views.get(c);
  if (!byCtx) {
    byCtx = new WeakMap();
    views.set(c, byCtx);
  }
  let view = byCtx.get(ctx) as C | undefined;
  if (!view) {
    view = Object.create(c) as C;
    view.send = (command: unknown, ...rest: unknown[]) => {
      logRetries(command, ctx);
      return c.send(command, ...rest);
    };
    byCtx.set(ctx, view);
  }
  return view;
}

interface Stack {
  add(mw: unknown, options: Record<string, unknown>): void;
  remove(name: string): boolean;
}

/**
 * Add to this command's own middleware stack (not the client's) a middleware that runs below
 * the SDK's retry middleware, i.e. once per attempt: every attempt after the first is a retry,
 * logged as a warning with the error that caused it.
 */
export function logRetries(command: unknown, ctx: Pick<ActionContext, 'log'>): void {
  const stack = (command as { middlewareStack?: Partial<Stack> } | null)?.middlewareStack;
  if (!stack || typeof stack.add !== 'function' || typeof stack.remove !== 'function') return;
  const op = (command as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
  // A command sent twice (rare) gets a fresh counter rather than a duplicate-name error.
  stack.remove(RETRY_LOG);
  let attempt = 0;
  let lastError: string | undefined;
  stack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      attempt++;
      if (attempt > 1) {
        ctx.log.warn(`retrying ${op} after ${lastError ?? 'an error'} (attempt ${attempt})`, {
          operation: op,
          attempt,
          error: lastError ?? null,
        });
      }
      try {
        return await next(args);
      } catch (err) {
        lastError = retryReason(err);
        throw err;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: RETRY_LOG, override: true },
  );
}

/** A short name for why an attempt failed: the AWS error name, else the network error code. */
function retryReason(err: unknown): string {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const name = awsErrorName(err);
  const status = e?.$metadata?.httpStatusCode;
  const base = name && name !== 'Error' ? name : typeof e?.code === 'string' ? e.code : 'Error';
  return status ? `${base} (HTTP ${status})` : base;
}

function guard(c: SdkClient, ctx: ActionContext): void {
  const dryRun = ctx.dryRun;
  const proto = Object.getPrototypeOf(c) as SdkClient;
  // Look `send` up on the prototype at call time so that mocks installed later still apply.
  c.send = function guardedSend(this: SdkClient, command: unknown, ...rest: unknown[]) {
    const cmd = command as { constructor: { name: string }; input?: unknown };
    if (dryRun && !isReadOnlyCommand(cmd)) {
      return Promise.reject(
        new IrunError(
          'IRUN_DRY_RUN_BLOCKED',
          `dry-run: ${cmd.constructor.name.replace(/Command$/, '')} changes AWS state and was not sent`,
        ),
      );
    }
    return proto.send.call(c, command, ...rest);
  };
}

/** AWS error names that mean "this feature is not configured": a result, not a failure. */
export const NOT_CONFIGURED = new Set([
  'NoSuchBucketPolicy',
  'NoSuchPublicAccessBlockConfiguration',
  'ServerSideEncryptionConfigurationNotFoundError',
  'ObjectLockConfigurationNotFoundError',
  'ReplicationConfigurationNotFoundError',
  'NoSuchTagSet',
  'OwnershipControlsNotFoundError',
  'NoSuchEntity',
  'NoSuchLifecycleConfiguration',
  'NoSuchWebsiteConfiguration',
]);

export function awsErrorName(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { name?: string; Code?: string; code?: string };
  return e.Code ?? e.name ?? e.code;
}

export function isNotConfigured(err: unknown): boolean {
  const name = awsErrorName(err);
  return name !== undefined && NOT_CONFIGURED.has(name);
}

/** "AccessDenied" -> "IRUN_AWS_ACCESS_DENIED"; "NoSuchBucket" -> "IRUN_AWS_NO_SUCH_BUCKET" (one rule, shared with simulation). */
export const awsCode = awsErrorCode;

/**
 * Wrap an AWS SDK error as an IrunError: code IRUN_AWS_<NAME>, the message naming the operation,
 * and details with the AWS error name, message, HTTP status and request id.
 */
export function toIrunError(err: unknown, operation: string): IrunError {
  if (err instanceof IrunError) return err;
  const e = err as {
    name?: string;
    message?: string;
    $metadata?: { requestId?: string; httpStatusCode?: number };
    $fault?: string;
  };
  const name = awsErrorName(err) ?? 'Error';
  if (name === 'AbortError') {
    return new IrunError('IRUN_ABORTED', `${operation} was aborted`, { cause: err });
  }
  if (name === 'CredentialsProviderError') {
    return new IrunError(
      'IRUN_AWS_NO_CREDENTIALS',
      `${operation}: no AWS credentials found (${e?.message ?? ''}); use --profile, --role-arn, AWS_PROFILE or the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables — or rehearse without AWS with --scenario`,
      {
        cause: err,
        details: { awsError: name, operation },
      },
    );
  }
  const sys = (err as { code?: string })?.code;
  if (typeof sys === 'string' && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|EHOSTUNREACH)$/.test(sys)) {
    return new IrunError('IRUN_AWS_NETWORK', `${operation}: cannot reach AWS (${sys}: ${e?.message ?? ''})`, {
      cause: err,
      details: { operation, network: sys },
    });
  }
  const requestId = e?.$metadata?.requestId;
  const status = e?.$metadata?.httpStatusCode;
  const msg = `${operation} failed: ${name}: ${e?.message ?? String(err)}${requestId ? ` (request id ${requestId})` : ''}`;
  return new IrunError(awsCode(name), msg, {
    cause: err,
    details: { awsError: name, awsMessage: e?.message, requestId, httpStatus: status, operation },
  });
}

/**
 * Send a command and map errors: not-configured names resolve to `undefined` when
 * `allowNotConfigured` is set, everything else becomes an IRUN_AWS_* error.
 */
export async function send<T>(
  c: SdkClient,
  command: unknown,
  ctx: ActionContext,
  options: { allowNotConfigured?: boolean } = {},
): Promise<T | undefined> {
  const op = (command as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
  try {
    return (await c.send(command, { abortSignal: ctx.signal })) as T;
  } catch (err) {
    if (options.allowNotConfigured && isNotConfigured(err)) return undefined;
    throw toIrunError(err, op);
  }
}

/** Convert Dates (deeply) to ISO strings and drop `$metadata`, so outputs are plain JSON. */
export function plain<T = unknown>(value: unknown): T {
  return JSON.parse(
    JSON.stringify(value, (k, v) => {
      if (k === '$metadata') return undefined;
      if (v instanceof Uint8Array) return undefined;
      return v;
    }),
  ) as T;
}

/** Decode a URL-encoded IAM policy document and parse it (aws-sdk-js-v3#1945). */
export function decodePolicy(doc: string | undefined): unknown {
  if (doc === undefined || doc === null) return null;
  let text = doc;
  try {
    text = decodeURIComponent(doc);
  } catch {
    // already decoded
  }
  return JSON.parse(text);
}
