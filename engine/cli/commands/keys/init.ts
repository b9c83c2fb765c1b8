import { Flags } from '@oclif/core';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Codes, ExitCode, IrunError } from '../../../errors.js';
import { generateKeyPair } from '../../../run/integrity.js';
import { BaseCommand } from '../../base.js';

export default class KeysInit extends BaseCommand {
  static override summary =
    'Write an Ed25519 key pair for signing run journals (--sign-key) and checking them (verify --public-key).';
  static override description = `The private key signs the journal head at every decision and change of a run, and at its end.
Keep it where only the responders' machines (or a secrets manager) can read it; give the public key to whoever audits runs:
with it, 'irun verify' proves that the journal was written by a holder of the private key and not changed since.`;
  static override examples = ['<%= config.bin %> keys init --out ~/.irun/keys'];
  static override enableJsonFlag = true;
  static override flags = {
    out: Flags.string({
      description: 'Folder for irun-sign.key (private) and irun-sign.pub (public).',
      default: '.irun/keys',
    }),
    name: Flags.string({ description: 'File name stem.', default: 'irun-sign' }),
    force: Flags.boolean({ description: 'Overwrite an existing key pair.' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(KeysInit);
    if (!/^[A-Za-z0-9._-]+$/.test(flags.name))
      throw new IrunError(Codes.USAGE, `--name '${flags.name}' may hold only letters, digits, '.', '_' and '-'`, {
        exit: ExitCode.USAGE,
      });
    const privateFile = path.join(flags.out, `${flags.name}.key`);
    const publicFile = path.join(flags.out, `${flags.name}.pub`);
    for (const f of [privateFile, publicFile])
      if (existsSync(f) && !flags.force)
        throw new IrunError(Codes.FILE_EXISTS, `${f} exists; a new key would orphan the runs signed with it`, {
          exit: ExitCode.USAGE,
          suggestions: ['use --force to replace it, or --out/--name for another pair'],
        });
    const pair = generateKeyPair();
    try {
      mkdirSync(flags.out, { recursive: true, mode: 0o700 });
      writeFileSync(privateFile, pair.privateKey, { mode: 0o600 });
      writeFileSync(publicFile, pair.publicKey, { mode: 0o644 });
    } catch (err) {
      throw new IrunError(Codes.WRITE_FAILED, `cannot write the key pair to ${flags.out}: ${(err as Error).message}`, {
        exit: ExitCode.FAILED,
      });
    }
    if (!this.jsonEnabled()) {
      const c = this.color;
      this.log(`${c.green('✔')} key ${pair.keyId}`);
      this.log(
        `  private: ${privateFile}  (mode 600) — on the responders' machines only; sign with --sign-key ${privateFile}`,
      );
      this.log(
        `  public:  ${publicFile}  — give to auditors; check with irun verify <run-id> --public-key ${publicFile}`,
      );
    }
    return { keyId: pair.keyId, privateKey: privateFile, publicKey: publicFile };
  }
}
