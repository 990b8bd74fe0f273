import { tcpReachable } from '../../core/tcp-reachable';
import type { SshEndpoint } from '../driver';

/** The few host operations the generic driver needs. */
export interface GenericApi {
  /** True when a TCP connection to host:port opens within timeoutMs. */
  tcpReachable(host: string, port: number, timeoutMs: number): Promise<boolean>;
  /** Runs a command as root on the host (sudo when the user is not root), checking the pinned host key. */
  runOverSsh(endpoint: SshEndpoint, knownHostsPath: string, command: string): Promise<void>;
}

export const realGenericApi: GenericApi = {
  tcpReachable,
  async runOverSsh(endpoint, knownHostsPath, command) {
    const { SshClient } = await import('../../provision/ssh-client');
    const ssh = await SshClient.connect({ ...endpoint, knownHostsPath, timeoutMs: 15000 });
    try {
      // The connection drops as the host powers off; that is success.
      await ssh.exec(command, { sudo: true }).catch(() => undefined);
    } finally {
      ssh.close();
    }
  },
};
