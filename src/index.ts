// The library: start a switch from a config object, read its status, FDB and counters, add and remove
// peers and FDB entries, reload, stop. `vxswitch up` and the control socket use exactly this.
export { Switch, type StartOptions, type FdbTarget } from "./api/switch.js";
export type { FdbRow } from "./api/fdb-rows.js";
export type { SwitchCounters } from "./api/counters.js";
export type { InstanceStatus as SwitchStatus } from "./dataplane/status.js";
export type { ReloadResult } from "./control/reload.js";
export { ConfigError, loadConfigFile, validateConfig, type Config } from "./control/config.js";
export { plan, type Plan } from "./control/plan.js";
