/** `--sign-key` and `--public-key` / `--kms-key`: a local key file, or an AWS KMS key (loaded only then). */
import { Flags } from '@oclif/core';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fileSigner, fileVerifier, type HeadVerifier, type Signer } from '../run/integrity.js';
import { COMPILED, PACKAGE_ROOT } from '../util/paths.js';

export const signFlags = {
  'sign-key': Flags.string({
    description:
      'Sign the journal head at every decision and change and at the end: an Ed25519 key file (irun keys init) or kms:<key ARN>. Also IRUN_SIGN_KEY.',
    env: 'IRUN_SIGN_KEY',
  }),
};

interface KmsModule {
  kmsSigner(arn: string, settings: Record<string, unknown>): Promise<Signer>;
  kmsVerifier(arn: string, settings: Record<string, unknown>): Promise<HeadVerifier>;
}

async function kms(): Promise<KmsModule> {
  const file = path.join(PACKAGE_ROOT, COMPILED ? 'dist/plugins' : 'plugins', 'aws-kms/signer.js');
  return (await import(pathToFileURL(file).href)) as KmsModule;
}

export async function signerFrom(
  spec: string | undefined,
  aws: Record<string, unknown> = {},
): Promise<Signer | undefined> {
  if (!spec) return undefined;
  if (spec.startsWith('kms:')) return (await kms()).kmsSigner(spec.slice(4), aws);
  return fileSigner(spec);
}

export async function verifierFrom(
  options: { publicKey?: string; kmsKey?: string },
  aws: Record<string, unknown> = {},
): Promise<HeadVerifier | undefined> {
  if (options.kmsKey) return (await kms()).kmsVerifier(options.kmsKey.replace(/^kms:/, ''), aws);
  if (options.publicKey) return fileVerifier(options.publicKey);
  return undefined;
}
