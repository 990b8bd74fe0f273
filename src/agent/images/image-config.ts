/** The image configuration (Docker/OCI image config JSON); its sha256 is the image ID. */
export interface RunConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: unknown;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[] | null;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  created: string;
  author?: string;
  comment?: string;
  config: RunConfig;
  container_config?: RunConfig;
  docker_version?: string;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
}

/** The architecture name images use for this machine (amd64, arm64, ...). */
export function goArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[arch] ?? arch;
}
