/**
 * Account-level Block Public Access (S3 Control Get/Put/DeletePublicAccessBlock{AccountId}).
 *
 * The account id comes from the input, else the run's `aws.accountId`, else STS
 * GetCallerIdentity (cached per run and per credentials). The put action merges like the bucket
 * one (flags not requested keep their value); its undo restores the old flags, or deletes the
 * configuration when there was none. This setting covers every bucket of the account.
 */
import { Codes, IrunError } from '../../engine/errors.js';
import { defineAction, type ActionDefinition, type PlannedChange } from '../../engine/plugins/api.js';
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
} from '../aws-common/bpa.js';
import { resolveAccountId } from '../aws-common/s3.js';

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
interface ChangeOutput {
  accountId: string;
  changed: boolean;
  before: AccountBpaState;
  after: AccountBpaState;
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

const putAccountPublicAccessBlock = defineAction<PutInput, ChangeOutput, AccountBpaState>({
  title: 'Block public access for the whole account',
  description:
    'Turn on account-level Block Public Access (S3 Control PutPublicAccessBlock). With no flag given all four are set to true; flags not given keep their current value. This affects every bucket in the account. Undo restores the previous flags, or deletes the configuration when there was none.',
  docsUrl: DOCS,
  input: { type: 'object', properties: { accountId: ACCOUNT_ID, ...BPA_INPUT_SCHEMA }, additionalProperties: false },
  output: changeOutput,
  effect: 'mutate',
  permissions: ['s3:GetAccountPublicAccessBlock', 's3:PutAccountPublicAccessBlock'],
  example: {},
  async capture(ctx, input) {
    const before = await readAccountBpa(ctx, await resolveAccountId(ctx, input.accountId));
    await ctx.evidence.save('account-public-access-block-before', before);
    return before;
  },
  async preview(_ctx, input, before): Promise<PlannedChange> {
    const b = requireBefore(before);
    const desired = mergeBpa(b.config, input);
    const noop = b.configured && bpaEquals(normalizeBpa(b.config), desired);
    return {
      summary: noop
        ? `Account ${b.accountId} Block Public Access already set (${describe(b)})`
        : `Set Block Public Access on account ${b.accountId}: ${bpaDiff(normalizeBpa(b.config), desired).join(', ') || 'create configuration'}`,
      noop,
      before: b,
      after: { accountId: b.accountId, configured: true, config: desired },
      details: { affects: 'every bucket in the account' },
    };
  },
  async run(ctx, input, before) {
    const b = before ?? (await readAccountBpa(ctx, await resolveAccountId(ctx, input.accountId)));
    const desired = mergeBpa(b.config, input);
    if (b.configured && bpaEquals(normalizeBpa(b.config), desired)) {
      return { accountId: b.accountId, changed: false, before: b, after: b };
    }
    await writeAccountBpa(ctx, b.accountId, desired);
    const after = await readAccountBpa(ctx, b.accountId);
    await ctx.evidence.save('account-public-access-block-after', after);
    return { accountId: b.accountId, changed: true, before: b, after };
  },
  reversible: () => true,
  async undo(ctx, _input, before, output) {
    if (!output?.changed) return { restored: false, reason: 'the step changed nothing' };
    const b = requireBefore(before ?? output.before);
    await writeAccountBpa(ctx, b.accountId, b.configured ? normalizeBpa(b.config) : null);
    return { restored: true, state: await readAccountBpa(ctx, b.accountId) };
  },
});

const deleteAccountPublicAccessBlock = defineAction<{ accountId?: string }, ChangeOutput, AccountBpaState>({
  title: 'Delete account Block Public Access',
  description:
    'Remove the account-level Block Public Access configuration (S3 Control DeletePublicAccessBlock). Undo puts the previous flags back.',
  docsUrl: DOCS,
  input: { type: 'object', properties: { accountId: ACCOUNT_ID }, additionalProperties: false },
  output: changeOutput,
  effect: 'mutate',
  // DeletePublicAccessBlock is authorized by s3:PutAccountPublicAccessBlock.
  permissions: ['s3:GetAccountPublicAccessBlock', 's3:PutAccountPublicAccessBlock'],
  example: { accountId: '111122223333' },
  async capture(ctx, input) {
    const before = await readAccountBpa(ctx, await resolveAccountId(ctx, input.accountId));
    await ctx.evidence.save('account-public-access-block-before', before);
    return before;
  },
  async preview(_ctx, _input, before): Promise<PlannedChange> {
    const b = requireBefore(before);
    return {
      summary: b.configured
        ? `Delete Block Public Access of account ${b.accountId} (${describe(b)})`
        : `Account ${b.accountId} has no Block Public Access configuration`,
      noop: !b.configured,
      before: b,
      after: { accountId: b.accountId, configured: false, config: null },
    };
  },
  async run(ctx, input, before) {
    const b = before ?? (await readAccountBpa(ctx, await resolveAccountId(ctx, input.accountId)));
    if (!b.configured) return { accountId: b.accountId, changed: false, before: b, after: b };
    await writeAccountBpa(ctx, b.accountId, null);
    const after = await readAccountBpa(ctx, b.accountId);
    await ctx.evidence.save('account-public-access-block-after', after);
    return { accountId: b.accountId, changed: true, before: b, after };
  },
  reversible: () => true,
  async undo(ctx, _input, before, output) {
    if (!output?.changed) return { restored: false, reason: 'the step changed nothing' };
    const b = requireBefore(before ?? output.before);
    await writeAccountBpa(ctx, b.accountId, normalizeBpa(b.config));
    return { restored: true, state: await readAccountBpa(ctx, b.accountId) };
  },
});

function requireBefore<B>(before: B | undefined): B {
  if (before === undefined) throw new IrunError(Codes.INTERNAL, 'the before-state of this change was not captured');
  return before;
}

export const accountActions: Record<string, ActionDefinition> = {
  getAccountPublicAccessBlock,
  putAccountPublicAccessBlock,
  deleteAccountPublicAccessBlock,
};
