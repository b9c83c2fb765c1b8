import { expect } from 'chai';
import * as api from '../../engine/plugins/api.js';
import * as errors from '../../engine/errors.js';

describe('plugin API exports', () => {
  it('gives a pack the engine error class (same identity), the codes and serializeError', () => {
    expect(api.IrunError).to.equal(errors.IrunError);
    expect(api.Codes).to.equal(errors.Codes);
    const err = new api.IrunError(api.Codes.ACTION_FAILED, 'boom');
    expect(errors.isIrunError(err)).to.equal(true);
    expect(api.serializeError(err)).to.deep.equal({ code: 'IRUN_ACTION_FAILED', message: 'boom' });
    expect(api.awsErrorCode('AccessDeniedException')).to.equal('IRUN_AWS_ACCESS_DENIED');
    expect(api.parseDuration('1m30s')).to.equal(90_000);
  });
});
