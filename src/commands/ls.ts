import { Flags } from '@oclif/core';
import { BaseCommand } from './_lib/base';
import { listMachines, type MachineSummary } from '../core/list';
import { parseLsFilters, renderLsFormat, renderLsQuiet, renderLsTable, sortLsRows, type MachineListRow } from '../core/render';

function toRow(s: MachineSummary): MachineListRow {
  return {
    Name: s.name,
    Active: s.active ? '*' : '-',
    ActiveHost: s.active,
    ActiveSwarm: false,
    DriverName: s.driver,
    State: s.state as MachineListRow['State'],
    URL: s.url,
    Swarm: '',
    DockerVersion: s.dockerVersion ? (s.dockerVersion === 'Unknown' || s.dockerVersion.startsWith('v') ? s.dockerVersion : `v${s.dockerVersion}`) : '',
    Error: s.error,
    ResponseTime: s.responseTimeMs,
    Labels: s.labels,
  };
}

export default class Ls extends BaseCommand {
  static summary = 'List machines';
  static examples = ['<%= config.bin %> ls', '<%= config.bin %> ls --filter state=Running --format "{{.Name}} {{.URL}}"'];
  static enableJsonFlag = true;
  static flags = {
    quiet: Flags.boolean({ char: 'q', description: 'Print names only', default: false }),
    filter: Flags.string({ char: 'f', description: 'Filter: driver=, state=, name=, label=k=v, swarm= (repeatable)', multiple: true, multipleNonGreedy: true }),
    format: Flags.string({ description: 'Go template, e.g. "{{.Name}}: {{.URL}}" or "table {{.Name}}\\t{{.State}}"' }),
    timeout: Flags.integer({ char: 't', description: 'Seconds to wait for each machine to answer', default: 10 }),
  };

  async run() {
    const { flags } = await this.parse(Ls);
    const matches = parseLsFilters(flags.filter ?? []);
    const summaries = await listMachines(this.store(flags), { timeoutMs: flags.timeout * 1000, dockerHost: process.env.DOCKER_HOST });
    const rows = sortLsRows(summaries.map(toRow).filter(matches));
    if (this.jsonEnabled()) return rows;
    const text = flags.quiet ? renderLsQuiet(rows) : flags.format ? renderLsFormat(rows, flags.format) : renderLsTable(rows);
    process.stdout.write(text);
    return rows;
  }
}
