import { GetAccessKeyInfoCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { IrunError } from '../../engine/errors.js';
import pack, { accessKeyType } from '../../plugins/aws-sts/index.js';
import { makeCtx } from '../helpers/ctx.js';

const sts = mockClient(STSClient);
const { getCallerIdentity, getAccessKeyInfo } = pack.actions;

function awsError(name: string, requestId = 'r-1', status = 403): Error {
  return Object.assign(new Error(`${name} message`), {
    name,
    $metadata: { requestId, httpStatusCode: status },
    $fault: 'client',
  });
}

describe('aws.sts', () => {
  // reset() re-installs the stub on the client class: do it before each test, since
  // other files mock the same clients.
  beforeEach(() => sts.reset());

  it('getCallerIdentity returns account, arn and user id', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Account: '111122223333', Arn: 'arn:aws:iam::111122223333:user/alice', UserId: 'AIDAEXAMPLE' });
    const out = await getCallerIdentity.run(makeCtx(), {}, undefined);
    expect(out).to.deep.equal({
      account: '111122223333',
      arn: 'arn:aws:iam::111122223333:user/alice',
      userId: 'AIDAEXAMPLE',
    });
    expect(sts.commandCalls(GetCallerIdentityCommand)).to.have.length(1);
  });

  it('getAccessKeyInfo sends the key and classifies it', async () => {
    sts.on(GetAccessKeyInfoCommand).resolves({ Account: '444455556666' });
    const out = await getAccessKeyInfo.run(makeCtx(), { accessKeyId: 'ASIAIOSFODNN7EXAMPLE' }, undefined);
    expect(sts.commandCalls(GetAccessKeyInfoCommand)[0].args[0].input).to.deep.equal({
      AccessKeyId: 'ASIAIOSFODNN7EXAMPLE',
    });
    expect(out).to.deep.equal({ accessKeyId: 'ASIAIOSFODNN7EXAMPLE', account: '444455556666', keyType: 'session' });
  });

  it('maps AccessDenied to IRUN_AWS_ACCESS_DENIED with the request id', async () => {
    sts.on(GetAccessKeyInfoCommand).rejects(awsError('AccessDenied', 'req-42'));
    const err = await getAccessKeyInfo
      .run(makeCtx(), { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }, undefined)
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(IrunError);
    expect((err as IrunError).code).to.equal('IRUN_AWS_ACCESS_DENIED');
    expect((err as IrunError).details?.requestId).to.equal('req-42');
  });

  it('classifies key prefixes', () => {
    expect(accessKeyType('AKIAIOSFODNN7EXAMPLE')).to.equal('long-term');
    expect(accessKeyType('ASIAIOSFODNN7EXAMPLE')).to.equal('session');
    expect(accessKeyType('ABIAIOSFODNN7EXAMPLE')).to.equal('unknown');
  });
});
