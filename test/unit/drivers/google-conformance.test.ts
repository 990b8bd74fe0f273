import { runDriverConformance } from '../../helpers/conformance/driver-conformance';
import { GoogleFake } from '../../helpers/fakes/google-fake';
import { definition } from '../../../src/drivers/google';
import { GoogleDriver } from '../../../src/drivers/google/driver';
import type { DriverContext } from '../../../src/drivers/driver';
import type { GoogleConfig } from '../../../src/drivers/google/config';

const fast = { sleep: async () => undefined, pollMs: 1, timeouts: { operationMs: 2000, statusMs: 2000 } };
const makeDriver = (ctx: DriverContext<GoogleConfig>, fake: GoogleFake) => new GoogleDriver(ctx, { api: fake, ...fast });

const badFlags = [
  { flags: { 'google-project': '' }, mentions: /google-project/ },
  { flags: { 'google-zone': 'mars-north1-z' }, mentions: /zone/ },
  { flags: { 'google-machine-type': 'e9-colossal' }, mentions: /machine.type/ },
  { flags: { 'google-machine-image': 'projects/ubuntu-os-cloud/global/images/family/ubuntu-1004-lts' }, mentions: /machine-image/ },
  { flags: { 'google-open-port': ['http'] }, mentions: /open-port/ },
  { flags: { 'google-disk-size': 2 }, mentions: /disk-size/ },
];

runDriverConformance({
  name: 'google',
  definition,
  validFlags: { 'google-project': 'tsm-test-project' },
  badFlags,
  newFake: () => new GoogleFake(),
  makeDriver,
});

// Every kind of plumbing at once: a static address reserved for the machine, the shared rule,
// and the machine's own rule for the swarm and --google-open-port ports.
runDriverConformance({
  name: 'google (static address, swarm, open port)',
  definition,
  validFlags: { 'google-project': 'tsm-test-project', 'google-address': 'tsm-ip', swarm: true, 'google-open-port': ['8080', '53/udp'] },
  badFlags: [],
  newFake: () => new GoogleFake({ creationCalls: ['addresses.insert', 'instances.insert', 'firewalls.insert'] }),
  makeDriver,
});
