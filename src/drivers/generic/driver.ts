import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { TsmError } from '../../core/errors';
import { MACHINE_FILES } from '../../core/machine';
import type { Driver, DriverContext, MachineState, SshEndpoint } from '../driver';
import type { GenericConfig } from './config';
import type { GenericApi } from './api';

/**
 * An existing host reached over SSH. tsmachine does not own the host: create/remove do not
 * make or destroy it, and `remove` only forgets it. Power operations run over SSH (stop powers
 * it off; tsmachine cannot power it on again: `start` only checks that it answers).
 */
export class GenericDriver implements Driver {
  constructor(
    private readonly ctx: DriverContext<GenericConfig>,
    private readonly api: GenericApi,
  ) {}

  private get knownHosts(): string {
    return join(this.ctx.dir, MACHINE_FILES.knownHosts);
  }

  async preCreateCheck(): Promise<void> {
    try {
      await access(this.ctx.config.sshKeyPath, constants.R_OK);
    } catch {
      throw new TsmError('PRECREATE_FAILED', `SSH key ${this.ctx.config.sshKeyPath} cannot be read`, {
        suggestion: 'give a readable private key with --generic-ssh-key',
      });
    }
  }

  async create(): Promise<void> {
    // Nothing to create: the host exists. Reachability is checked by the SSH wait that follows.
  }

  async start(): Promise<void> {
    // The host is not ours to power on: if it answers, it is started.
    if ((await this.state()) !== 'Running') {
      throw new TsmError('DRIVER_ERROR', `host ${this.ctx.config.ipAddress} does not answer on SSH port ${this.ctx.config.sshPort}`, {
        suggestion: 'power the host on by the means you manage it with, then run the command again',
      });
    }
  }

  async stop(): Promise<void> {
    await this.api.runOverSsh(await this.sshEndpoint(), this.knownHosts, 'poweroff');
  }

  async restart(): Promise<void> {
    await this.api.runOverSsh(await this.sshEndpoint(), this.knownHosts, 'reboot');
  }

  async kill(): Promise<void> {
    await this.api.runOverSsh(await this.sshEndpoint(), this.knownHosts, 'poweroff -f');
  }

  async remove(): Promise<void> {
    // Forgetting the host is all: it was never ours.
  }

  async state(): Promise<MachineState> {
    const c = this.ctx.config;
    return (await this.api.tcpReachable(c.ipAddress, c.sshPort, 3000)) ? 'Running' : 'Stopped';
  }

  async ip(): Promise<string> {
    return this.ctx.config.ipAddress;
  }

  async sshEndpoint(): Promise<SshEndpoint> {
    const c = this.ctx.config;
    return { host: c.ipAddress, port: c.sshPort, user: c.sshUser, privateKeyPath: c.sshKeyPath };
  }

  async addresses(): Promise<string[]> {
    return [this.ctx.config.ipAddress];
  }
}
