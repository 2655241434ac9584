// The /metrics endpoint: a node:http server that renders the registry when Prometheus scrapes it.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { parseListenAddress, type ListenAddress } from "./listen-address.js";
import { createMetricsRegistry, type MetricsSource } from "./metrics.js";

export class MetricsServer {
  private constructor(
    private readonly server: Server,
    readonly address: ListenAddress,
  ) {}

  /** Serves GET /metrics on addr; rejects with the reason when the address cannot be bound. */
  static async listen(addr: ListenAddress, registry: Registry): Promise<MetricsServer> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { Allow: "GET, HEAD" }).end();
        return;
      }
      if (path !== "/metrics") {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("vxswitch serves /metrics\n");
        return;
      }
      registry.metrics().then(
        (body) => res.writeHead(200, { "Content-Type": registry.contentType }).end(req.method === "HEAD" ? undefined : body),
        (err: unknown) => res.writeHead(500, { "Content-Type": "text/plain" }).end(`${err instanceof Error ? err.message : String(err)}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) =>
        reject(new Error(`cannot serve metrics on ${addr.host}:${addr.port}: ${err.code ?? err.message}${err.code === "EADDRNOTAVAIL" ? " (no such local address)" : ""}`)));
      server.listen(addr.port, addr.host, () => resolve());
    });
    return new MetricsServer(server, addr);
  }

  /** The bound port (the one asked for, or the kernel's pick for port 0). */
  get port(): number {
    const bound = this.server.address();
    return typeof bound === "object" && bound !== null ? bound.port : this.address.port;
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }
}

/** `up --metrics ADDR:PORT`: the endpoint for a running switch, or undefined when metrics are off. */
export async function startMetrics(text: string | undefined, source: MetricsSource, log: (line: string) => void): Promise<MetricsServer | undefined> {
  if (text === undefined) return undefined;
  const server = await MetricsServer.listen(parseListenAddress(text), createMetricsRegistry(source));
  log(`metrics on http://${text}/metrics`);
  return server;
}
