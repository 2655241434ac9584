// etcd for lab runs: members inside a lab namespace on lab addresses, data in a temp dir, a throwaway CA for TLS.
import { join } from "node:path";
import { ipIn, labTempDir, run, spawnIn, type NsProcess } from "./netns.js";
import { assertUnderlayAddress, UNDERLAY_BRIDGE } from "./topology.js";

export const ETCD_BINARY = "/usr/bin/etcd";
const CLIENT_PORT = 2379;
const PEER_PORT = 2380;

/** Files of a throwaway CA, a server certificate for the members' addresses and a client certificate. */
export interface EtcdTlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by another CA: etcd must refuse it. */
  strangerCert: string;
  strangerKey: string;
}

/** Makes a CA, a server certificate (SAN: the addresses) and client certificates with openssl in a temp dir. */
export async function makeEtcdCertificates(addresses: readonly string[]): Promise<EtcdTlsFiles> {
  const dir = labTempDir();
  const f = (name: string): string => join(dir, name);
  const openssl = (args: string[]): Promise<string> => run(["openssl", ...args]);
  const ca = async (name: string): Promise<void> => {
    await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", f(`${name}.key`), "-out", f(`${name}.crt`)]);
  };
  const leaf = async (name: string, signer: string, ext: string): Promise<void> => {
    await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", `/CN=${name}`, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`)]);
    await run(["sh", "-c", `printf '%s\\n' '${ext}' > ${f(`${name}.ext`)}`]);
    await openssl(["x509", "-req", "-in", f(`${name}.csr`), "-CA", f(`${signer}.crt`), "-CAkey", f(`${signer}.key`), "-CAcreateserial", "-days", "2", "-extfile", f(`${name}.ext`), "-out", f(`${name}.crt`)]);
  };
  await ca("ca");
  await ca("stranger-ca");
  await leaf("server", "ca", `subjectAltName=${addresses.map((a) => `IP:${a}`).join(",")}\nextendedKeyUsage=serverAuth,clientAuth`);
  await leaf("client", "ca", "extendedKeyUsage=clientAuth");
  await leaf("stranger", "stranger-ca", "extendedKeyUsage=clientAuth");
  return {
    ca: f("ca.crt"), serverCert: f("server.crt"), serverKey: f("server.key"), clientCert: f("client.crt"), clientKey: f("client.key"),
    strangerCert: f("stranger.crt"), strangerKey: f("stranger.key"),
  };
}

export interface EtcdClusterOptions {
  /** Namespace the members run in (e.g. the lab's switch namespace), and the bridge to put their addresses on. */
  ns: string;
  bridge?: string;
  /** One member per address (198.18.x.y), e.g. ["198.18.0.250"] or three for a cluster. */
  addresses: readonly string[];
  /** Serve clients over TLS and require client certificates signed by tls.ca. */
  tls?: EtcdTlsFiles;
}

interface Member {
  name: string;
  address: string;
  dataDir: string;
  proc: NsProcess | undefined;
}

/** A one- or three-member etcd inside a lab namespace; stop and restart members to test outages. */
export class EtcdCluster {
  private constructor(private readonly opts: EtcdClusterOptions, private readonly members: Member[]) {}

  static async start(opts: EtcdClusterOptions): Promise<EtcdCluster> {
    opts.addresses.forEach(assertUnderlayAddress);
    for (const a of opts.addresses) await ipIn(opts.ns, ["addr", "add", `${a}/24`, "dev", opts.bridge ?? UNDERLAY_BRIDGE]);
    const members = opts.addresses.map((address, i) => ({ name: `m${i + 1}`, address, dataDir: join(labTempDir(), "etcd"), proc: undefined }));
    const cluster = new EtcdCluster(opts, members);
    try {
      await Promise.all(members.map((_, i) => cluster.startMember(i)));
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** Client URLs, http:// or https://. */
  get endpoints(): string[] {
    const scheme = this.opts.tls === undefined ? "http" : "https";
    return this.members.map((m) => `${scheme}://${m.address}:${CLIENT_PORT}`);
  }

  private args(m: Member): string[] {
    const scheme = this.opts.tls === undefined ? "http" : "https";
    const client = `${scheme}://${m.address}:${CLIENT_PORT}`;
    const peer = `http://${m.address}:${PEER_PORT}`;
    const tls = this.opts.tls === undefined ? [] : [
      "--cert-file", this.opts.tls.serverCert, "--key-file", this.opts.tls.serverKey,
      "--client-cert-auth", "--trusted-ca-file", this.opts.tls.ca,
    ];
    return [
      ETCD_BINARY, "--name", m.name, "--data-dir", m.dataDir,
      "--listen-client-urls", client, "--advertise-client-urls", client,
      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
      "--initial-cluster", this.members.map((o) => `${o.name}=http://${o.address}:${PEER_PORT}`).join(","),
      "--initial-cluster-state", "new", "--initial-cluster-token", "vxs-lab",
      "--logger", "zap", "--log-level", "warn", "--log-outputs", "stderr",
      ...tls,
    ];
  }

  /** Starts (or restarts, keeping its data) member i and waits until it answers. */
  async startMember(i: number): Promise<void> {
    const m = this.members[i]!;
    if (m.proc?.running === true) return;
    m.proc = spawnIn(this.opts.ns, this.args(m));
    await this.waitHealthy(m);
  }

  /** Polls /health (plain) or the listening socket (TLS) until the member serves. */
  private async waitHealthy(m: Member): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (m.proc?.running !== true) throw new Error(`etcd ${m.name} exited${m.proc?.transcript() ?? ""}`);
      const args = this.opts.tls === undefined
        ? ["curl", "-sf", "--max-time", "1", `http://${m.address}:${CLIENT_PORT}/health`]
        : ["curl", "-sf", "--max-time", "1", "--cacert", this.opts.tls.ca, "--cert", this.opts.tls.clientCert, "--key", this.opts.tls.clientKey, `https://${m.address}:${CLIENT_PORT}/health`];
      const out = await run(["ip", "netns", "exec", this.opts.ns, ...args]).catch(() => "");
      if (out.includes('"health":"true"')) return;
      if (Date.now() > deadline) throw new Error(`etcd ${m.name} did not become healthy in 20 s${m.proc.transcript()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops member i (SIGKILL with kill, else SIGTERM); its data stays for a restart. */
  async stopMember(i: number, kill = false): Promise<void> {
    await this.members[i]!.proc?.stop(kill ? "SIGKILL" : "SIGTERM");
  }

  /** etcd's own Prometheus metrics of member i (plain HTTP clusters only). */
  metrics(i = 0): Promise<string> {
    const m = this.members[i]!;
    return run(["ip", "netns", "exec", this.opts.ns, "curl", "-sf", "--max-time", "2", `http://${m.address}:${CLIENT_PORT}/metrics`]);
  }

  async destroy(): Promise<void> {
    for (const m of this.members) await m.proc?.stop("SIGKILL");
  }
}
