import { EventEmitter, once } from "node:events";
import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { clientIp } from "~/server/client-ip";
import { installRequestHooks, PEER_MARK_HEADER, register, uninstallRequestHooks } from "./instrumentation";

const LOOPBACK = ["127.0.0.1", "::ffff:127.0.0.1"];

/** The Headers a route handler would get for these incoming headers. */
function toHeaders(incoming: IncomingHttpHeaders) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) if (typeof value === "string") headers.set(name, value);
  return headers;
}

/**
 * A plain node:http server that answers with the headers it saw. `gate`, when given, holds
 * each request before it reads its headers, the way `next start` holds requests that arrive
 * before its handlers (and this hook) are ready; `requestArrived` resolves once the server has
 * a request.
 */
async function echoServer(gate?: Promise<unknown>) {
  let arrived = () => {};
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  const server = http.createServer(async (req, res) => {
    arrived();
    await gate;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(req.headers));
  });
  server.listen(0); // all interfaces: an IPv4 client may appear as ::ffff:127.0.0.1
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    requestArrived,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    async get(headers: Record<string, string> = {}) {
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers });
      return (await response.json()) as IncomingHttpHeaders;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

const FORGED = { "X-Forwarded-For": "6.6.6.6", "X-Real-IP": "6.6.6.6", Forwarded: "for=6.6.6.6" };
const savedRuntime = process.env.NEXT_RUNTIME;

afterEach(() => uninstallRequestHooks());
afterAll(() => {
  uninstallRequestHooks();
  if (savedRuntime === undefined) delete process.env.NEXT_RUNTIME;
  else process.env.NEXT_RUNTIME = savedRuntime;
});

describe("register() without TRUST_PROXY", () => {
  beforeAll(() => {
    expect(process.env.TRUST_PROXY ?? "").toBe("");
    process.env.NEXT_RUNTIME = "nodejs";
  });

  it("replaces a forged X-Forwarded-For with the TCP peer and drops X-Real-IP and Forwarded", async () => {
    await register();
    const server = await echoServer();
    try {
      const seen = await server.get(FORGED);
      expect(LOOPBACK).toContain(seen["x-forwarded-for"]);
      expect(seen["x-real-ip"]).toBeUndefined();
      expect(seen.forwarded).toBeUndefined();
      expect(clientIp(toHeaders(seen))).toBe("127.0.0.1");

      const plain = await server.get();
      expect(plain["x-forwarded-for"]).toBe(seen["x-forwarded-for"]);
      expect(clientIp(toHeaders(plain))).toBe("127.0.0.1");
    } finally {
      await server.close();
    }
  });

  it("covers servers created before register() ran", async () => {
    const server = await echoServer();
    try {
      expect((await server.get(FORGED))["x-forwarded-for"]).toBe("6.6.6.6");
      await register();
      const seen = await server.get(FORGED);
      expect(LOOPBACK).toContain(seen["x-forwarded-for"]);
      expect(clientIp(toHeaders(seen))).toBe("127.0.0.1");
    } finally {
      await server.close();
    }
  });

  it("gives no IP to a request that arrived before register() but is handled after it (next start's startup window)", async () => {
    let open = () => {};
    const server = await echoServer(new Promise<void>((resolve) => (open = resolve)));
    try {
      const early = server.get(FORGED);
      await server.requestArrived;
      await register();
      open();
      const seen = await early;
      expect(seen["x-forwarded-for"]).toBe("6.6.6.6"); // nothing could rewrite it...
      expect(clientIp(toHeaders(seen))).toBeNull(); // ...but it is not believed
    } finally {
      await server.close();
    }
  });

  it("overwrites a client-sent mark header", async () => {
    await register();
    const server = await echoServer();
    try {
      const first = await server.get();
      const mark = first[PEER_MARK_HEADER];
      expect(typeof mark).toBe("string");
      const forged = await server.get({ ...FORGED, [PEER_MARK_HEADER]: "guess" });
      expect(forged[PEER_MARK_HEADER]).toBe(mark);
      expect(LOOPBACK).toContain(forged["x-forwarded-for"]);
      // A header set that only claims the mark (not issued by this process) is not believed.
      expect(clientIp(new Headers({ "x-forwarded-for": "6.6.6.6", [PEER_MARK_HEADER]: "guess" }))).toBeNull();
    } finally {
      await server.close();
    }
  });

  it("patches once however often it runs, and uninstalls cleanly", async () => {
    await register();
    const patched = http.Server.prototype.emit;
    expect(patched).not.toBe(EventEmitter.prototype.emit);
    await register();
    expect(http.Server.prototype.emit).toBe(patched);

    uninstallRequestHooks();
    expect(Object.hasOwn(http.Server.prototype, "emit")).toBe(false);
    expect(http.Server.prototype.emit).toBe(EventEmitter.prototype.emit);
    expect(clientIp(new Headers({ "x-forwarded-for": "203.0.113.7" }))).toBe("203.0.113.7");
  });

  it("does nothing outside the Node.js runtime", async () => {
    process.env.NEXT_RUNTIME = "edge";
    try {
      await register();
      expect(http.Server.prototype.emit).toBe(EventEmitter.prototype.emit);
    } finally {
      process.env.NEXT_RUNTIME = "nodejs";
    }
  });
});

describe("installRequestHooks with TRUST_PROXY=1", () => {
  it("leaves the proxy's X-Forwarded-For as it came, and clientIp believes it", async () => {
    installRequestHooks(http, { trustProxy: true });
    const server = await echoServer();
    try {
      const seen = await server.get({ "X-Forwarded-For": "203.0.113.7, 10.0.0.1" });
      expect(seen["x-forwarded-for"]).toBe("203.0.113.7, 10.0.0.1");
      expect(clientIp(toHeaders(seen))).toBe("203.0.113.7");
    } finally {
      await server.close();
    }
  });
});

describe("installRequestHooks: answering on Node's response", () => {
  it("hands each request to serveDirectly after the peer rule, and to the server when it declines", async () => {
    const seenDirectly: (string | undefined)[] = [];
    installRequestHooks(http, {
      trustProxy: false,
      serveDirectly(req, res) {
        seenDirectly.push(req.headers["x-forwarded-for"] as string | undefined);
        if (!req.url?.startsWith("/direct")) return false;
        res.end("answered directly");
        return true;
      },
    });
    const server = await echoServer();
    try {
      const echoed = await server.get(FORGED);
      expect(LOOPBACK).toContain(echoed["x-forwarded-for"]);
      const direct = await fetch(server.url("/direct"), { headers: FORGED });
      expect(await direct.text()).toBe("answered directly");
      // Both requests reached serveDirectly already rewritten: it never saw the forged address.
      expect(seenDirectly).toHaveLength(2);
      for (const address of seenDirectly) expect(LOOPBACK).toContain(address);
    } finally {
      await server.close();
    }
  });
});
