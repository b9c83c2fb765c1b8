/**
 * What is a write, written down by hand: the oracle the dry-run tests judge with. It must never
 * be derived from the guard it checks (plugins/aws-common), or a guard that lets a change through
 * would pass its own test.
 *
 * Every command a built-in pack can send is listed here as a read or a change; a test scans the
 * packs' sources and fails on a command that is in neither list, so a new command is classified
 * by a person before the dry-run tests accept it.
 */

/** SDK module of each service the packs talk to. */
export const SERVICES = {
  accessanalyzer: '@aws-sdk/client-accessanalyzer',
  athena: '@aws-sdk/client-athena',
  cloudtrail: '@aws-sdk/client-cloudtrail',
  ec2: '@aws-sdk/client-ec2',
  iam: '@aws-sdk/client-iam',
  macie2: '@aws-sdk/client-macie2',
  s3: '@aws-sdk/client-s3',
  s3control: '@aws-sdk/client-s3-control',
  sts: '@aws-sdk/client-sts',
  guardduty: '@aws-sdk/client-guardduty',
  securityhub: '@aws-sdk/client-securityhub',
} as const;
export type Service = keyof typeof SERVICES;

/**
 * Commands that change AWS state (names without the `Command` suffix). The first entries of each
 * service are the ones the built-in packs send; the rest are well-known changes of the same
 * services that no pack sends today, kept to probe the guard's rule beyond the packs (a few of
 * them, such as CreateManagedPrefixList or CreateAllowList, contain a read word after the verb).
 */
export const MUTATING: Record<Service, string[]> = {
  s3: [
    'PutPublicAccessBlock',
    'DeletePublicAccessBlock',
    'PutBucketPolicy',
    'DeleteBucketPolicy',
    'PutBucketAcl',
    'PutObjectAcl',
    'PutBucketEncryption',
    'DeleteBucketEncryption',
    'PutBucketOwnershipControls',
    'DeleteBucketOwnershipControls',
    'PutBucketVersioning',
    'PutObject',
    'CopyObject',
    'DeleteObject',
    'RestoreObject',
    // not sent by the packs
    'DeleteBucket',
    'DeleteObjects',
    'PutBucketTagging',
    'PutBucketLifecycleConfiguration',
    'PutObjectLegalHold',
    'PutObjectRetention',
    'CreateMultipartUpload',
  ],
  s3control: [
    'PutPublicAccessBlock',
    'DeletePublicAccessBlock',
    'CreateJob',
    // not sent by the packs
    'UpdateJobStatus',
    'UpdateJobPriority',
  ],
  iam: [
    'AttachRolePolicy',
    'DetachRolePolicy',
    'PutRolePolicy',
    'DeleteRolePolicy',
    'UpdateAccessKey',
    'UpdateAssumeRolePolicy',
    'PutUserPolicy',
    'DeleteUserPolicy',
    'DeleteAccessKey',
    'DeleteLoginProfile',
    // not sent by the packs
    'CreateAccessKey',
    'DeleteRole',
    'AttachUserPolicy',
    'CreateLoginProfile',
  ],
  ec2: [
    'ModifyInstanceMetadataOptions',
    'ModifyInstanceAttribute',
    'CreateSnapshot',
    'DeleteSnapshot',
    'StopInstances',
    'StartInstances',
    'TerminateInstances',
    'CreateSecurityGroup',
    'DeleteSecurityGroup',
    'RevokeSecurityGroupEgress',
    // not sent by the packs
    'DisassociateIamInstanceProfile',
    'ReplaceIamInstanceProfileAssociation',
    'RevokeSecurityGroupIngress',
    'CreateTags',
    'DeleteKeyPair',
    'CreateManagedPrefixList',
  ],
  athena: ['CreateNamedQuery', 'CreateWorkGroup', 'UpdateWorkGroup'],
  accessanalyzer: ['CreateAnalyzer', 'UpdateFindings', 'ApplyArchiveRule', 'CreateArchiveRule'],
  macie2: ['CreateClassificationJob', 'EnableMacie', 'UpdateMacieSession', 'CreateAllowList', 'DeleteAllowList'],
  cloudtrail: ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'],
  sts: [],
  guardduty: ['ArchiveFindings', 'UnarchiveFindings', 'CreateDetector', 'UpdateFindingsFeedback'],
  securityhub: ['BatchUpdateFindings', 'BatchImportFindings', 'EnableSecurityHub'],
};

