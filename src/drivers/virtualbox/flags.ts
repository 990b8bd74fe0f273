import type { DriverFlag } from '../driver';

export const DEFAULT_MEMORY_MB = 1024;
export const DEFAULT_CPUS = 1;
export const DEFAULT_DISK_MB = 20000;
/**
 * VirtualBox 6.1.28+ only lets host-only networks live in 192.168.56.0/21 unless
 * /etc/vbox/networks.conf says otherwise, so docker-machine's 192.168.99.1/24 fails there.
 */
export const DEFAULT_HOSTONLY_CIDR = '192.168.56.1/24';
export const DEFAULT_NIC_TYPE = '82540EM';
export const DEFAULT_PROMISC = 'deny';
export const DEFAULT_UI_TYPE = 'headless';

export const NIC_TYPES = ['Am79C970A', 'Am79C973', '82540EM', '82543GC', '82545EM', 'virtio'] as const;
export const PROMISC_MODES = ['deny', 'allow-vms', 'allow-all'] as const;
export const UI_TYPES = ['headless', 'gui', 'sdl', 'separate'] as const;

/** docker-machine's virtualbox flags: same names and environment variables. No SDK is loaded here. */
export const virtualboxFlags: DriverFlag[] = [
  { name: 'virtualbox-memory', description: 'Memory of the VM in MB', type: 'integer', env: 'VIRTUALBOX_MEMORY_SIZE', default: DEFAULT_MEMORY_MB },
  { name: 'virtualbox-cpu-count', description: 'Number of CPUs of the VM (-1: as many as the host has, up to 32)', type: 'integer', env: 'VIRTUALBOX_CPU_COUNT', default: DEFAULT_CPUS },
  { name: 'virtualbox-disk-size', description: 'Size of the VM disk in MB', type: 'integer', env: 'VIRTUALBOX_DISK_SIZE', default: DEFAULT_DISK_MB },
  {
    name: 'virtualbox-boot2docker-url',
    description: 'The boot image (ISO): a path, file:// or http(s):// URL (downloaded once into the store cache); default: <store>/cache/tsos.iso',
    type: 'string',
    env: 'VIRTUALBOX_BOOT2DOCKER_URL',
  },
  { name: 'virtualbox-hostonly-cidr', description: 'Host address and prefix of the host-only network (found or created)', type: 'string', env: 'VIRTUALBOX_HOSTONLY_CIDR', default: DEFAULT_HOSTONLY_CIDR },
  { name: 'virtualbox-hostonly-nictype', description: `Adapter type of the host-only NIC (${NIC_TYPES.join('|')})`, type: 'string', env: 'VIRTUALBOX_HOSTONLY_NIC_TYPE', default: DEFAULT_NIC_TYPE },
  { name: 'virtualbox-hostonly-nicpromisc', description: `Promiscuous mode of the host-only NIC (${PROMISC_MODES.join('|')})`, type: 'string', env: 'VIRTUALBOX_HOSTONLY_NIC_PROMISC', default: DEFAULT_PROMISC },
  { name: 'virtualbox-hostonly-no-dhcp', description: 'Do not add a DHCP server to the host-only network', type: 'boolean', env: 'VIRTUALBOX_HOSTONLY_NO_DHCP', default: false },
  { name: 'virtualbox-nat-nictype', description: `Adapter type of the NAT NIC (${NIC_TYPES.join('|')})`, type: 'string', env: 'VIRTUALBOX_NAT_NICTYPE', default: DEFAULT_NIC_TYPE },
  { name: 'virtualbox-no-share', description: 'Do not share the home folder with the VM', type: 'boolean', env: 'VIRTUALBOX_NO_SHARE', default: false },
  { name: 'virtualbox-share-folder', description: 'Share this folder instead of the home folder, as dir:name', type: 'string', env: 'VIRTUALBOX_SHARE_FOLDER' },
  { name: 'virtualbox-no-dns-proxy', description: 'Do not proxy the VM\'s DNS requests through the host', type: 'boolean', env: 'VIRTUALBOX_NO_DNS_PROXY', default: false },
  { name: 'virtualbox-host-dns-resolver', description: 'Resolve the VM\'s DNS requests with the host\'s resolver', type: 'boolean', env: 'VIRTUALBOX_HOST_DNS_RESOLVER', default: false },
  { name: 'virtualbox-no-vtx-check', description: 'Skip the check for hardware virtualization (VT-x/AMD-V)', type: 'boolean', env: 'VIRTUALBOX_NO_VTX_CHECK', default: false },
  { name: 'virtualbox-ui-type', description: `How the VM is started (${UI_TYPES.join('|')})`, type: 'string', env: 'VIRTUALBOX_UI_TYPE', default: DEFAULT_UI_TYPE },
];
