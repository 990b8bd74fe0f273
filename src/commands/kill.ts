import { powerCommand } from './_lib/power-command';
import { killMachine } from '../core/lifecycle';

export default powerCommand('kill', 'Power off machines at once', killMachine);
