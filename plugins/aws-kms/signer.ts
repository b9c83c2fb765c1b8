/**
 * Journal-head signing with an AWS KMS asymmetric key (`--sign-key kms:<key ARN>`): KMS signs the
 * head's message (MessageType RAW); verification fetches the public key once (GetPublicKey) and
 * checks every signature locally, so an auditor needs only kms:GetPublicKey.
 */
import { GetPublicKeyCommand, KMSClient, SignCommand, type SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { fromIni } from '@aws-sdk/credential-providers';
import { createPublicKey } from 'node:crypto';
import {
  Codes,
  ExitCode,
  IrunError,
  publicKeyVerifier,
  type HeadVerifier,
  type Signer,
} from '../../engine/plugins/api.js';

export interface KmsSettings {
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

const ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/;

function kmsClient(keyArn: string, settings: KmsSettings): KMSClient {
  const m = ARN.exec(keyArn);
  if (!m)
    throw new IrunError(Codes.SIGN_KEY, `'${keyArn}' is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`, {
      exit: ExitCode.USAGE,
    });
  return new KMSClient({
    region: m[1] ?? settings.region,
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl } : {}),
    ...(settings.profile ? { credentials: fromIni({ profile: settings.profile }) } : {}),
  });
}

function kmsError(err: unknown, op: string, keyArn: string): IrunError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return new IrunError(
    Codes.SIGN_FAILED,
    `KMS ${op} for ${keyArn} failed: ${e.name ?? 'Error'}${e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : ''}: ${String(e.message ?? err).split('\n')[0]}`,
    { exit: ExitCode.FAILED, cause: err },
  );
}

/** The signing algorithm KMS offers for the key: ECDSA preferred, RSA-PSS otherwise. */
function pickAlgorithm(algorithms: string[] | undefined): SigningAlgorithmSpec {
  const order = ['ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', 'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384'];
  const found = order.find((a) => algorithms?.includes(a));
  if (!found)
    throw new IrunError(
      Codes.SIGN_KEY,
      `the KMS key offers none of the signing algorithms irun uses (${order.join(', ')})`,
      {
        exit: ExitCode.USAGE,
      },
    );
  return found as SigningAlgorithmSpec;
}

async function describe(client: KMSClient, keyArn: string) {
  try {
    const out = await client.send(new GetPublicKeyCommand({ KeyId: keyArn }));
    if (out.KeyUsage && out.KeyUsage !== 'SIGN_VERIFY')
      throw new IrunError(Codes.SIGN_KEY, `KMS key ${keyArn} is for ${out.KeyUsage}, not SIGN_VERIFY`, {
        exit: ExitCode.USAGE,
      });
    if (!out.PublicKey) throw new IrunError(Codes.SIGN_KEY, `KMS returned no public key for ${keyArn}`);
    return {
      publicKey: createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' }),
      algorithm: pickAlgorithm(out.SigningAlgorithms),
    };
  } catch (err) {
    throw err instanceof IrunError ? err : kmsError(err, 'GetPublicKey', keyArn);
  }
}

export async function kmsSigner(keyArn: string, settings: KmsSettings = {}): Promise<Signer> {
  const client = kmsClient(keyArn, settings);
  const { algorithm } = await describe(client, keyArn);
  return {
    keyId: keyArn,
    alg: algorithm,
    sign: async (message) => {
      try {
        const out = await client.send(
          new SignCommand({ KeyId: keyArn, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm }),
        );
        if (!out.Signature) throw new Error('no signature in the answer');
        return Buffer.from(out.Signature);
      } catch (err) {
        throw kmsError(err, 'Sign', keyArn);
      }
    },
  };
}

export async function kmsVerifier(keyArn: string, settings: KmsSettings = {}): Promise<HeadVerifier> {
  const { publicKey } = await describe(kmsClient(keyArn, settings), keyArn);
  return publicKeyVerifier(publicKey, keyArn);
}
