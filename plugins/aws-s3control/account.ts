/**
 * Account-level Block Public Access (S3 Control Get/Put/DeletePublicAccessBlock{AccountId}).
 *
 * The account id comes from the input, else the run's `aws.accountId`, else STS
 * GetCallerIdentity (cached per run and per credentials). The put action merges like the bucket
 * one (flags not requested keep their value); its undo restores the old flags, or deletes the
 * configuration when there was none. This setting covers every bucket of the account.
 */
import { defineAction, type ActionContext, type ActionDefinition } from '../../engine/plugins/api.js';
import {
  BPA_CONFIG_SCHEMA,
  BPA_FLAGS,
  BPA_INPUT_SCHEMA,
  bpaDiff,
  bpaEquals,
  mergeBpa,
  normalizeBpa,
  readAccountBpa,
  writeAccountBpa,
  type AccountBpaState,
  type BpaConfig,
} from '../aws-common/bpa.js';
import { resolveAccountId } from '../aws-common/s3.js';
import { defineSetting } from '../aws-common/setting.js';

const DOCS = 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-block-public-access-account.html';
const ACCOUNT_ID = {
  type: 'string',
  pattern: '^\\d{12}$',
  description: "AWS account id; defaults to the run's account, else the caller's (STS GetCallerIdentity).",
};

const stateSchema = {
  type: 'object',
  properties: {
    accountId: { type: 'string' },
    configured: { type: 'boolean' },
    config: BPA_CONFIG_SCHEMA,
  },
  required: ['accountId', 'configured', 'config'],
};

const changeOutput = {
  type: 'object',
  properties: {
    accountId: { type: 'string' },
    changed: { type: 'boolean' },
    before: stateSchema,
    after: stateSchema,
  },
  required: ['accountId', 'changed', 'before', 'after'],
};

interface PutInput {
  accountId?: string;
  blockPublicAcls?: boolean;
  ignorePublicAcls?: boolean;
  blockPublicPolicy?: boolean;
  restrictPublicBuckets?: boolean;
}
function describe(state: AccountBpaState): string {
  if (!state.config) return 'not configured';
  return BPA_FLAGS.map((f) => `${f}=${state.config![f]}`).join(', ');
}

const getAccountPublicAccessBlock = defineAction<{ accountId?: string }, AccountBpaState>({
  title: 'Get account Block Public Access',
  description:
    'Read the account-level Block Public Access settings (S3 Control GetPublicAccessBlock). "Not configured" is a result (configured: false, all flags effectively off).',
  docsUrl: DOCS,
  input: { type: 'object', properties: { accountId: ACCOUNT_ID }, additionalProperties: false },
  output: stateSchema,
  effect: 'read',
  permissions: ['s3:GetAccountPublicAccessBlock'],
  example: { accountId: '111122223333' },
  async run(ctx, input) {
    return readAccountBpa(ctx, await resolveAccountId(ctx, input.accountId));
  },
});

const accountSetting = {
  output: changeOutput,
  evidence: 'account-public-access-block',
  key: (_input: unknown, b: AccountBpaState) => ({ accountId: b.accountId }),
  capture: async (ctx: ActionContext, input: { accountId?: string }) =>
    readAccountBpa(ctx, await resolveAccountId(ctx, input.accountId)),
  read: (ctx: ActionContext, _input: unknown, b: AccountBpaState) => readAccountBpa(ctx, b.accountId),
};

const putAccountPublicAccessBlock = defineSetting<PutInput, AccountBpaState, BpaConfig>({
  ...accountSetting,
  title: 'Block public access for the whole account',
  description:
    'Turn on account-level Block Public Access (S3 Control PutPublicAccessBlock). With no flag given all four are set to true; flags not given keep their current value. This affects every bucket in the account. Undo restores the previous flags, or deletes the configuration when there was none.',
  docsUrl: DOCS,
  input: { type: 'object', properties: { accountId: ACCOUNT_ID, ...BPA_INPUT_SCHEMA }, additionalProperties: false },
  output: changeOutput,
  permissions: ['s3:GetAccountPublicAccessBlock', 's3:PutAccountPublicAccessBlock'],
  example: {},
  desired: (input, b) => mergeBpa(b.config, input),
  isSet: (b, desired) => b.configured && bpaEquals(normalizeBpa(b.config), desired),
  put: (ctx, _input, desired, b) => writeAccountBpa(ctx, b.accountId, desired),
  restore: (ctx, _input, b) => writeAccountBpa(ctx, b.accountId, b.configured ? normalizeBpa(b.config) : null),
  describe: (_input, b, desired, noop) => ({
    summary: noop
      ? `Account ${b.accountId} Block Public Access already set (${describe(b)})`
      : `Set Block Public Access on account ${b.accountId}: ${bpaDiff(normalizeBpa(b.config), desired).join(', ') || 'create configuration'}`,
    after: { accountId: b.accountId, configured: true, config: desired },
    details: { affects: 'every bucket in the account' },
  }),
});

const deleteAccountPublicAccessBlock = defineSetting<{ accountId?: string }, AccountBpaState, null>({
  ...accountSetting,
  title: 'Delete account Block Public Access',
  description:
    'Remove the account-level Block Public Access configuration (S3 Control DeletePublicAccessBlock). Undo puts the previous flags back.',
  docsUrl: DOCS,
  input: { type: 'object', properties: { accountId: ACCOUNT_ID }, additionalProperties: false },
  output: changeOutput,
  // DeletePublicAccessBlock is authorized by s3:PutAccountPublicAccessBlock.
  permissions: ['s3:GetAccountPublicAccessBlock', 's3:PutAccountPublicAccessBlock'],
  example: { accountId: '111122223333' },
  desired: () => null,
  isSet: (b) => !b.configured,
  put: (ctx, _input, _desired, b) => writeAccountBpa(ctx, b.accountId, null),
  restore: (ctx, _input, b) => writeAccountBpa(ctx, b.accountId, normalizeBpa(b.config)),
  describe: (_input, b) => ({
    summary: b.configured
      ? `Delete Block Public Access of account ${b.accountId} (${describe(b)})`
      : `Account ${b.accountId} has no Block Public Access configuration`,
    after: { accountId: b.accountId, configured: false, config: null },
  }),
});

export const accountActions: Record<string, ActionDefinition> = {
  getAccountPublicAccessBlock,
  putAccountPublicAccessBlock,
  deleteAccountPublicAccessBlock,
};
