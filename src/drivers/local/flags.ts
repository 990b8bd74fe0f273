import type { DriverFlag } from '../driver';

export const DEFAULT_BRIDGE = 'tsm0';
export const DEFAULT_SUBNET = '10.213.0.0/24';

/** Flags of the local driver: `--local-<name>`, each with `TSMACHINE_LOCAL_<NAME>`. */
export const localFlags: DriverFlag[] = [
  {
    name: 'local-bridge',
    description: 'Host bridge the machines are attached to (created if missing)',
    type: 'string',
    env: 'TSMACHINE_LOCAL_BRIDGE',
    default: DEFAULT_BRIDGE,
  },
  {
    name: 'local-subnet',
    description: 'IPv4 subnet of the bridge; the first address is the bridge (gateway), machines get the next free ones',
    type: 'string',
    env: 'TSMACHINE_LOCAL_SUBNET',
    default: DEFAULT_SUBNET,
  },
  {
    name: 'local-nat',
    description: 'Let the machine reach beyond this host (outbound NAT through the host); off by default: traffic stays on the box',
    type: 'boolean',
    env: 'TSMACHINE_LOCAL_NAT',
    default: false,
  },
  {
    name: 'local-memory',
    description: 'Memory limit of the machine in MB (cgroup); unlimited when not given',
    type: 'integer',
    env: 'TSMACHINE_LOCAL_MEMORY',
  },
  {
    name: 'local-cpus',
    description: 'CPU limit of the machine in CPUs, fractions allowed (e.g. 1.5; cgroup CFS quota); unlimited when not given',
    type: 'string',
    env: 'TSMACHINE_LOCAL_CPUS',
  },
];
