import { errorMessage, TsmError } from '../../core/errors';
import type { DriverContext } from '../driver';
import type { GceInstance, GoogleApi } from './api';
import type { GoogleConfig } from './config';
import type { GceWaits } from './waits';

const SSH_KEYS = 'ssh-keys';

function keyLines(i: GceInstance): string[] {
  const v = i.metadata.find((m) => m.key === SSH_KEYS)?.value ?? '';
  return v.split('\n').filter((l) => l.trim() !== '');
}

function withKeys(i: GceInstance, lines: string[]): Array<{ key: string; value: string }> {
  const rest = i.metadata.filter((m) => m.key !== SSH_KEYS);
  return lines.length > 0 ? [...rest, { key: SSH_KEYS, value: lines.join('\n') }] : rest;
}

/**
 * --google-use-existing: the instance is the user's. tsmachine adds its SSH key and its network
 * tags (recorded), and `release` takes exactly those away again; the instance is never deleted.
 */
export class ExistingInstance {
  constructor(
    private readonly api: GoogleApi,
    private readonly ctx: DriverContext<GoogleConfig>,
    private readonly waits: GceWaits,
    private readonly name: string,
  ) {}

  private get c(): GoogleConfig {
    return this.ctx.config;
  }

  private async get(): Promise<GceInstance | undefined> {
    return this.api.getInstance(this.c.zone, this.name);
  }

  /** Adds the machine's key to the ssh-keys metadata and `tags` to the instance. */
  async adopt(user: string, tags: string[]): Promise<void> {
    let i = await this.get();
    if (!i) throw new TsmError('DRIVER_ERROR', `instance ${this.name} was not found in zone ${this.c.zone}`, { suggestion: 'drop --google-use-existing to create it' });
    const line = `${user}:${this.ctx.sshPublicKey.trim()}`;
    if (!keyLines(i).includes(line)) {
      this.c.resources.sshKey = line;
      await this.ctx.save();
      const op = await this.api.setInstanceMetadata(this.c.zone, this.name, i.metadataFingerprint, withKeys(i, [...keyLines(i), line]));
      await this.waits.operation(op, `SSH key to be added to instance ${this.name}`);
      i = (await this.get()) ?? i;
    }
    this.waits.checkAbort();
    const missing = tags.filter((t) => !i!.tags.includes(t));
    if (missing.length > 0) {
      this.c.resources.tags = missing;
      await this.ctx.save();
      const op = await this.api.setInstanceTags(this.c.zone, this.name, i.tagsFingerprint, [...i.tags, ...missing]);
      await this.waits.operation(op, `network tags to be added to instance ${this.name}`);
    }
  }

  /** Removes what `adopt` added. Returns a failure line, or undefined. */
  async release(): Promise<string | undefined> {
    const r = this.c.resources;
    if (!r.sshKey && !r.tags) return undefined;
    const waits = this.waits.uninterruptible();
    try {
      let i = await this.get();
      if (i && r.sshKey) {
        const keep = keyLines(i).filter((l) => l !== r.sshKey);
        const op = await this.api.setInstanceMetadata(this.c.zone, this.name, i.metadataFingerprint, withKeys(i, keep));
        await waits.operation(op, `SSH key to be removed from instance ${this.name}`);
        i = await this.get();
      }
      delete r.sshKey;
      await this.ctx.save();
      if (i && r.tags) {
        const added = r.tags;
        const op = await this.api.setInstanceTags(this.c.zone, this.name, i.tagsFingerprint, i.tags.filter((t) => !added.includes(t)));
        await waits.operation(op, `network tags to be removed from instance ${this.name}`);
      }
      delete r.tags;
      await this.ctx.save();
      return undefined;
    } catch (e) {
      return `SSH key / network tags added to instance projects/${this.c.project}/zones/${this.c.zone}/instances/${this.name}: ${errorMessage(e)}`;
    }
  }
}
