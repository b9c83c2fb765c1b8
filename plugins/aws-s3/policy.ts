/**
 * Pure analysis of S3 bucket policy statements: public? shared with other accounts? which id?
 * ACL grants are in ./acl.ts, Block Public Access flag sets in plugins/aws-common/bpa.ts.
 *
 * The rules follow Cloud Custodian's PolicyChecker (c7n/filters/iamaccess.py) and the notes on
 * S3 exposure in docs/reference/aws-actions.md: a statement is public when it allows a wildcard
 * AWS principal (or uses NotPrincipal) and no restricting condition narrows it; Service
 * principals are ignored. No AWS calls here, so the runbook's exposure reasons, reports and
 * Athena helpers can reuse them.
 */
import { createHash } from 'node:crypto';

/** One statement of an IAM-style policy document, as parsed from JSON. */
export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement?: PolicyStatement | PolicyStatement[];
  [key: string]: unknown;
}

/** A principal element with every value as a list: `"*"` becomes `{ AWS: ["*"] }`. */
export interface NormalizedPrincipal {
  AWS: string[];
  Service: string[];
  Federated: string[];
  CanonicalUser: string[];
}

/**
 * Condition keys that tie a statement to something the bucket owner controls (a VPC endpoint,
 * a network, an organization, an account, a source resource), so the statement is not public.
 * Compared case-insensitively (condition keys are case-insensitive in IAM).
 */
export const RESTRICTING_CONDITION_KEYS = [
  'aws:SourceVpce',
  'aws:SourceVpc',
  'aws:SourceIp',
  'aws:PrincipalOrgID',
  'aws:PrincipalAccount',
  'aws:SourceAccount',
  'aws:SourceArn',
  'aws:PrincipalArn',
] as const;

const RESTRICTING = new Set(RESTRICTING_CONDITION_KEYS.map((k) => k.toLowerCase()));

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** Statements of a policy as an array (IAM allows a single statement object). */
export function statementsOf(policy: PolicyDocument | null | undefined): PolicyStatement[] {
  const s = policy?.Statement;
  if (s === undefined || s === null) return [];
  return Array.isArray(s) ? s : [s];
}

/**
 * Normalize a Principal / NotPrincipal element: a bare string (`"*"` or an ARN) is an AWS
 * principal, an object's values become lists. Unknown keys are dropped.
 */
export function normalizePrincipal(principal: unknown): NormalizedPrincipal {
  const out: NormalizedPrincipal = { AWS: [], Service: [], Federated: [], CanonicalUser: [] };
  if (typeof principal === 'string') {
    out.AWS = [principal];
  } else if (Array.isArray(principal)) {
    out.AWS = list(principal);
  } else if (principal && typeof principal === 'object') {
    const p = principal as Record<string, unknown>;
    out.AWS = list(p.AWS);
    out.Service = list(p.Service);
    out.Federated = list(p.Federated);
    out.CanonicalUser = list(p.CanonicalUser);
  }
  return out;
}

/** JSON with object keys sorted at every level and no whitespace: equal documents, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** sha224 of the statement's canonical JSON (Custodian identifies Sid-less statements this way). */
export function statementHash(statement: PolicyStatement): string {
  return createHash('sha224').update(canonicalJson(statement)).digest('hex');
}

/** A stable id for a statement: its Sid when it has a non-empty one, else `sha224:<hash>`. */
export function statementId(statement: PolicyStatement): string {
  return typeof statement.Sid === 'string' && statement.Sid !== ''
    ? statement.Sid
    : `sha224:${statementHash(statement)}`;
}

function isWildcardValue(v: unknown): boolean {
  return typeof v === 'string' && (v === '*' || v === '' || /^\*+$/.test(v) || v === '0.0.0.0/0' || v === '::/0');
}

/**
 * Does the Condition block restrict who can use the statement? True when some positive operator
 * (not a Not..., Null or ...IfExists operator) tests one of the restricting keys with concrete
 * (non-wildcard) values.
 */
