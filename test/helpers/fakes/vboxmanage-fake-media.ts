/** The fake VBoxManage's disks: createmedium (createhd), closemedium, list hdds. Disk files are real (small) files. */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PROGRESS, fail, fileNotFound, newUuid, parseOpts, syntax, type FakeResult, type FakeState } from './vboxmanage-fake-state';

export function createmedium(s: FakeState, args: string[]): FakeResult {
  const rest = ['disk', 'dvd', 'floppy'].includes(args[0]) ? args.slice(1) : args;
  if (args[0] === 'dvd' || args[0] === 'floppy') return syntax('the fake only creates disks');
  const { opts } = parseOpts(rest);
  if (!opts['--filename']) return syntax('Parameters --filename is required');
  const path = resolve(opts['--filename']);
  const sizeMb = Number(opts['--size'] ?? opts['--sizebyte'] ?? NaN);
  if (!Number.isInteger(sizeMb) || sizeMb <= 0) return syntax(`Invalid size '${opts['--size']}'`);
  if (existsSync(path) || s.media.some((m) => m.path === path)) {
    return fail(['Failed to create medium', `Could not create the medium storage unit '${path}'.`, `VDI: cannot create image '${path}' (VERR_ALREADY_EXISTS)`, 'Details: code VBOX_E_FILE_ERROR (0x80bb0004), component MediumWrap, interface IMedium']);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '<<< Oracle VM VirtualBox Disk Image >>>\n');
  const uuid = newUuid();
  s.media.push({ uuid, path, sizeMb, format: (opts['--format'] ?? 'VDI').toUpperCase() });
  return { code: 0, stdout: `Medium created. UUID: ${uuid}\n`, stderr: PROGRESS };
}

export function closemedium(s: FakeState, args: string[]): FakeResult {
  const rest = ['disk', 'dvd', 'floppy'].includes(args[0]) ? args.slice(1) : args;
  const { opts, positional } = parseOpts(rest, ['--delete']);
  const target = positional[0] ?? '';
  const medium = s.media.find((m) => m.uuid === target.replace(/[{}]/g, '').toLowerCase() || m.path === resolve(target));
  const path = medium?.path ?? resolve(target);
  if (!medium && !existsSync(path)) return fileNotFound(path);
  const users = s.vms.filter((v) => v.attachments.some((a) => a.medium === path));
  if (users.length > 0) {
    return fail([`Medium '${path}' cannot be closed because it is still attached to ${users.length} virtual machines`, 'Details: code VBOX_E_OBJECT_IN_USE (0x80bb000c), component MediumWrap, interface IMedium']);
  }
  s.media = s.media.filter((m) => m !== medium);
  if (opts['--delete']) rmSync(path, { force: true });
  return { code: 0, stdout: '', stderr: opts['--delete'] ? PROGRESS : '' };
}

export function listHdds(s: FakeState): FakeResult {
  const blocks = s.media.map((m) => [`UUID:           ${m.uuid}`, 'Parent UUID:    base', 'State:          created', 'Type:           normal (base)', `Location:       ${m.path}`, `Storage format: ${m.format}`, `Capacity:       ${m.sizeMb} MBytes`, 'Encryption:     disabled'].join('\n'));
  return { code: 0, stdout: blocks.length ? `${blocks.join('\n\n')}\n\n` : '', stderr: '' };
}
