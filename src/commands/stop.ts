import { powerCommand } from './_lib/power-command';
import { stopMachine } from '../core/lifecycle';

export default powerCommand('stop', 'Stop machines gracefully', stopMachine);
