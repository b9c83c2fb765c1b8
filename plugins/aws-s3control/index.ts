/** aws.s3control — account-level Block Public Access and S3 Batch Operations jobs. */
import { definePlugin } from '../../engine/plugins/api.js';
import { accountActions } from './account.js';
import { batchActions } from './batch.js';

export default definePlugin({
  namespace: 'aws.s3control',
  description: 'Amazon S3 Control: account-level Block Public Access and S3 Batch Operations.',
  actions: { ...accountActions, ...batchActions },
});
