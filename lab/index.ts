// The lab library in one import: namespaces, topologies, kernel vxlan peers, vxswitch processes,
// captures and traffic. Typical use:
//   const lab = await Lab.create({ hosts: 2 });             // vxs-<pid>-<n>-{sw,h1,h2,h1c0,h2c0}
//   await addKernelVxlan(lab.host(2).ns, { vni: 42, local: "198.18.0.2", remotes: ["198.18.0.1"] });
//   const vx = await VxswitchProcess.start(lab.host(1).ns, { local: "198.18.0.1", remotes: ["198.18.0.2"], vni: 42, tap: "vxtap42", bridge: "br0" });
//   const result = await ping(lab.container(1).ns, lab.container(2).address);
//   await vx.stop(); await lab.destroy();                     // cleanupAll() also runs on exit/SIGINT
export * from "./capture.js";
export * from "./fuzz.js";
export * from "./kernel-vxlan.js";
export * from "./mesh.js";
export * from "./netns.js";
export * from "./topology.js";
export * from "./traffic.js";
export * from "./vxswitch-process.js";
