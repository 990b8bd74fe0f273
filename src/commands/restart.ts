import { powerCommand } from './_lib/power-command';
import { restartMachine } from '../core/lifecycle';

export default powerCommand('restart', 'Restart machines', restartMachine);
