/**
 * aws.accessanalyzer — IAM Access Analyzer findings for buckets and roles shared outside the
 * account (runbook steps 1.2.1 / 1.2.2), and on-demand re-scans to verify containment (Part 4).
 * Analyzers are per region; no analyzer in the region is "not configured", not a failure.
 */
import type { AccessAnalyzerClient } from '@aws-sdk/client-accessanalyzer';
import { defineAction, definePlugin, type ActionContext } from '../../engine/plugins/api.js';
import { awsErrorName, client, plain, send, toIrunError } from '../aws-common/index.js';

type Sdk = typeof import('@aws-sdk/client-accessanalyzer');
const DOCS = 'https://docs.aws.amazon.com/access-analyzer/latest/APIReference';

const region = {
  type: 'string',
  pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
  description: 'Region of the analyzer (default: the step region).',
};
const arn = { type: 'string', pattern: '^arn:aws[a-z-]*:' };
const analyzerArn = { ...arn, description: 'ARN of the analyzer.' };

async function aa(ctx: ActionContext, r?: string): Promise<{ c: AccessAnalyzerClient; m: Sdk }> {
  const m = await import('@aws-sdk/client-accessanalyzer');
  return { c: await client(ctx, m.AccessAnalyzerClient, { region: r }), m };
}

interface Analyzer {
  arn: string;
  name: string;
  type: string;
  status: string;
  [k: string]: unknown;
}

async function analyzers(ctx: ActionContext, c: AccessAnalyzerClient, m: Sdk, type?: string): Promise<Analyzer[]> {
  const out: Analyzer[] = [];
  try {
    for await (const page of m.paginateListAnalyzers({ client: c }, type ? { type: type as never } : {}, {
      abortSignal: ctx.signal,
    })) {
      out.push(...plain<Analyzer[]>(page.analyzers ?? []));
    }
  } catch (err) {
    throw toIrunError(err, 'ListAnalyzers');
  }
  return out;
}

const analyzerItem = {
  type: 'object',
  properties: {
    arn: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    status: { type: 'string' },
  },
};

const listAnalyzers = defineAction<{ type?: string; region?: string }>({
  title: 'List Access Analyzer analyzers',
  description:
    'The analyzers of the region (ListAnalyzers). No analyzer means Access Analyzer is not configured here: `configured: false`.',
  docsUrl: `${DOCS}/API_ListAnalyzers.html`,
  input: {
    type: 'object',
    properties: {
      type: {
        type: 'string',
        enum: [
          'ACCOUNT',
          'ORGANIZATION',
          'ACCOUNT_UNUSED_ACCESS',
          'ORGANIZATION_UNUSED_ACCESS',
          'ACCOUNT_INTERNAL_ACCESS',
          'ORGANIZATION_INTERNAL_ACCESS',
        ],
      },
      region,
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: { configured: { type: 'boolean' }, analyzers: { type: 'array', items: analyzerItem } },
    required: ['configured', 'analyzers'],
  },
  effect: 'read',
  permissions: ['access-analyzer:ListAnalyzers'],
  example: { type: 'ACCOUNT' },
  async run(ctx, input) {
    const { c, m } = await aa(ctx, input.region);
    const list = await analyzers(ctx, c, m, input.type);
    return { configured: list.length > 0, analyzers: list };
  },
});

interface ListFindingsInput {
  resourceType?: string;
  status?: 'ACTIVE' | 'ARCHIVED' | 'RESOLVED';
  analyzerArn?: string;
  isPublic?: boolean;
  resource?: string;
  maxFindings?: number;
  region?: string;
}

/** The ListFindingsV2 filter for the given input (exported for tests and docs). */
export function findingsFilter(input: ListFindingsInput): Record<string, { eq: string[] }> {
  const filter: Record<string, { eq: string[] }> = { status: { eq: [input.status ?? 'ACTIVE'] } };
  if (input.resourceType) filter.resourceType = { eq: [input.resourceType] };
  if (input.isPublic !== undefined) filter.isPublic = { eq: [String(input.isPublic)] };
  if (input.resource) filter.resource = { eq: [input.resource] };
  return filter;
}

const listFindings = defineAction<ListFindingsInput>({
  title: 'List Access Analyzer findings',
  description:
    'Findings of external access (ListFindingsV2), filtered by resource type (AWS::S3::Bucket, AWS::IAM::Role, ...), status (default ACTIVE), public or not, and resource ARN. Without `analyzerArn`, every ACTIVE ACCOUNT and ORGANIZATION analyzer of the region is queried; when there is none the result is `{ configured: false, findings: [] }`.',
  docsUrl: `${DOCS}/API_ListFindingsV2.html`,
  input: {
    type: 'object',
    properties: {
      resourceType: {
        type: 'string',
        pattern: '^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$',
        description: 'e.g. AWS::S3::Bucket or AWS::IAM::Role',
      },
      status: { type: 'string', enum: ['ACTIVE', 'ARCHIVED', 'RESOLVED'], default: 'ACTIVE' },
      analyzerArn,
      isPublic: { type: 'boolean' },
      resource: { type: 'string', description: 'ARN of one resource.' },
      maxFindings: { type: 'integer', minimum: 1, maximum: 100000, default: 10000 },
      region,
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      configured: { type: 'boolean' },
      analyzers: { type: 'array', items: { type: 'string' } },
      findings: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            analyzerArn: { type: 'string' },
            resource: { type: 'string' },
            resourceType: { type: 'string' },
            findingType: { type: 'string' },
            status: { type: 'string' },
          },
        },
      },
      count: { type: 'integer' },
      truncated: { type: 'boolean' },
    },
    required: ['configured', 'findings'],
  },
  effect: 'read',
  permissions: ['access-analyzer:ListAnalyzers', 'access-analyzer:ListFindings'],
  example: { resourceType: 'AWS::S3::Bucket' },
  async run(ctx, input) {
    const { c, m } = await aa(ctx, input.region);
    let arns: string[];
    if (input.analyzerArn) arns = [input.analyzerArn];
    else {
      const list = await analyzers(ctx, c, m);
      arns = list
        .filter((a) => a.status === 'ACTIVE' && (a.type === 'ACCOUNT' || a.type === 'ORGANIZATION'))
        .map((a) => a.arn);
      if (arns.length === 0) {
        return {
          configured: false,
          reason: 'no active external-access analyzer in this region',
          analyzers: [],
          findings: [],
          count: 0,
          truncated: false,
        };
      }
    }
    const max = input.maxFindings ?? 10000;
    const filter = findingsFilter(input);
    const findings: Record<string, unknown>[] = [];
    let truncated = false;
    outer: for (const a of arns) {
      try {
        const pages = m.paginateListFindingsV2(
          { client: c, pageSize: 100 },
          { analyzerArn: a, filter: filter as never },
          { abortSignal: ctx.signal },
        );
        for await (const page of pages) {
          for (const f of plain<Record<string, unknown>[]>(page.findings ?? [])) {
            if (findings.length >= max) {
              truncated = true;
              break outer;
            }
            findings.push({ ...f, analyzerArn: a });
          }
        }
      } catch (err) {
        throw toIrunError(err, 'ListFindingsV2');
      }
    }
    return { configured: true, analyzers: arns, findings, count: findings.length, truncated };
  },
});

