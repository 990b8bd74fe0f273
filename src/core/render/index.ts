/** Pure rendering for the CLI: env exports, Go templates, ls table/filters, inspect, tabwriter. */
export * from './env-render';
export * from './format-list';
export * from './go-template';
export * from './inspect-render';
export * from './ls-filter';
export * from './ls-table';
export * from './tabwriter';
