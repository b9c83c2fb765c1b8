/** aws.s3 — bucket and object actions for investigating and containing S3 exposure. */
import { definePlugin } from '../../engine/plugins/api.js';
import { bucketActions } from './bucket.js';
import { objectActions } from './objects.js';

export default definePlugin({
  namespace: 'aws.s3',
  description: 'Amazon S3: read bucket and object configuration, contain public access, restore data.',
  actions: { ...bucketActions, ...objectActions },
});
