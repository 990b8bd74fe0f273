import { powerCommand } from './_lib/power-command';
import { startMachine } from '../core/lifecycle';

export default powerCommand('start', 'Start machines', startMachine);
