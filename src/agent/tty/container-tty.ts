import type { Duplex } from 'node:stream';
import type { Engine } from '../engine';
import type { ContainerRecord } from '../containers/types';
import { nextEvent } from '../containers/lifecycle';
import { badRequest } from '../http/api-error';
import { DetachKeysError, parseDetachKeys } from './detach-keys';
import { forwardTtyInput } from './tty-input';
import { socatBin } from './attach-relay';

/** Parses a client's detach keys, as a 400 naming the problem when they are invalid. */
export function detachKeysOr400(spec: string | null | undefined): number[] {
  try {
    return parseDetachKeys(spec);
  } catch (e) {
    if (e instanceof DetachKeysError) throw badRequest(e.message);
    throw e;
  }
}

/** Whether an attach with these flags sends keyboard input into the container's TTY. */
export function wantsTtyInput(rec: ContainerRecord, stdin: boolean): boolean {
  return stdin && !!rec.Config.Tty && !!rec.Config.OpenStdin;
}

/** Throws a 500 naming the missing package before the connection is taken over. */
export function checkTtyInputAvailable(): void {
  socatBin();
}

/**
 * `POST /containers/{id}/attach?stdin=1` on a TTY container: keyboard input goes to the pty
 * through conmon's attach socket, now or when the container starts. The detach sequence
 * calls `onDetach` (the caller ends the attach; the container keeps running).
 */
export function attachContainerTty(engine: Engine, rec: ContainerRecord, sock: Duplex, o: { detachKeys: number[]; onDetach(): void; signal: AbortSignal }): void {
  const running = engine.containers.find(rec.Id)?.State.Running;
  const ready = running ? Promise.resolve(true) : nextEvent(engine, 'start', rec.Id, -1, o.signal).then((v) => v !== undefined);
  forwardTtyInput(sock, {
    socketDir: engine.paths.container(rec.Id).sockLink,
    detachKeys: o.detachKeys,
    ready,
    onDetach: o.onDetach,
    signal: o.signal,
    onError: (m) => engine.log.debug('tty input relay ended', { id: rec.Id.slice(0, 12), message: m }),
  });
}
