/**
 * Signing primitives for run records: what a signed journal head covers, the signer and verifier
 * interfaces (a local key, or a key held by a service such as AWS KMS), and verification of
 * Ed25519, ECDSA and RSA-PSS signatures with node:crypto.
 */
import { createHash, verify, type KeyObject } from 'node:crypto';

/** What a signature covers: the run, the journal line number and the hash of that line. */
export function headMessage(runId: string, seq: number, head: string): Buffer {
  return Buffer.from(`irun-journal-head:v1\n${runId}\n${seq}\n${head}\n`, 'utf8');
}

export interface Signer {
  /** Who signs: a key fingerprint (local key) or the KMS key ARN. */
  readonly keyId: string;
  /** `ed25519`, or the KMS signing algorithm (e.g. `ECDSA_SHA_256`). */
  readonly alg: string;
  sign(message: Buffer): Promise<Buffer>;
}

/** A verifier for one key: the local public key, or KMS. */
export interface HeadVerifier {
  readonly keyId: string;
  verify(message: Buffer, signature: Buffer, alg: string): Promise<boolean>;
}

export function fingerprint(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex').slice(0, 32)}`;
}

export function publicKeyVerifier(key: KeyObject, keyId = fingerprint(key)): HeadVerifier {
  return {
    keyId,
    verify: async (message, signature, alg) => {
      try {
        if (alg === 'ed25519') return key.asymmetricKeyType === 'ed25519' && verify(null, message, key, signature);
        const hash = /SHA_(256|384|512)$/.exec(alg)?.[1];
        if (!hash) return false;
        if (alg.startsWith('RSASSA_PSS'))
          return verify(
            `sha${hash}`,
            message,
            { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: Number(hash) / 8 },
            signature,
          );
        return verify(`sha${hash}`, message, key, signature);
      } catch {
        return false;
      }
    },
  };
}