const getFinding = defineAction<{ analyzerArn: string; id: string; region?: string }>({
  title: 'Get an Access Analyzer finding',
  description:
    'One finding with its details (GetFindingV2): principal, actions, conditions, whether it is public and how access is granted.',
  docsUrl: `${DOCS}/API_GetFindingV2.html`,
  input: {
    type: 'object',
    properties: { analyzerArn, id: { type: 'string', minLength: 1 }, region },
    required: ['analyzerArn', 'id'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      resource: { type: 'string' },
      resourceType: { type: 'string' },
      status: { type: 'string' },
      findingType: { type: 'string' },
      findingDetails: { type: 'array', items: { type: 'object', properties: {} } },
    },
    required: ['id', 'findingDetails'],
  },
  effect: 'read',
  permissions: ['access-analyzer:GetFinding'],
  example: { analyzerArn: 'arn:aws:access-analyzer:us-east-1:111122223333:analyzer/account', id: '0b8c1d2e-example' },
  async run(ctx, input) {
    const { c, m } = await aa(ctx, input.region);
    let head: Record<string, unknown> | undefined;
    const details: unknown[] = [];
    try {
      for await (const page of m.paginateGetFindingV2(
        { client: c },
        { analyzerArn: input.analyzerArn, id: input.id },
        { abortSignal: ctx.signal },
      )) {
        const p = plain<Record<string, unknown>>(page);
        details.push(...((p.findingDetails as unknown[] | undefined) ?? []));
        if (!head) head = p;
      }
    } catch (err) {
      throw toIrunError(err, 'GetFindingV2');
    }
    const { nextToken: _n, findingDetails: _d, ...rest } = head ?? {};
    return { ...rest, id: (rest.id as string | undefined) ?? input.id, findingDetails: details };
  },
});

