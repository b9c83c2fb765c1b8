/**
 * Object and bucket ACL helpers: which grants make an object public or shared with another
 * account, the owner-only ACL that replaces them, and the plain JSON form kept as evidence.
 *
 * The SDK is only imported inside functions, so the pack loads without the AWS SDK.
 */
import type { Grant, Grantee, Owner } from '@aws-sdk/client-s3';

/** An ACL as the actions return it (toPlainAcl), for output schemas. */
export const PLAIN_ACL_SCHEMA = {
  type: 'object',
  properties: {
    owner: { type: 'object', properties: { id: { type: 'string' }, displayName: { type: 'string' } } },
    grants: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          id: { type: 'string' },
          uri: { type: 'string' },
          email: { type: 'string' },
          displayName: { type: 'string' },
          permission: { type: 'string' },
        },
      },
    },
  },
};

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
/** The S3 server-access-logging group: not a person, never treated as cross-account. */
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

/** An ACL as plain JSON: what GetObjectAcl returned, without SDK metadata. */
export interface PlainAcl {
  owner?: { id?: string; displayName?: string };
  grants: PlainGrant[];
}

export interface PlainGrant {
  type: string;
  id?: string;
  uri?: string;
  email?: string;
  displayName?: string;
  permission: string;
}

/** GetObjectAcl / GetBucketAcl output to a PlainAcl. */
export function toPlainAcl(out: { Owner?: Owner; Grants?: Grant[] } | undefined): PlainAcl {
  const acl: PlainAcl = { grants: [] };
  if (out?.Owner) {
    acl.owner = {};
    if (out.Owner.ID !== undefined) acl.owner.id = out.Owner.ID;
    if (out.Owner.DisplayName !== undefined) acl.owner.displayName = out.Owner.DisplayName;
  }
  for (const g of out?.Grants ?? []) {
    const ge = g.Grantee ?? ({} as Grantee);
    const grant: PlainGrant = { type: ge.Type ?? inferType(ge), permission: g.Permission ?? 'READ' };
    if (ge.ID !== undefined) grant.id = ge.ID;
    if (ge.URI !== undefined) grant.uri = ge.URI;
    if (ge.EmailAddress !== undefined) grant.email = ge.EmailAddress;
    if (ge.DisplayName !== undefined) grant.displayName = ge.DisplayName;
    acl.grants.push(grant);
  }
  return acl;
}

function inferType(ge: Grantee): string {
  if (ge.URI) return 'Group';
  if (ge.EmailAddress) return 'AmazonCustomerByEmail';
  return 'CanonicalUser';
}

/** A PlainAcl back to the AccessControlPolicy PutObjectAcl / PutBucketAcl take. */
export function toAccessControlPolicy(acl: PlainAcl): { Owner?: Owner; Grants: Grant[] } {
  const policy: { Owner?: Owner; Grants: Grant[] } = { Grants: [] };
  if (acl.owner) {
    policy.Owner = {};
    if (acl.owner.id !== undefined) policy.Owner.ID = acl.owner.id;
    if (acl.owner.displayName !== undefined) policy.Owner.DisplayName = acl.owner.displayName;
  }
  for (const g of acl.grants) {
    // Grantee.Type is required on writes (S3 rejects a grantee without xsi:type).
    const grantee: Grantee = { Type: g.type as Grantee['Type'] };
    if (g.id !== undefined) grantee.ID = g.id;
    if (g.uri !== undefined) grantee.URI = g.uri;
    if (g.email !== undefined) grantee.EmailAddress = g.email;
    policy.Grants.push({ Grantee: grantee, Permission: g.permission as Grant['Permission'] });
  }
  return policy;
}

/** A grant to everyone (AllUsers) or to every AWS account holder (AuthenticatedUsers). */
export function isPublicGrant(g: PlainGrant): boolean {
  return g.uri === ALL_USERS || g.uri === AUTHENTICATED_USERS;
}

/**
 * A grant to another account: a canonical user who is neither the bucket owner nor the object
 * owner, or an e-mail grantee. The log-delivery group is a service, not an account.
 */
export function isCrossAccountGrant(g: PlainGrant, ownerIds: (string | undefined)[]): boolean {
  if (g.type === 'AmazonCustomerByEmail' || g.email) return true;
  if (g.type === 'CanonicalUser' && g.id) return !ownerIds.includes(g.id);
  return false;
}

export interface AclVerdict {
  public: boolean;
  crossAccount: boolean;
  /** The grants that make the ACL public or shared, in "<grantee> <permission>" form. */
  offending: string[];
}

/** Classify an ACL against the bucket owner's canonical id. */
export function classifyAcl(acl: PlainAcl, bucketOwnerId: string | undefined): AclVerdict {
  const owners = [bucketOwnerId, acl.owner?.id];
  const offending: string[] = [];
  let pub = false;
  let cross = false;
  for (const g of acl.grants) {
    if (isPublicGrant(g)) {
      pub = true;
      offending.push(`${grantLabel(g)} ${g.permission}`);
    } else if (isCrossAccountGrant(g, owners)) {
      cross = true;
      offending.push(`${grantLabel(g)} ${g.permission}`);
    }
  }
  return { public: pub, crossAccount: cross, offending };
}

export function grantLabel(g: PlainGrant): string {
  if (g.uri === ALL_USERS) return 'AllUsers';
  if (g.uri === AUTHENTICATED_USERS) return 'AuthenticatedUsers';
  if (g.uri) return g.uri;
  if (g.email) return `email:${g.email}`;
  return `id:${g.id ?? '?'}`;
}

/** Does this ACL need a reset to owner-only under the given options? */
export function needsReset(acl: PlainAcl, bucketOwnerId: string | undefined, removeCrossAccount: boolean): boolean {
  const v = classifyAcl(acl, bucketOwnerId);
  return v.public || (removeCrossAccount && v.crossAccount);
}

/**
 * The owner-only ACL: Owner stays the object's owner, one grant of FULL_CONTROL to the bucket
 * owner's canonical id (the owner-only ACL the runbook's containment step sets).
 */
export function ownerOnlyAcl(objectOwner: PlainAcl['owner'], bucketOwnerId: string): PlainAcl {
  const acl: PlainAcl = { grants: [{ type: 'CanonicalUser', id: bucketOwnerId, permission: 'FULL_CONTROL' }] };
  const ownerId = objectOwner?.id ?? bucketOwnerId;
  acl.owner = { id: ownerId };
  if (objectOwner?.displayName !== undefined) acl.owner.displayName = objectOwner.displayName;
  return acl;
}

/** True when the ACL already is exactly the owner-only ACL for this bucket owner. */
export function isOwnerOnly(acl: PlainAcl, bucketOwnerId: string): boolean {
  return (
    acl.grants.length === 1 &&
    acl.grants[0].type === 'CanonicalUser' &&
    acl.grants[0].id === bucketOwnerId &&
    acl.grants[0].permission === 'FULL_CONTROL'
  );
}

/** Short text form for summaries: ["AllUsers READ", "id:abc FULL_CONTROL"]. */
export function describeAcl(acl: PlainAcl): string[] {
  return acl.grants.map((g) => `${grantLabel(g)} ${g.permission}`);
}
