import { TsmError, errorMessage } from '../../core/errors';

/**
 * Runs `fn` for each machine in turn; one failure does not stop the others, and the error at the
 * end names every machine that failed (docker-machine's behaviour for start/stop/rm of several).
 */
export async function forEachMachine(names: string[], fn: (name: string) => Promise<void>): Promise<void> {
  const failures: { name: string; error: unknown }[] = [];
  for (const name of names) {
    try {
      await fn(name);
    } catch (error) {
      failures.push({ name, error });
    }
  }
  if (failures.length === 0) return;
  if (failures.length === 1 && failures[0].error instanceof TsmError) throw failures[0].error;
  const first = failures.find((f) => f.error instanceof TsmError)?.error as TsmError | undefined;
  throw new TsmError(first?.code ?? 'DRIVER_ERROR', failures.map((f) => `${f.name}: ${errorMessage(f.error)}`).join('\n'), {
    suggestion: first?.suggestion,
  });
}
