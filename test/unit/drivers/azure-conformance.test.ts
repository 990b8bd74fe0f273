import { runDriverConformance } from '../../helpers/conformance/driver-conformance';
import { AzureFake, FAKE_SUBSCRIPTION, fastSleep } from '../../helpers/fakes/azure-fake';
import { definition } from '../../../src/drivers/azure';
import { AzureDriver } from '../../../src/drivers/azure/driver';

runDriverConformance({
  name: 'azure',
  definition,
  validFlags: { 'azure-subscription-id': FAKE_SUBSCRIPTION },
  badFlags: [
    { flags: { 'azure-location': 'atlantis1' }, mentions: /--azure-location/ },
    { flags: { 'azure-size': 'Standard_Z99' }, mentions: /--azure-size/ },
    { flags: { 'azure-image': 'canonical:ubuntu-99_04-lts:server:latest' }, mentions: /--azure-image/ },
    { flags: { 'azure-location': 'West US!' }, mentions: /--azure-location/ },
    { flags: { 'azure-subscription-id': undefined }, mentions: /--azure-subscription-id/ },
    { flags: { 'azure-environment': 'AzureGermanCloud' }, mentions: /--azure-environment/ },
  ],
  newFake: () => new AzureFake(),
  makeDriver: (ctx, fake) => new AzureDriver(ctx, { api: fake, sleep: fastSleep, pollMs: 1 }),
});
