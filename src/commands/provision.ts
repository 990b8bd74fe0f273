import { powerCommand } from './_lib/power-command';
import { reprovisionMachine } from '../core/reprovision';

export default powerCommand('provision', 'Provision existing machines again (agent, certificates, service)', (store, name, o) =>
  reprovisionMachine(store, name, { progress: o.progress!, signal: o.signal }),
);
