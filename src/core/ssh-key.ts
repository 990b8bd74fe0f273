import { utils } from 'ssh2';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write';
import { MACHINE_FILES } from './machine';

/**
 * Generates the machine's own SSH key (ed25519, OpenSSH format) in its folder:
 * id_ed25519 (0600) and id_ed25519.pub. Returns the public key line.
 */
export async function generateMachineKey(machineDir: string, comment: string): Promise<string> {
  const pair = utils.generateKeyPairSync('ed25519', { comment });
  await writeFileAtomic(join(machineDir, MACHINE_FILES.sshKey), pair.private, 0o600);
  await writeFileAtomic(join(machineDir, MACHINE_FILES.sshPublicKey), `${pair.public}\n`, 0o600);
  return pair.public;
}

export async function readMachinePublicKey(machineDir: string): Promise<string> {
  return (await readFile(join(machineDir, MACHINE_FILES.sshPublicKey), 'utf8')).trim();
}
