import { runDriverConformance } from '../../helpers/conformance/driver-conformance';
import { DigitalOceanFake } from '../../helpers/fakes/digitalocean-fake';
import { definition } from '../../../src/drivers/digitalocean';
import { DigitalOceanDriver } from '../../../src/drivers/digitalocean/driver';
import type { DriverContext } from '../../../src/drivers/driver';
import type { DigitalOceanConfig } from '../../../src/drivers/digitalocean/config';

const fast = { sleep: async () => undefined, pollMs: 1, timeouts: { actionMs: 2000, statusMs: 2000 } };
const makeDriver = (ctx: DriverContext<DigitalOceanConfig>, fake: DigitalOceanFake) => new DigitalOceanDriver(ctx, { api: fake, ...fast });

runDriverConformance({
  name: 'digitalocean',
  definition,
  validFlags: { 'digitalocean-access-token': 'dop_v1_fake' },
  badFlags: [
    { flags: { 'digitalocean-access-token': '' }, mentions: /access-token/ },
    { flags: { 'digitalocean-region': 'moon1' }, mentions: /region/ },
    { flags: { 'digitalocean-region': 'nyc2' }, mentions: /region/ },
    { flags: { 'digitalocean-size': 's-64vcpu-1tb' }, mentions: /size/ },
    { flags: { 'digitalocean-size': 'g-2vcpu-8gb' }, mentions: /size.*nyc3/ },
    { flags: { 'digitalocean-image': 'ubuntu-10-04-x64' }, mentions: /image/ },
    { flags: { 'digitalocean-ssh-key-fingerprint': '3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa' }, mentions: /ssh-key-path/ },
  ],
  newFake: () => new DigitalOceanFake(),
  makeDriver,
});

runDriverConformance({
  name: 'digitalocean (cloud firewall, swarm)',
  definition,
  validFlags: { 'digitalocean-access-token': 'dop_v1_fake', 'digitalocean-firewall': true, swarm: true, 'digitalocean-open-port': ['80'] },
  badFlags: [],
  newFake: () => new DigitalOceanFake({ creationCalls: ['keys.create', 'droplets.create', 'firewalls.create'] }),
  makeDriver,
});