const startResourceScan = defineAction<{
  analyzerArn: string;
  resourceArn: string;
  resourceOwnerAccount?: string;
  region?: string;
}>({
  title: 'Re-scan a resource',
  description:
    'Ask Access Analyzer to analyze one resource now (StartResourceScan), e.g. after containment; read the result with getAnalyzedResource. It changes no resource, so it is a read.',
  docsUrl: `${DOCS}/API_StartResourceScan.html`,
  input: {
    type: 'object',
    properties: {
      analyzerArn,
      resourceArn: arn,
      resourceOwnerAccount: { type: 'string', pattern: '^\\d{12}$' },
      region,
    },
    required: ['analyzerArn', 'resourceArn'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      started: { type: 'boolean' },
      analyzerArn: { type: 'string' },
      resourceArn: { type: 'string' },
      startedAt: { type: 'string' },
    },
    required: ['started'],
  },
  effect: 'read',
  permissions: ['access-analyzer:StartResourceScan'],
  example: {
    analyzerArn: 'arn:aws:access-analyzer:us-east-1:111122223333:analyzer/account',
    resourceArn: 'arn:aws:s3:::example-bucket',
  },
  async run(ctx, input) {
    const { c, m } = await aa(ctx, input.region);
    await send(
      c,
      new m.StartResourceScanCommand({
        analyzerArn: input.analyzerArn,
        resourceArn: input.resourceArn,
        ...(input.resourceOwnerAccount ? { resourceOwnerAccount: input.resourceOwnerAccount } : {}),
      }),
      ctx,
    );
    return {
      started: true,
      analyzerArn: input.analyzerArn,
      resourceArn: input.resourceArn,
      startedAt: ctx.now().toISOString(),
    };
  },
});

interface AnalyzedInput {
  analyzerArn: string;
  resourceArn: string;
  analyzedAfter?: string;
  maxWaitSeconds?: number;
  region?: string;
}

const getAnalyzedResource = defineAction<AnalyzedInput>({
  title: 'Analysis result of a resource',
  description:
    'What Access Analyzer found for one resource (GetAnalyzedResource): isPublic, sharedVia, analyzedAt. With `analyzedAfter` (e.g. the startedAt of startResourceScan) it polls with backoff, at most `maxWaitSeconds`, until an analysis that recent exists — findings lag changes.',
  docsUrl: `${DOCS}/API_GetAnalyzedResource.html`,
  input: {
    type: 'object',
    properties: {
      analyzerArn,
      resourceArn: arn,
      analyzedAfter: { type: 'string', format: 'date-time' },
      maxWaitSeconds: { type: 'integer', minimum: 0, maximum: 3600, default: 120 },
      region,
    },
    required: ['analyzerArn', 'resourceArn'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      analyzed: { type: 'boolean' },
      current: {
        type: 'boolean',
        description: 'False when analyzedAfter was given and no analysis that recent arrived in time.',
      },
      reason: { type: 'string' },
      resource: {
        type: 'object',
        properties: {
          resourceArn: { type: 'string' },
          isPublic: { type: 'boolean' },
          sharedVia: { type: 'array', items: { type: 'string' } },
          analyzedAt: { type: 'string' },
        },
      },
    },
    required: ['analyzed'],
  },
  effect: 'read',
  permissions: ['access-analyzer:GetAnalyzedResource'],
  example: {
    analyzerArn: 'arn:aws:access-analyzer:us-east-1:111122223333:analyzer/account',
    resourceArn: 'arn:aws:s3:::example-bucket',
  },
  async run(ctx, input) {
    const { c, m } = await aa(ctx, input.region);
    const after = input.analyzedAfter ? Date.parse(input.analyzedAfter) : undefined;
    const budget = (input.maxWaitSeconds ?? 120) * 1000;
    let waited = 0;
    let delay = 2000;
    for (;;) {
      let resource: Record<string, unknown> | undefined;
      let reason: string | undefined;
      try {
        const out = await c.send(
          new m.GetAnalyzedResourceCommand({ analyzerArn: input.analyzerArn, resourceArn: input.resourceArn }),
          { abortSignal: ctx.signal },
        );
        resource = plain<{ resource?: Record<string, unknown> }>(out).resource;
      } catch (err) {
        if (awsErrorName(err) !== 'ResourceNotFoundException') throw toIrunError(err, 'GetAnalyzedResource');
        reason = 'the resource has not been analyzed (yet)';
      }
      const at = typeof resource?.analyzedAt === 'string' ? Date.parse(resource.analyzedAt) : undefined;
      const current = after === undefined || (at !== undefined && at >= after);
      if ((resource && current) || after === undefined || waited + delay > budget) {
        if (!resource) return { analyzed: false, current: false, reason: reason ?? 'no analysis' };
        return {
          analyzed: true,
          current,
          resource,
          ...(current ? {} : { reason: 'no analysis newer than analyzedAfter arrived within maxWaitSeconds' }),
        };
      }
      ctx.progress({ message: `waiting for Access Analyzer to re-analyze ${input.resourceArn}` });
      await ctx.sleep(delay);
      waited += delay;
      delay = Math.min(delay * 2, 15000);
    }
  },
});

export default definePlugin({
  namespace: 'aws.accessanalyzer',
  description: 'IAM Access Analyzer: analyzers, findings of external and public access, on-demand resource scans.',
  actions: { listAnalyzers, listFindings, getFinding, startResourceScan, getAnalyzedResource },
});
