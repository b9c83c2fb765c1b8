import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, IrunError } from '../../errors.js';
import { runsDir } from '../../run/store.js';
import { verifyRecord } from '../../run/verify.js';
import { awsSettingsFromFlags, BaseCommand } from '../base.js';
import { verifierFrom } from '../signing.js';

export default class Verify extends BaseCommand {
  static override summary =
    "Check a run record: the journal's hash chain, its signed heads (with a key) and every file of the run.";
  static override description = `Exit 0 when intact, 1 with one coded finding per problem: a changed, removed or inserted journal
line (IRUN_JOURNAL_TAMPERED), evidence that is missing, changed or not named in the journal (IRUN_EVIDENCE_MISSING,
IRUN_EVIDENCE_CHANGED, IRUN_EVIDENCE_UNEXPECTED) and, with --public-key, heads that are unsigned, wrongly signed or
no longer match the journal (IRUN_JOURNAL_UNSIGNED, IRUN_SIGNATURE_INVALID, IRUN_SIGNED_HEAD_MISMATCH, IRUN_UNSIGNED_TAIL).
Without a key, verify proves only that the record is consistent with itself: whoever can write it can recompute the chain.`;
  static override examples = [
    '<%= config.bin %> verify 20261130T030000Z-1a2b3c',
    '<%= config.bin %> verify 20261130T030000Z-1a2b3c --public-key keys/irun-sign.pub',
  ];
  static override enableJsonFlag = true;
  static override args = { runId: Args.string({ description: 'The run id.', required: true }) };
  static override flags = {
    'run-dir': Flags.string({ description: 'Folder holding run records (default .irun/runs).' }),
    'public-key': Flags.string({
      description: 'PEM public key the journal heads must be signed with (irun keys init).',
      exclusive: ['kms-key'],
    }),
    'kms-key': Flags.string({
      description: 'KMS key ARN the journal heads must be signed with (needs kms:GetPublicKey).',
    }),
    'endpoint-url': Flags.string({ description: 'AWS endpoint for the KMS call (tests, VPC endpoints).' }),
    profile: Flags.string({ description: 'AWS profile for the KMS call.' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Verify);
    const dir = path.join(runsDir(flags['run-dir']), args.runId);
    if (!existsSync(dir))
      throw new IrunError('IRUN_RUN_NOT_FOUND', `no run '${args.runId}' in ${runsDir(flags['run-dir'])}`, {
        exit: ExitCode.FAILED,
      });
    const verifier = await verifierFrom(
      { publicKey: flags['public-key'], kmsKey: flags['kms-key'] },
      awsSettingsFromFlags(flags),
    );
    const result = await verifyRecord(dir, { verifier });
    if (!this.jsonEnabled()) {
      const c = this.color;
      for (const f of result.findings)
        this.log(`${f.severity === 'warning' ? c.yellow('warning') : c.red('error')} ${f.code} ${f.message}`);
      for (const s of result.signatures ?? [])
        this.log(
          `  signed by ${s.keyId} (${s.alg}): ${s.heads} heads, the last at journal line ${s.lastSeq} (${s.lastTs})`,
        );
      if (result.ok)
        this.log(
          `${c.green('✔')} run ${args.runId}: ${result.lines} journal lines and ${result.evidence} evidence files intact${
            verifier ? ', heads signed' : ' (no key given: signatures not checked)'
          }`,
        );
    }
    this.done(result.ok ? ExitCode.OK : ExitCode.FAILED);
    return result;
  }
}
