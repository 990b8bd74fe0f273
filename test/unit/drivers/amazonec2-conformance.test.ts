import { runDriverConformance } from '../../helpers/conformance/driver-conformance';
import { FakeEc2 } from '../../helpers/fakes/amazonec2-fake';
import { definition } from '../../../src/drivers/amazonec2';
import { Amazonec2Driver } from '../../../src/drivers/amazonec2/driver';
import { FAST } from '../../helpers/fakes/amazonec2-fake';

runDriverConformance({
  name: 'amazonec2',
  definition,
  validFlags: { 'amazonec2-region': 'us-east-1', 'amazonec2-zone': 'a', 'amazonec2-instance-type': 't3.micro' },
  badFlags: [
    { flags: { 'amazonec2-region': 'mars-north-1' }, mentions: /region/ },
    { flags: { 'amazonec2-region': 'not a region' }, mentions: /region/ },
    { flags: { 'amazonec2-zone': 'z' }, mentions: /zone/ },
    { flags: { 'amazonec2-zone': 'e' }, mentions: /zone/ },
    { flags: { 'amazonec2-instance-type': 't3.gigantic' }, mentions: /instance-type/ },
    { flags: { 'amazonec2-instance-type': 'mac2.metal' }, mentions: /instance-type/ },
    { flags: { 'amazonec2-ami': 'ami-00000000000000dead' }, mentions: /--amazonec2-ami/ },
    { flags: { 'amazonec2-ami': 'ami-0b1000000000000b1' }, mentions: /--amazonec2-ami.*arm64/ },
    { flags: { 'amazonec2-subnet-id': 'subnet-00000000dead' }, mentions: /subnet/ },
    { flags: { 'amazonec2-vpc-id': 'vpc-00000000dead' }, mentions: /vpc-id/ },
    { flags: { 'amazonec2-security-group': 'sg-00000000dead' }, mentions: /security-group/ },
    { flags: { 'amazonec2-keypair-name': 'nope' }, mentions: /keypair-name/ },
    { flags: { 'amazonec2-tags': 'a,b,c' }, mentions: /tags/ },
    { flags: { 'amazonec2-open-port': ['80/icmp'] }, mentions: /open-port/ },
    { flags: { 'amazonec2-root-size': 'big' }, mentions: /root-size/ },
    { flags: { 'amazonec2-access-key': 'AKIDEXAMPLE' }, mentions: /secret-key/ },
  ],
  newFake: () => new FakeEc2(),
  makeDriver: (ctx, fake) => new Amazonec2Driver(ctx, { api: fake.api(ctx.config.region), ...FAST }),
});
