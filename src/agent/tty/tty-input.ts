import type { Duplex } from 'node:stream';
import { AttachRelay } from './attach-relay';
import { DetachScanner } from './detach-keys';

export interface TtyInputOptions {
  /** Folder holding conmon's attach socket (for containers: `<exec-root>/socks/<id12>`). */
  socketDir: string;
  /** Detach sequence (parsed); empty to disable. */
  detachKeys: number[];
  /**
   * Resolves when conmon's socket can be used: at once for a running container, at its start
   * for an attach that came first (`docker start -ai`). Resolves false when it never will.
   */
  ready: Promise<boolean>;
  /** Called once when the client typed the detach sequence. */
  onDetach(): void;
  /** Ends the session (the run ended or the client went away). */
  signal: AbortSignal;
  onError?(message: string): void;
}

/** At most this much typed input waits for the container to start. */
const MAX_PENDING = 1 << 20;

/**
 * Copies a hijacked client connection's input into a TTY owned by conmon, through an
 * AttachRelay, watching for the detach sequence. Input that arrives before the container
 * runs is kept (up to 1 MiB) and sent when it starts. The client's half-close ends the
 * relay only: a TTY's input stays open for the next attach, as with dockerd.
 */
export function forwardTtyInput(sock: Duplex, o: TtyInputOptions): void {
  const scanner = new DetachScanner(o.detachKeys);
  let relay: AttachRelay | undefined;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let inputEnded = false;
  const send = (data: Buffer) => {
    if (data.length === 0) return;
    if (!relay) {
      if (pendingBytes + data.length <= MAX_PENDING) { pending.push(data); pendingBytes += data.length; }
      return;
    }
    if (!relay.write(data, () => sock.resume())) sock.pause();
  };
  sock.on('data', (d: Buffer) => {
    if (scanner.detached) return;
    send(scanner.push(d));
    if (scanner.detached) o.onDetach();
  });
  // Reading an upgraded request's body pauses the connection explicitly: flow again.
  sock.resume();
  sock.on('end', () => {
    inputEnded = true;
    send(scanner.flush());
    relay?.end();
  });
  const stop = () => relay?.end();
  o.signal.addEventListener('abort', stop, { once: true });
  void o.ready.then((ok) => {
    if (!ok || o.signal.aborted) return;
    relay = new AttachRelay(o.socketDir);
    void relay.exited.then(() => { if (relay?.stderr && !o.signal.aborted) o.onError?.(relay.stderr.trim()); });
    const queued = pending;
    pending = [];
    pendingBytes = 0;
    for (const b of queued) send(b);
    if (inputEnded || o.signal.aborted) relay.end();
  }, () => undefined);
}
