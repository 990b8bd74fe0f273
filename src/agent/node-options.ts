/**
 * How node runs tsagent, on hosts (systemd unit, OpenRC script, boot hook) and in the tests and
 * benches alike: a 1 MB young generation and at most two malloc arenas keep the agent's resident
 * memory about 4 MB lower once it has done some work (59 vs 63 MB after an import and three runs,
 * Node 20), for an engine that mostly waits on I/O.
 */
export const AGENT_NODE_ARGS: readonly string[] = Object.freeze(['--max-semi-space-size=1']);
export const AGENT_NODE_ENV: ReadonlyArray<readonly [string, string]> = Object.freeze([['MALLOC_ARENA_MAX', '2']] as const);
