/**
 * A local AWS KMS endpoint (JSON 1.1 protocol, TrentService) for asymmetric signing keys:
 * GetPublicKey and Sign with a P-256 key it makes itself. Enough for journal-head signing tests.
 */
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface KmsServer {
  url: string;
  keyArn: string;
  publicKeyPem: string;
  calls: string[];
  /** Answer every Sign with this error (e.g. AccessDeniedException) while set. */
  failSign?: string;
  close(): Promise<void>;
}

export async function startKmsServer(): Promise<KmsServer> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/0b7d5c2e-1111-4a4a-9b9b-1234567890ab';
  const state: KmsServer = {
    url: '',
    keyArn,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    calls: [],
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').replace(/^TrentService\./, '');
      state.calls.push(op);
      const input = JSON.parse(body || '{}') as Record<string, string>;
      const reply = (status: number, data: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(data));
      };
      if (input.KeyId !== keyArn)
        return reply(400, { __type: 'NotFoundException', message: `Key '${input.KeyId}' does not exist` });
      if (op === 'GetPublicKey')
        return reply(200, {
          KeyId: keyArn,
          KeySpec: 'ECC_NIST_P256',
          KeyUsage: 'SIGN_VERIFY',
          SigningAlgorithms: ['ECDSA_SHA_256'],
          PublicKey: (publicKey as KeyObject).export({ type: 'spki', format: 'der' }).toString('base64'),
        });
      if (op === 'Sign') {
        if (state.failSign) return reply(400, { __type: state.failSign, message: 'not allowed to sign' });
        if (input.MessageType !== 'RAW' || input.SigningAlgorithm !== 'ECDSA_SHA_256')
          return reply(400, { __type: 'ValidationException', message: 'unsupported' });
        const sig = sign('sha256', Buffer.from(input.Message, 'base64'), privateKey);
        return reply(200, { KeyId: keyArn, Signature: sig.toString('base64'), SigningAlgorithm: 'ECDSA_SHA_256' });
      }
      reply(400, { __type: 'UnsupportedOperationException', message: op });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}