/** Commands that only read; the packs send all of these (directly or through a paginator). */
export const READS: Record<Service, string[]> = {
  s3: [
    'GetBucketAcl',
    'GetBucketEncryption',
    'GetBucketLocation',
    'GetBucketOwnershipControls',
    'GetBucketPolicy',
    'GetBucketPolicyStatus',
    'GetBucketReplication',
    'GetBucketTagging',
    'GetBucketVersioning',
    'GetObjectAcl',
    'GetObjectLockConfiguration',
    'GetPublicAccessBlock',
    'HeadObject',
    'ListObjectVersions',
    'ListObjectsV2',
  ],
  s3control: ['GetPublicAccessBlock', 'DescribeJob'],
  iam: [
    'GetAccessKeyLastUsed',
    'GetRole',
    'GetRolePolicy',
    'ListAccessKeys',
    'ListAttachedRolePolicies',
    'ListRolePolicies',
    'ListInstanceProfilesForRole',
    'GetUser',
    'GetUserPolicy',
    'GetLoginProfile',
    'ListUserPolicies',
    'ListAttachedUserPolicies',
    'ListGroupsForUser',
    'ListMFADevices',
  ],
  ec2: ['DescribeKeyPairs', 'DescribeInstances', 'DescribeIamInstanceProfileAssociations'],
  athena: ['GetQueryExecution', 'GetQueryResults', 'GetTableMetadata', 'StopQueryExecution'],
  // StartResourceScan asks the analyzer to look at a resource; it changes nothing in it
  accessanalyzer: ['GetAnalyzedResource', 'ListAnalyzers', 'ListFindingsV2', 'GetFindingV2', 'StartResourceScan'],
  macie2: ['GetBucketStatistics', 'GetMacieSession', 'DescribeBuckets'],
  cloudtrail: ['LookupEvents'],
  sts: ['GetAccessKeyInfo', 'GetCallerIdentity'],
  guardduty: ['ListDetectors', 'ListFindings', 'GetFindings'],
  securityhub: ['GetFindings'],
};

/**
 * Commands of the KMS signer of journal heads (plugins/aws-kms): they read a key or sign a digest
 * and change no AWS state, but are not sent through the packs' guarded clients, so the guard
 * tests below do not exercise them; listed so that the scan knows them.
 */
export const SIGNER = ['GetPublicKey', 'Sign'];

/** Athena statements that change data or the Glue catalog: sent under dry-run, each is a change. */
export const MUTATING_SQL = [
  'CREATE TABLE x AS SELECT 1',
  "CREATE TABLE x WITH (format = 'PARQUET') AS SELECT * FROM cloudtrail_logs",
  'create table x as (select 1)',
  'INSERT INTO findings SELECT * FROM cloudtrail_logs',
  'INSERT INTO t VALUES (1)',
  '-- SELECT only\nDROP TABLE cloudtrail_logs',
  '/* SELECT */ DROP TABLE cloudtrail_logs',
  '/* read-only */\nCREATE TABLE x AS SELECT 1',
  'DROP TABLE cloudtrail_logs',
  'DROP DATABASE irun CASCADE',
  "CREATE EXTERNAL TABLE t (a string) LOCATION 's3://bucket/prefix/'",
  'CREATE DATABASE irun',
  'CREATE VIEW v AS SELECT 1',
  'ALTER TABLE t ADD PARTITION (day = 1)',
  'MSCK REPAIR TABLE cloudtrail_logs',
  "UNLOAD (SELECT * FROM t) TO 's3://bucket/out/' WITH (format = 'TEXTFILE')",
  'DELETE FROM t WHERE a = 1',
  "UPDATE t SET a = 'b'",
  'MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE',
  'OPTIMIZE t REWRITE DATA USING BIN_PACK',
  'VACUUM t',
  '',
  '   ',
];

/** Athena statements that only read (the guard lets them through under dry-run). */
export const READ_SQL = [
  'SELECT 1',
  'select * from cloudtrail_logs limit 10',
  '  \n\tSELECT 1',
  '(SELECT 1)',
  '( select 1 ) union (select 2)',
  'WITH x AS (SELECT 1) SELECT * FROM x',
  'SHOW TABLES',
  'SHOW CREATE TABLE t',
  'DESCRIBE t',
  'EXPLAIN SELECT 1',
  'VALUES 1, 2',
];

/** Identifiers of AWS SDK commands in TypeScript source: `XxxCommand` and `paginateXxx`. */
export function commandsIn(source: string): string[] {
  const out = new Set<string>();
  for (const m of source.matchAll(/\b([A-Z][A-Za-z0-9]+)Command\b/g)) out.add(m[1]);
  for (const m of source.matchAll(/\bpaginate([A-Z][A-Za-z0-9]+)\b/g)) out.add(m[1]);
  return [...out];
}
