/** aws.s3 — bucket and object actions for investigating and containing S3 exposure. */
import { definePlugin, type ActionDefinition } from '../../engine/plugins/api.js';
import { putBucketAcl } from './bucket-acl.js';
import { deleteBucketPolicy, putBucketPolicy, removePublicPolicyStatements } from './bucket-policy.js';
import {
  getBucketAcl,
  getBucketEncryption,
  getBucketLocation,
  getBucketOwnershipControls,
  getBucketPolicy,
  getBucketPolicyStatus,
  getBucketReplication,
  getBucketTagging,
  getBucketVersioning,
  getObjectLockConfiguration,
  getPublicAccessBlock,
} from './bucket-read.js';
import { putBucketEncryption } from './encryption.js';
import { exposureSnapshot } from './exposure.js';
import { listObjectsV2, listObjectVersions } from './listing.js';
import { getObjectAcl, putObjectAcl } from './object-acl.js';
import { deleteObjectVersion, headObject, restoreArchived, restoreObjectVersion } from './object-versions.js';
import { putBucketOwnershipControls } from './ownership.js';
import { deletePublicAccessBlock, putPublicAccessBlock } from './public-access-block.js';
import { resetObjectAcls } from './reset-acls.js';
import { restoreDeleted } from './restore-deleted.js';
import { putBucketVersioning } from './versioning.js';

/** Bucket-level actions: read every access and protection setting, change the ones containment needs. */
export const bucketActions: Record<string, ActionDefinition> = {
  getBucketLocation,
  getBucketPolicy,
  getBucketPolicyStatus,
  putBucketPolicy,
  deleteBucketPolicy,
  getBucketAcl,
  putBucketAcl,
  getPublicAccessBlock,
  putPublicAccessBlock,
  deletePublicAccessBlock,
  getBucketOwnershipControls,
  putBucketOwnershipControls,
  getBucketVersioning,
  putBucketVersioning,
  getBucketEncryption,
  putBucketEncryption,
  getObjectLockConfiguration,
  getBucketReplication,
  getBucketTagging,
  exposureSnapshot,
  removePublicPolicyStatements,
};

/** Object-level actions: list, inspect and restore objects and versions, reset object ACLs. */
export const objectActions: Record<string, ActionDefinition> = {
  listObjectsV2,
  listObjectVersions,
  headObject,
  getObjectAcl,
  putObjectAcl,
  restoreObjectVersion,
  deleteObjectVersion,
  restoreArchived,
  resetObjectAcls,
  restoreDeleted,
};

export default definePlugin({
  namespace: 'aws.s3',
  description: 'Amazon S3: read bucket and object configuration, contain public access, restore data.',
  actions: { ...bucketActions, ...objectActions },
});
