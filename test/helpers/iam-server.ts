/**
 * A local IAM endpoint (AWS query protocol: form-encoded POST, XML answers) for end-to-end tests
 * of user containment: users with access keys, inline policies and console passwords, and the
 * operations the aws.iam user actions send. Signatures are not checked.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IamUser {
  name: string;
  keys: { id: string; status: 'Active' | 'Inactive'; created: string }[];
  policies: Map<string, string>;
  loginProfile?: { created: string };
}

export interface IamServer {
  url: string;
  users: Map<string, IamUser>;
  counts: Record<string, number>;
  addUser(name: string, o?: { keys?: string[]; password?: boolean }): IamUser;
  close(): Promise<void>;
}

const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const ACCOUNT = '111122223333';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const t = (name: string, v: string | boolean) => `<${name}>${esc(String(v))}</${name}>`;
const members = (items: string[]) => items.map((i) => `<member>${i}</member>`).join('');

class IamFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function handle(users: Map<string, IamUser>, p: URLSearchParams): string {
  const user = () => {
    const u = users.get(p.get('UserName') ?? '');
    if (!u) throw new IamFault(404, 'NoSuchEntity', `The user with name ${p.get('UserName')} cannot be found.`);
    return u;
  };
  const userXml = (u: IamUser) =>
    `${t('Path', '/')}${t('UserName', u.name)}${t('UserId', `AIDA${u.name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`)}${t('Arn', `arn:aws:iam::${ACCOUNT}:user/${u.name}`)}${t('CreateDate', '2023-01-01T00:00:00Z')}`;
  const list = (field: string, items: string[]) => `<${field}>${members(items)}</${field}>${t('IsTruncated', false)}`;
  switch (p.get('Action')) {
    case 'GetAccessKeyLastUsed': {
      const id = p.get('AccessKeyId');
      const u = [...users.values()].find((x) => x.keys.some((k) => k.id === id));
      if (!u) throw new IamFault(404, 'NoSuchEntity', 'The access key cannot be found.');
      return `${t('UserName', u.name)}<AccessKeyLastUsed>${t('ServiceName', 's3')}${t('Region', 'us-east-1')}${t('LastUsedDate', '2024-05-10T07:58:00Z')}</AccessKeyLastUsed>`;
    }
    case 'GetUser':
      return `<User>${userXml(user())}</User>`;
    case 'ListUserPolicies':
      return list('PolicyNames', [...user().policies.keys()].map(esc));
    case 'ListAttachedUserPolicies':
      return list('AttachedPolicies', (user(), []));
    case 'ListGroupsForUser':
      return list('Groups', (user(), []));
    case 'ListMFADevices':
      return list('MFADevices', (user(), []));
    case 'ListAccessKeys': {
      const u = user();
      return list(
        'AccessKeyMetadata',
        u.keys.map(
          (k) =>
            `${t('UserName', u.name)}${t('AccessKeyId', k.id)}${t('Status', k.status)}${t('CreateDate', k.created)}`,
        ),
      );
    }
    case 'UpdateAccessKey': {
      const k = user().keys.find((x) => x.id === p.get('AccessKeyId'));
      if (!k) throw new IamFault(404, 'NoSuchEntity', 'The access key cannot be found.');
      k.status = p.get('Status') as 'Active' | 'Inactive';
      return '';
    }
    case 'GetUserPolicy': {
      const u = user();
      const doc = u.policies.get(p.get('PolicyName') ?? '');
      if (doc === undefined) throw new IamFault(404, 'NoSuchEntity', 'The user policy cannot be found.');
      return `${t('UserName', u.name)}${t('PolicyName', p.get('PolicyName')!)}${t('PolicyDocument', encodeURIComponent(doc))}`;
    }
    case 'PutUserPolicy':
      user().policies.set(p.get('PolicyName')!, p.get('PolicyDocument')!);
      return '';
    case 'DeleteUserPolicy': {
      if (!user().policies.delete(p.get('PolicyName') ?? ''))
        throw new IamFault(404, 'NoSuchEntity', 'The user policy cannot be found.');
      return '';
    }
    case 'GetLoginProfile': {
      const u = user();
      if (!u.loginProfile) throw new IamFault(404, 'NoSuchEntity', `Login Profile for User ${u.name} cannot be found.`);
      return `<LoginProfile>${t('UserName', u.name)}${t('CreateDate', u.loginProfile.created)}${t('PasswordResetRequired', false)}</LoginProfile>`;
    }
    case 'DeleteLoginProfile': {
      const u = user();
      if (!u.loginProfile) throw new IamFault(404, 'NoSuchEntity', `Login Profile for User ${u.name} cannot be found.`);
      delete u.loginProfile;
      return '';
    }
    default:
      throw new IamFault(400, 'InvalidAction', `Could not find operation ${p.get('Action')}`);
  }
}

/** Start the endpoint on 127.0.0.1 (a free port). */
export async function startIamServer(): Promise<IamServer> {
  const users = new Map<string, IamUser>();
  const counts: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const p = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const action = p.get('Action') ?? '?';
      counts[action] = (counts[action] ?? 0) + 1;
      const requestId = randomUUID();
      let status = 200;
      let body: string;
      try {
        const result = handle(users, p);
        body = `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata>${t('RequestId', requestId)}</ResponseMetadata></${action}Response>`;
      } catch (err) {
        const f = err instanceof IamFault ? err : new IamFault(500, 'ServiceFailure', (err as Error).message);
        status = f.status;
        body = `<ErrorResponse xmlns="${NS}"><Error>${t('Type', status < 500 ? 'Sender' : 'Receiver')}${t('Code', f.code)}${t('Message', f.message)}</Error>${t('RequestId', requestId)}</ErrorResponse>`;
      }
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    users,
    counts,
    addUser(name, o = {}) {
      const u: IamUser = {
        name,
        keys: (o.keys ?? []).map((id) => ({ id, status: 'Active', created: '2023-02-01T00:00:00Z' })),
        policies: new Map(),
        ...(o.password ? { loginProfile: { created: '2023-02-01T00:00:00Z' } } : {}),
      };
      users.set(name, u);
      return u;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
