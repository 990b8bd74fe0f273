import { BaseCommand } from './_lib/base';
import { activeMachine } from '../core/list';
import { TsmError } from '../core/errors';

export default class Active extends BaseCommand {
  static summary = 'Print the machine DOCKER_HOST points at';
  static enableJsonFlag = true;

  async run() {
    const { flags } = await this.parse(Active);
    const name = await activeMachine(this.store(flags), process.env.DOCKER_HOST);
    if (!name) {
      throw new TsmError('MACHINE_NOT_FOUND', 'no active host found', {
        suggestion: 'point DOCKER_HOST at a machine with "eval $(tsmachine env NAME)"',
      });
    }
    this.log(name);
    return { name };
  }
}