export function hasRestrictingCondition(condition: unknown): boolean {
  if (!condition || typeof condition !== 'object') return false;
  for (const [operator, tests] of Object.entries(condition as Record<string, unknown>)) {
    const op = operator.replace(/^(ForAnyValue|ForAllValues):/i, '');
    // StringNotEquals / NotIpAddress / ArnNotLike exclude a few callers and let everyone else in;
    // Null only tests presence; ...IfExists passes when the key is absent (anonymous callers).
    if (/not/i.test(op) || /^null$/i.test(op) || /ifexists$/i.test(op)) continue;
    if (!tests || typeof tests !== 'object') continue;
    for (const [key, value] of Object.entries(tests as Record<string, unknown>)) {
      if (!RESTRICTING.has(key.toLowerCase())) continue;
      const values = Array.isArray(value) ? value : [value];
      if (values.length > 0 && values.every((v) => !isWildcardValue(v))) return true;
    }
  }
  return false;
}

/** Why a statement is public, or undefined when it is not. */
export function publicReason(statement: PolicyStatement): string | undefined {
  if (!statement || typeof statement !== 'object') return undefined;
  if (statement.Effect !== 'Allow') return undefined;
  if (hasRestrictingCondition(statement.Condition)) return undefined;
  if (statement.NotPrincipal !== undefined) {
    return 'uses NotPrincipal: allows everyone except the listed principals';
  }
  const p = normalizePrincipal(statement.Principal);
  const wild = p.AWS.find((a) => a.includes('*')) ?? p.CanonicalUser.find((a) => a === '*');
  if (wild !== undefined) return `allows principal ${JSON.stringify(wild)} without a restricting condition`;
  return undefined;
}

/** True when the statement grants access to anyone (see publicReason). */
export function isPublicStatement(statement: PolicyStatement): boolean {
  return publicReason(statement) !== undefined;
}

/** The account id of an AWS principal: a bare 12-digit id or the account field of an ARN. */
export function principalAccount(principal: string): string | undefined {
  if (/^\d{12}$/.test(principal)) return principal;
  const m = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(principal);
  return m ? m[1] : undefined;
}

/**
 * AWS principals of an Allow statement that belong to accounts not in `allowAccounts` (the
 * bucket owner's account belongs in that list). Wildcards are public, not cross-account, and are
 * left to isPublicStatement; Service, Federated and CanonicalUser principals are ignored.
 */
export function crossAccountPrincipals(statement: PolicyStatement, allowAccounts: readonly string[]): string[] {
  if (!statement || statement.Effect !== 'Allow' || statement.NotPrincipal !== undefined) return [];
  const allowed = new Set(allowAccounts);
  return normalizePrincipal(statement.Principal).AWS.filter((a) => {
    if (a.includes('*')) return false;
    const acct = principalAccount(a);
    return acct !== undefined && !allowed.has(acct);
  });
}

/** One statement with its analysis. */
export interface StatementAnalysis {
  id: string;
  index: number;
  sid?: string;
  public: boolean;
  publicReason?: string;
  crossAccount: string[];
  statement: PolicyStatement;
}

/** Analyse every statement of a policy. `allowAccounts` is used for `crossAccount`. */
export function analyzePolicy(
  policy: PolicyDocument | null | undefined,
  allowAccounts: readonly string[] = [],
): StatementAnalysis[] {
  return statementsOf(policy).map((statement, index) => {
    const reason = publicReason(statement);
    return {
      id: statementId(statement),
      index,
      ...(typeof statement.Sid === 'string' && statement.Sid !== '' ? { sid: statement.Sid } : {}),
      public: reason !== undefined,
      ...(reason ? { publicReason: reason } : {}),
      crossAccount: crossAccountPrincipals(statement, allowAccounts),
      statement,
    };
  });
}
