import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  analyzePolicy,
  canonicalJson,
  crossAccountPrincipals,
  hasRestrictingCondition,
  isPublicStatement,
  normalizePrincipal,
  principalAccount,
  statementHash,
  statementId,
  statementsOf,
  type PolicyStatement,
} from '../../plugins/aws-s3/policy.js';
import { bpaDiff, mergeBpa, normalizeBpa } from '../../plugins/aws-common/bpa.js';

const R = 'arn:aws:s3:::b/*';
const allow = (extra: Partial<PolicyStatement>): PolicyStatement => ({
  Effect: 'Allow',
  Action: 's3:GetObject',
  Resource: R,
  ...extra,
});

describe('aws-s3 policy analysis', () => {
  describe('isPublicStatement', () => {
    const cases: [string, PolicyStatement, boolean][] = [
      ['Principal "*"', allow({ Principal: '*' }), true],
      ['Principal {AWS:"*"}', allow({ Principal: { AWS: '*' } }), true],
      ['Principal {AWS:[acct, "*"]}', allow({ Principal: { AWS: ['arn:aws:iam::111122223333:root', '*'] } }), true],
      ['Principal ["*"] (array)', allow({ Principal: ['*'] }), true],
      ['AWS principal with a wildcard account', allow({ Principal: { AWS: 'arn:aws:iam::*:root' } }), true],
      ['NotPrincipal', allow({ NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' } }), true],
      ['Deny with "*"', { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: R }, false],
      ['Service principal', allow({ Principal: { Service: 'logging.s3.amazonaws.com' } }), false],
      ['specific account', allow({ Principal: { AWS: '111122223333' } }), false],
      [
        '"*" with aws:SourceVpce',
        allow({ Principal: '*', Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } } }),
        false,
      ],
      [
        '"*" with aws:SourceVpc',
        allow({ Principal: '*', Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-111' } } }),
        false,
      ],
      [
        '"*" with aws:SourceIp',
        allow({ Principal: '*', Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } }),
        false,
      ],
      [
        '"*" with aws:PrincipalOrgID',
        allow({ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } } }),
        false,
      ],
      [
        '"*" with aws:PrincipalAccount',
        allow({ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333' } } }),
        false,
      ],
      [
        '"*" with aws:SourceAccount',
        allow({ Principal: '*', Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } }),
        false,
      ],
      [
        '"*" with aws:SourceArn',
        allow({
          Principal: '*',
          Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1' } },
        }),
        false,
      ],
      [
        '"*" with aws:PrincipalArn',
        allow({ Principal: '*', Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/r' } } }),
        false,
      ],
      [
        'condition key case-insensitive',
        allow({ Principal: '*', Condition: { StringEquals: { 'AWS:SOURCEVPCE': 'vpce-1' } } }),
        false,
      ],
      [
        '"*" with a non-restricting condition',
        allow({ Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }),
        true,
      ],
      [
        '"*" with NotIpAddress (excludes a few, allows the rest)',
        allow({ Principal: '*', Condition: { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } }),
        true,
      ],
      [
        '"*" with StringEqualsIfExists',
        allow({ Principal: '*', Condition: { StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-1' } } }),
        true,
      ],
      [
        '"*" with a wildcard SourceArn',
        allow({ Principal: '*', Condition: { StringLike: { 'aws:SourceArn': '*' } } }),
        true,
      ],
      [
        '"*" with 0.0.0.0/0',
        allow({ Principal: '*', Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } }),
        true,
      ],
      [
        'NotPrincipal with aws:SourceVpce',
        allow({ NotPrincipal: { AWS: '1' }, Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } }),
        false,
      ],
    ];
    for (const [name, stmt, expected] of cases) {
      it(`${name} -> ${expected ? 'public' : 'not public'}`, () => {
        expect(isPublicStatement(stmt)).to.equal(expected);
      });
    }
  });

  it('hasRestrictingCondition ignores Null and empty blocks', () => {
    expect(hasRestrictingCondition(undefined)).to.equal(false);
    expect(hasRestrictingCondition({ Null: { 'aws:SourceVpce': 'false' } })).to.equal(false);
    expect(
      hasRestrictingCondition({ 'ForAnyValue:StringEquals': { 'aws:SourceVpce': ['vpce-1', 'vpce-2'] } }),
    ).to.equal(true);
  });

  describe('normalizePrincipal', () => {
    const cases: [string, unknown, Record<string, string[]>][] = [
      ['"*"', '*', { AWS: ['*'], Service: [], Federated: [], CanonicalUser: [] }],
      [
        'an ARN string',
        'arn:aws:iam::1:root',
        { AWS: ['arn:aws:iam::1:root'], Service: [], Federated: [], CanonicalUser: [] },
      ],
      ['{AWS: string}', { AWS: '*' }, { AWS: ['*'], Service: [], Federated: [], CanonicalUser: [] }],
      [
        'mixed object',
        { AWS: ['a', 'b'], Service: 's.amazonaws.com' },
        { AWS: ['a', 'b'], Service: ['s.amazonaws.com'], Federated: [], CanonicalUser: [] },
      ],
      ['undefined', undefined, { AWS: [], Service: [], Federated: [], CanonicalUser: [] }],
    ];
    for (const [name, input, expected] of cases) {
      it(name, () => expect(normalizePrincipal(input)).to.deep.equal(expected));
    }
  });

  describe('crossAccountPrincipals', () => {
    const own = ['111122223333'];
    const cases: [string, PolicyStatement, string[]][] = [
      ['own account root', allow({ Principal: { AWS: 'arn:aws:iam::111122223333:root' } }), []],
      ['other account id', allow({ Principal: { AWS: '999988887777' } }), ['999988887777']],
      [
        'other account role among own',
        allow({ Principal: { AWS: ['arn:aws:iam::111122223333:role/a', 'arn:aws:iam::999988887777:role/b'] } }),
        ['arn:aws:iam::999988887777:role/b'],
      ],
      ['wildcard is public, not cross-account', allow({ Principal: '*' }), []],
      ['service principal ignored', allow({ Principal: { Service: 'cloudtrail.amazonaws.com' } }), []],
      ['Deny ignored', { Effect: 'Deny', Principal: { AWS: '999988887777' }, Action: '*', Resource: R }, []],
    ];
    for (const [name, stmt, expected] of cases) {
      it(name, () => expect(crossAccountPrincipals(stmt, own)).to.deep.equal(expected));
    }
    it('principalAccount reads ids and ARNs', () => {
      expect(principalAccount('999988887777')).to.equal('999988887777');
      expect(principalAccount('arn:aws-us-gov:iam::999988887777:user/x')).to.equal('999988887777');
      expect(principalAccount('arn:aws:sts::999988887777:assumed-role/r/s')).to.equal('999988887777');
      expect(principalAccount('AIDAEXAMPLE')).to.equal(undefined);
    });
  });

  describe('statement ids', () => {
    it('uses the Sid when present', () => {
      expect(statementId({ Sid: 'Public', Effect: 'Allow' })).to.equal('Public');
    });
    it('hashes Sid-less statements with sha224 of the canonical JSON, key order independent', () => {
      const a = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: R };
      const b = { Resource: R, Action: 's3:GetObject', Principal: '*', Effect: 'Allow' };
      const expected = createHash('sha224')
        .update('{"Action":"s3:GetObject","Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::b/*"}')
        .digest('hex');
      expect(statementHash(a)).to.equal(expected);
      expect(statementId(b)).to.equal(`sha224:${expected}`);
      expect(statementId({ ...a, Sid: '' })).to.match(/^sha224:[0-9a-f]{56}$/);
      expect(statementHash({ ...a, Action: 's3:PutObject' })).to.not.equal(expected);
    });
    it('canonicalJson sorts nested keys and keeps array order', () => {
      expect(canonicalJson({ b: [2, 1], a: { d: 1, c: null } })).to.equal('{"a":{"c":null,"d":1},"b":[2,1]}');
    });
  });

  it('statementsOf accepts a single statement object', () => {
    expect(statementsOf({ Statement: { Effect: 'Allow' } })).to.have.length(1);
    expect(statementsOf(null)).to.deep.equal([]);
  });

  it('analyzePolicy marks each statement', () => {
    const result = analyzePolicy(
      {
        Version: '2012-10-17',
        Statement: [allow({ Sid: 'Pub', Principal: '*' }), allow({ Principal: { AWS: '999988887777' } })],
      },
      ['111122223333'],
    );
    expect(result.map((r) => [r.id.startsWith('sha224:') ? 'hash' : r.id, r.public, r.crossAccount])).to.deep.equal([
      ['Pub', true, []],
      ['hash', false, ['999988887777']],
    ]);
  });

  describe('Block Public Access merge', () => {
    const allTrue = {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    };
    const allFalse = normalizeBpa(null);
    const cases: [string, Parameters<typeof mergeBpa>[0], object, ReturnType<typeof mergeBpa>][] = [
      ['no flags requested: all four true', null, {}, allTrue],
      ['no flags requested over partial config', { ...allFalse, BlockPublicAcls: true }, { bucket: 'x' }, allTrue],
      [
        'one flag requested keeps the others (absent = false)',
        null,
        { blockPublicPolicy: true },
        { ...allFalse, BlockPublicPolicy: true },
      ],
      [
        'one flag requested keeps current values',
        { ...allTrue, RestrictPublicBuckets: false },
        { blockPublicAcls: false },
        { ...allTrue, BlockPublicAcls: false, RestrictPublicBuckets: false },
      ],
    ];
    for (const [name, current, requested, expected] of cases) {
      it(name, () => expect(mergeBpa(current, requested)).to.deep.equal(expected));
    }
    it('bpaDiff lists changed flags', () => {
      expect(bpaDiff(allFalse, { ...allFalse, BlockPublicPolicy: true })).to.deep.equal([
        'BlockPublicPolicy: false -> true',
      ]);
    });
  });
});
