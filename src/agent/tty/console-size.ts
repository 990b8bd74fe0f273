import type { ContainerRecord } from '../containers/types';

/**
 * The client's terminal size at create time (`HostConfig.ConsoleSize`, [rows, cols], sent by
 * the CLI since API 1.42) becomes the OCI `process.consoleSize` of a TTY container, so its
 * first prompt already fits; later changes come through POST /containers/{id}/resize.
 */
export function applyConsoleSize(spec: Record<string, unknown>, rec: ContainerRecord): void {
  const size = rec.HostConfig.ConsoleSize;
  const proc = spec.process as Record<string, unknown> | undefined;
  if (!rec.Config.Tty || !proc || !Array.isArray(size) || size.length !== 2) return;
  const [height, width] = size.map(Number);
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0 || height > 1000 || width > 1000) return;
  proc.consoleSize = { height, width };
}
