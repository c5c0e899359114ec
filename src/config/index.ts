// The config module's public face: load and validate cryptvm.toml, format its problems, order guests.

export { loadConfig, parseConfig, type LoadOptions, type LoadResult } from './load.js';
export { ConfigError, formatProblem, type ConfigProblem, type Severity } from './problem.js';
export { parseDuration, formatDuration } from './duration.js';
export { topoLayers, guestOrder, type TopoResult } from './graph.js';
export type * from './types.js';
