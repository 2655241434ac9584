// The library: start a switch from a config object, read it, change it, stop it.
export { SwitchInstance, plan } from "./dataplane/instance.js";
export { validateConfig, loadConfigFile, type Config } from "./control/config.js";
