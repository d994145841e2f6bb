/**
 * Integration tests: the real @upstash/redis and @upstash/ratelimit clients
 * talk to the bridge, which talks to a real redis-server. Every key lives
 * under the test file's own prefix, deleted after the file (test/support/vitest-setup.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis, errors } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startUpstashBridge, type UpstashBridge } from "./upstash-bridge";
import { stopClockAtWindowStart } from "../test/support/clock";
import { freePort } from "../test/support/ports";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `${process.env.REDIS_KEY_PREFIX!}bridge:`;
const token = randomBytes(24).toString("hex");
const key = (name: string) => `${prefix}${name}`;

const openBridges = new Set<UpstashBridge>();
const logLines: string[] = [];
let bridge: UpstashBridge;
let direct: IORedis;

async function startBridge(redisUrl = REDIS_URL): Promise<UpstashBridge> {
  const started = await startUpstashBridge({ port: 0, token, redisUrl, logger: (line) => logLines.push(line) });
  openBridges.add(started);
  return started;
}

async function closeBridge(started: UpstashBridge): Promise<void> {
  openBridges.delete(started);
  await started.close();
}

async function scanKeys(redis: IORedis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
    found.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return found;
}

function rawCommand(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${bridge.url}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
    body,
  });
}

/** How long to poll for a state with no event to wait on: bounds a failure only. */
const POLL = { timeout: 10_000 };

beforeAll(async () => {
  direct = new IORedis(REDIS_URL);
  bridge = await startBridge();
});

afterAll(async () => {
  for (const started of openBridges) await started.close();
  await direct.quit();
});

// By default the client batches every call into POST /pipeline; with
// auto-pipelining off each call is its own POST /. Both must behave the same.
describe.each([
  { transport: "auto-pipelined client (POST /pipeline)", enableAutoPipelining: true },
  { transport: "single-command client (POST /)", enableAutoPipelining: false },
])("$transport", ({ enableAutoPipelining }) => {
  let redis: Redis;
  const scoped = (name: string) => key(`${enableAutoPipelining ? "auto" : "single"}:${name}`);

  beforeAll(() => {
    redis = new Redis({ url: bridge.url, token, enableAutoPipelining });
  });

  it("round-trips UTF-8 strings and JSON objects", async () => {
    const text = "Tor! ⚽ Müller trifft — 日本 👋🏽";
    const fixture = { home: "Lions", away: "Tigers", score: [2, 1], final: false };

    expect(await redis.set(scoped("text"), text)).toBe("OK");
    expect(await redis.set(scoped("json"), fixture)).toBe("OK");

    expect(await redis.get(scoped("text"))).toBe(text);
    expect(await redis.get(scoped("json"))).toEqual(fixture);
    // Really stored in Redis, as the bytes the client serialised.
    expect(await direct.get(scoped("text"))).toBe(text);
    expect(JSON.parse((await direct.get(scoped("json")))!)).toEqual(fixture);
  });

  it("returns counters as numbers", async () => {
    expect(await redis.incr(scoped("counter"))).toBe(1);
    expect(await redis.incrby(scoped("counter"), 41)).toBe(42);
    expect(await redis.decr(scoped("counter"))).toBe(41);
  });

  it("supports sorted sets: zadd, reverse range with scores, zscore, zrevrank", async () => {
    const board = scoped("leaderboard");
    const added = await redis.zadd(
      board,
      { score: 10, member: "alice" },
      { score: 30, member: "bob" },
      { score: 20, member: "carol" },
    );

    expect(added).toBe(3);
    expect(await redis.zrange(board, 0, -1, { rev: true, withScores: true })).toEqual([
      "bob", 30, "carol", 20, "alice", 10,
    ]);
    expect(await redis.zscore(board, "carol")).toBe(20);
    expect(await redis.zrevrank(board, "bob")).toBe(0);
    expect(await redis.zrevrank(board, "alice")).toBe(2);
  });

  it("rejects a failing command with Redis's own error message", async () => {
    await redis.set(scoped("not-a-number"), "ten");

    const failure = redis.incr(scoped("not-a-number"));

    await expect(failure).rejects.toBeInstanceOf(errors.UpstashError);
    await expect(failure).rejects.toThrow(/ERR value is not an integer or out of range/);
    expect(await direct.get(scoped("not-a-number"))).toBe("ten");
  });

  it("keeps working after an unknown command", async () => {
    await expect(redis.exec(["definitely-not-a-command"])).rejects.toThrow(/ERR unknown command/);
    expect(await redis.exec(["ping"])).toBe("PONG");
  });
});

describe("pipelines and transactions", () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis({ url: bridge.url, token });
  });

  it("returns every pipeline result in order", async () => {
    const results = await redis
      .pipeline()
      .set(key("pipe:score"), 1)
      .incr(key("pipe:score"))
      .get(key("pipe:score"))
      .zadd(key("pipe:board"), { score: 5, member: "dora" })
      .zscore(key("pipe:board"), "dora")
      .del(key("pipe:score"))
      .exec();

    expect(results).toEqual(["OK", 2, 2, 1, 5, 1]);
  });

  it("reports a failing pipeline command without failing the others", async () => {
    const results = await redis
      .pipeline()
      .set(key("pipe:text"), "abc")
      .incr(key("pipe:text"))
      .append(key("pipe:text"), "def")
      .exec({ keepErrors: true });

    expect(results.map((item) => item.error)).toEqual([
      undefined,
      expect.stringMatching(/ERR value is not an integer/),
      undefined,
    ]);
    expect(results[2]?.result).toBe(6);
    expect(await direct.get(key("pipe:text"))).toBe("abcdef");
  });

  it("refuses a blocking command inside a pipeline without failing its neighbours", async () => {
    const response = await rawCommand(
      "/pipeline",
      JSON.stringify([["set", key("pipe:mixed"), 1], ["blpop", key("pipe:queue"), 0], ["incr", key("pipe:mixed")]]),
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { result: "OK" },
      { error: expect.stringMatching(/'blpop' is not supported/) },
      { result: 2 },
    ]);
  });

  it("runs multi() atomically and returns every result in order", async () => {
    const results = await redis
      .multi()
      .incr(key("multi:goals"))
      .incr(key("multi:goals"))
      .hset(key("multi:match"), { home: "Lions", goals: 2 })
      .hgetall(key("multi:match"))
      .exec();

    expect(results).toEqual([1, 2, 2, { home: "Lions", goals: 2 }]);
  });

  it("aborts the whole transaction when one command is invalid", async () => {
    const response = await rawCommand(
      "/multi-exec",
      JSON.stringify([["set", key("multi:aborted"), "x"], ["no-such-command"]]),
    );

    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/^EXECABORT .*unknown command/);
    expect(await direct.exists(key("multi:aborted"))).toBe(0);
  });
});

describe("HTTP protocol", () => {
  it("answers 401 to a wrong or missing token", async () => {
    const wrongToken = await fetch(bridge.url, {
      method: "POST",
      headers: { Authorization: "Bearer not-the-token" },
      body: JSON.stringify(["set", key("auth"), "x"]),
    });
    const noToken = await fetch(bridge.url, { method: "POST", body: JSON.stringify(["ping"]) });

    expect(wrongToken.status).toBe(401);
    expect(await wrongToken.json()).toEqual({ error: "Unauthorized" });
    expect(noToken.status).toBe(401);
    expect(await direct.exists(key("auth"))).toBe(0);
  });

  it("will not start without a token, which would let any bare \"Bearer \" in", async () => {
    await expect(startUpstashBridge({ port: 0, token: "", redisUrl: REDIS_URL })).rejects.toThrow(/needs a token/);
  });

  it("makes the client throw when its token is wrong", async () => {
    const intruder = new Redis({ url: bridge.url, token: "not-the-token", enableAutoPipelining: false });

    await expect(intruder.get(key("auth"))).rejects.toThrow(/Unauthorized/);
  });

  it.each([
    ["malformed JSON", "[\"set\", "],
    ["a body that is not an array", JSON.stringify({ command: "ping" })],
    ["an empty command", "[]"],
    ["an object argument", JSON.stringify(["set", "k", { nested: true }])],
  ])("answers 400 with an error message to %s", async (_case, body) => {
    const response = await rawCommand("/", body);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^ERR /) });
  });

  it("answers 413 to a body over 10 MiB and keeps serving", async () => {
    const huge = JSON.stringify(["set", key("huge"), "x".repeat(10 * 1024 * 1024)]);

    const response = await rawCommand("/", huge);

    expect(response.status).toBe(413);
    expect((await response.json()).error).toMatch(/10 MiB/);
    expect(await direct.exists(key("huge"))).toBe(0);
    expect((await rawCommand("/", JSON.stringify(["ping"]))).status).toBe(200);
  });

  it.each([
    ["blpop", ["blpop", key("queue"), "0"]],
    ["brpop", ["brpop", key("queue"), "1"]],
    ["subscribe", ["subscribe", key("channel")]],
    ["select", ["select", "1"]],
    ["wait", ["wait", "1", "0"]],
    ["multi", ["multi"]],
    ["client reply", ["client", "reply", "off"]],
    ["xread with BLOCK", ["xread", "BLOCK", "0", "STREAMS", key("stream"), "$"]],
  ])("refuses %s, which would block or hijack the shared connection", async (_name, command) => {
    const response = await rawCommand("/", JSON.stringify(command));

    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/not supported by the Upstash bridge/);
  });

  it("still runs non-blocking XREAD whose key happens to be named 'block'", async () => {
    const response = await rawCommand("/", JSON.stringify(["xread", "STREAMS", "block", "0"]));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: null });
  });

  it("base64-encodes raw bytes when asked, except a plain OK", async () => {
    await direct.set(key("binary"), Buffer.from([0xff, 0x00, 0xfe]));
    const base64 = { "Upstash-Encoding": "base64" };

    const set = await rawCommand("/", JSON.stringify(["set", key("plain"), "OK"]), base64);
    const getBinary = await rawCommand("/", JSON.stringify(["get", key("binary")]), base64);
    const getOkValue = await rawCommand("/pipeline", JSON.stringify([["mget", key("plain"), key("missing")]]), base64);
    const strlen = await rawCommand("/", JSON.stringify(["strlen", key("binary")]), base64);

    expect(await set.json()).toEqual({ result: "OK" });
    expect(await getBinary.json()).toEqual({ result: "/wD+" });
    expect(await getOkValue.json()).toEqual([{ result: [Buffer.from("OK").toString("base64"), null] }]);
    expect(await strlen.json()).toEqual({ result: 3 });
  });

  it("answers UTF-8 text without the base64 header, with numeric arguments stringified", async () => {
    await rawCommand("/", JSON.stringify(["set", key("number"), 12.5]));
    await rawCommand("/", JSON.stringify(["set", key("flag"), true]));

    const increased = await rawCommand("/", JSON.stringify(["incrbyfloat", key("number"), 1]));
    const flag = await rawCommand("/", JSON.stringify(["get", key("flag")]));

    expect(await increased.json()).toEqual({ result: "13.5" });
    expect(await flag.json()).toEqual({ result: "true" });
  });
});

describe("Lua scripts with Upstash shebang flags", () => {
  let redis: Redis;
  const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
  // The file's prefix makes each script new to Redis's script cache, which the whole server shares.
  const upstashScript = (body: string) => `#!lua flags=allow-key-locking\n-- ${prefix}\n${body}`;

  beforeAll(() => {
    redis = new Redis({ url: bridge.url, token });
  });

  it("evaluates a script with allow-key-locking, then runs it by its original digest", async () => {
    const script = upstashScript('redis.call("SET", KEYS[1], ARGV[1])\nreturn redis.call("GET", KEYS[1])');

    await expect(redis.evalsha(sha1(script), [key("lua:eval")], ["never"])).rejects.toThrow(/NOSCRIPT/);
    expect(await redis.eval(script, [key("lua:eval")], ["first"])).toBe("first");
    expect(await redis.evalsha(sha1(script), [key("lua:eval")], ["second"])).toBe("second");
    expect(await direct.get(key("lua:eval"))).toBe("second");
  });

  it("loads a script and returns the digest of the text the client sent", async () => {
    const script = upstashScript("return tonumber(ARGV[1]) * 2");

    const digest = await redis.scriptLoad(script);

    expect(digest).toBe(sha1(script));
    expect(await redis.scriptExists(digest)).toEqual([1]);
    expect(await redis.evalsha(digest, [], [21])).toBe(42);
  });

  it("keeps the flags Redis understands", async () => {
    const readOnly = `#!lua flags=no-writes,allow-key-locking\n-- ${prefix}\nreturn redis.call("SET", KEYS[1], "x")`;

    await expect(redis.eval(readOnly, [key("lua:readonly")], [])).rejects.toThrow(
      /Write commands are not allowed from read-only scripts/,
    );
  });
});

describe.each([
  { algorithm: "slidingWindow", windowMs: 10_000, limiter: Ratelimit.slidingWindow(3, "10 s") },
  { algorithm: "fixedWindow", windowMs: 10_000, limiter: Ratelimit.fixedWindow(3, "10 s") },
])("@upstash/ratelimit $algorithm", ({ algorithm, windowMs, limiter }) => {
  /** Pass-through observer of the client's script calls, to see which path each limit() took. */
  function observeScriptCalls(redis: Redis): { redis: Redis; calls: string[] } {
    const calls: string[] = [];
    const observed = new Proxy(redis, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if ((property !== "eval" && property !== "evalsha") || typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          try {
            const result: unknown = await value(...args);
            calls.push(`${property}:ok`);
            return result;
          } catch (error) {
            calls.push(`${property}:${String(error).includes("NOSCRIPT") ? "NOSCRIPT" : "error"}`);
            throw error;
          }
        };
      },
    });
    return { redis: observed, calls };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  // A fresh bridge has not seen the scripts yet: the first limit() gets
  // NOSCRIPT and falls back to EVAL, later ones use the learned digest.
  it.each([1, 2])("allows exactly 3 requests, then refuses (fresh bridge #%i)", async (round) => {
    // Crossing a window boundary mid-test would legitimately grant new requests.
    stopClockAtWindowStart(windowMs);
    const freshBridge = await startBridge();
    const { redis, calls } = observeScriptCalls(new Redis({ url: freshBridge.url, token }));
    const ratelimitPrefix = key(`ratelimit:${algorithm}:${round}`);
    const ratelimit = new Ratelimit({ redis, limiter, prefix: ratelimitPrefix, ephemeralCache: false });

    const responses = [];
    for (let attempt = 0; attempt < 5; attempt++) responses.push(await ratelimit.limit("player-7"));
    await closeBridge(freshBridge);

    expect(responses.map((response) => response.success)).toEqual([true, true, true, false, false]);
    expect(responses.map((response) => response.remaining)).toEqual([2, 1, 0, 0, 0]);
    expect(responses.every((response) => response.limit === 3)).toBe(true);
    expect(responses[3]!.reset).toBe(Date.now() + windowMs);
    expect(calls).toEqual(["evalsha:NOSCRIPT", "eval:ok", "evalsha:ok", "evalsha:ok", "evalsha:ok", "evalsha:ok"]);
    expect(await scanKeys(direct, `${ratelimitPrefix}*`)).not.toHaveLength(0);
  });
});

describe("pub/sub over server-sent events", () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis({ url: bridge.url, token });
  });

  async function subscriberCount(channel: string): Promise<number> {
    const [, count] = (await direct.pubsub("NUMSUB", channel)) as [string, number];
    return count;
  }

  it("delivers messages published through the bridge to a subscriber", async () => {
    const channel = key("channel:match-1");
    const subscriber = redis.subscribe<unknown>(channel);
    const received: unknown[] = [];
    const subscribed = new Promise<number>((resolve, reject) => {
      subscriber.on("subscribe", resolve);
      subscriber.on("error", reject);
    });
    const twoMessages = new Promise<void>((resolve) => {
      subscriber.on("message", (event) => {
        received.push(event);
        if (received.length === 2) resolve();
      });
    });

    expect(await subscribed).toBe(1);
    expect(await redis.publish(channel, { home: 2, away: 1 })).toBe(1);
    expect(await redis.publish(channel, "Tor! ⚽")).toBe(1);
    await twoMessages;
    await subscriber.unsubscribe();

    expect(received).toEqual([
      { channel, message: { home: 2, away: 1 } },
      { channel, message: "Tor! ⚽" },
    ]);
    // Unsubscribing closes the stream, which closes the bridge's Redis subscriber.
    await expect.poll(() => subscriberCount(channel), POLL).toBe(0);
  });

  it("delivers pattern messages to a psubscribe subscriber", async () => {
    const pattern = key("room:*");
    const channel = key("room:lobby");
    const subscriber = redis.psubscribe<unknown>(pattern);
    const subscribed = new Promise<number>((resolve) => subscriber.on("psubscribe", resolve));
    const message = new Promise<unknown>((resolve) => subscriber.on("pmessage", resolve));

    expect(await subscribed).toBe(1);
    await redis.publish(channel, { kickoff: true });

    expect(await message).toEqual({ pattern, channel, message: { kickoff: true } });
    await subscriber.unsubscribe();
  });
});

describe("when Redis is unreachable", () => {
  const password = randomBytes(12).toString("hex");
  const privateServers = new Set<ChildProcess>();

  async function startPrivateRedis(port: number): Promise<ChildProcess> {
    const child = spawn("redis-server", [
      "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", password,
    ]);
    privateServers.add(child);
    let output = "";
    for await (const chunk of child.stdout) {
      output += String(chunk);
      if (output.includes("Ready to accept connections")) return child;
    }
    throw new Error(`redis-server exited early: ${output}`);
  }

  async function stopPrivateRedis(child: ChildProcess): Promise<void> {
    privateServers.delete(child);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }

  afterAll(async () => {
    for (const child of privateServers) await stopPrivateRedis(child);
  });

  /** Redis comes back only after this answer: a bridge that held the command until then would never give it. */
  async function expectUnavailable(redis: Redis): Promise<void> {
    await expect(redis.get(key("outage"))).rejects.toThrow(/Redis is unavailable/);
  }

  /** The answer to a command through the bridge, or "unavailable" while it refuses. */
  const answer = (command: Promise<unknown>) => command.catch(() => "unavailable");

  it("answers 503 while Redis is down, without waiting for it, and recovers when it is back, logging no secret", { timeout: 30_000 }, async () => {
    const port = await freePort();
    const outageBridge = await startBridge(`redis://default:${password}@127.0.0.1:${port}`);
    const redis = new Redis({ url: outageBridge.url, token, enableAutoPipelining: false });

    await expectUnavailable(redis);
    const rawResponse = await fetch(outageBridge.url, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify(["ping"]),
    });
    expect(rawResponse.status).toBe(503);

    // The bridge reconnects on its own schedule: poll until it serves again.
    let server = await startPrivateRedis(port);
    await expect.poll(() => answer(redis.set(key("outage"), "up")), POLL).toBe("OK");

    await stopPrivateRedis(server);
    await expectUnavailable(redis);

    server = await startPrivateRedis(port);
    await expect.poll(() => answer(redis.incr(key("outage:count"))), POLL).toBe(1);
    await closeBridge(outageBridge);

    expect(logLines.some((line) => line.includes("unavailable"))).toBe(true);
    expect(logLines.some((line) => line.includes("reachable again"))).toBe(true);
    expect(logLines.filter((line) => line.includes(token) || line.includes(password))).toEqual([]);
  });
});

/** A POST to the bridge over node:http, which (unlike fetch) sends the Host header it is given. */
function postWithHost(url: string, host: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolvePost, reject) => {
    const request = httpRequest(url, { method: "POST", headers: { host, authorization: `Bearer ${token}`, "content-type": "application/json" } }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      response.on("end", () => resolvePost({ status: response.statusCode!, body: JSON.parse(text) as unknown }));
    });
    request.on("error", reject);
    request.end(JSON.stringify(body));
  });
}

describe("requests addressed to another host (DNS rebinding)", () => {
  it.each(["evil.example", "evil.example:8079", "127.0.0.1.evil.example", "localhost.evil.example:80", "0.0.0.0:8079", "10.0.0.7", "[::2]:8079", "user@127.0.0.1"])(
    "refuses Host %j with 403, even with the right token, running nothing",
    async (host) => {
      const { status, body } = await postWithHost(bridge.url, host, ["set", key("rebound"), "x"]);

      expect(status).toBe(403);
      expect(body).toEqual({ error: expect.stringMatching(/^ERR .*loopback/) });
      expect(await direct.exists(key("rebound"))).toBe(0);
    },
  );

  it.each(["127.0.0.1", "127.0.0.1:8079", "localhost", "LOCALHOST:1234", "[::1]", "[::1]:8079"])("answers Host %j (loopback, any port)", async (host) => {
    expect(await postWithHost(bridge.url, host, ["ping"])).toEqual({ status: 200, body: { result: "PONG" } });
  });
});

describe("administrative commands", () => {
  // A redis-server of its own: were a refusal missing, FLUSHALL or SHUTDOWN must not hit the machine's shared one.
  let server: ChildProcess;
  let adminBridge: UpstashBridge;
  let adminDirect: IORedis;

  beforeAll(async () => {
    const port = await freePort();
    server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
    let output = "";
    for await (const chunk of server.stdout!) {
      output += String(chunk);
      if (output.includes("Ready to accept connections")) break;
    }
    adminBridge = await startBridge(`redis://127.0.0.1:${port}`);
    adminDirect = new IORedis(`redis://127.0.0.1:${port}`);
  });

  afterAll(async () => {
    adminDirect?.disconnect();
    if (adminBridge) await closeBridge(adminBridge);
    const exited = once(server, "exit");
    server.kill("SIGKILL");
    await exited;
  });

  const post = (path: string, body: unknown) =>
    fetch(`${adminBridge.url}${path}`, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });

  const ADMIN: [string, string[]][] = [
    ["config set", ["config", "set", "maxmemory", "1"]],
    ["config get", ["CONFIG", "GET", "requirepass"]],
    ["shutdown", ["shutdown", "nosave"]],
    ["debug", ["debug", "sleep", "0"]],
    ["module", ["module", "load", "/tmp/evil.so"]],
    ["replicaof", ["replicaof", "203.0.113.9", "6379"]],
    ["slaveof", ["slaveof", "203.0.113.9", "6379"]],
    ["acl", ["acl", "setuser", "intruder", "on", ">pw", "+@all"]],
    ["flushall", ["flushall"]],
    ["flushdb", ["FlushDB", "async"]],
    ["save", ["save"]],
    ["bgsave", ["bgsave"]],
    ["bgrewriteaof", ["bgrewriteaof"]],
    ["migrate", ["migrate", "203.0.113.9", "6379", "k", "0", "1000"]],
    ["function", ["function", "flush"]],
    ["failover", ["failover"]],
    ["script flush", ["script", "flush"]],
    ["script kill", ["script", "kill"]],
    ["monitor", ["monitor"]],
  ];

  it.each(ADMIN)("refuses %s with an Upstash-style 400 and leaves Redis as it was", async (_name, command) => {
    await adminDirect.set("kept", "yes");
    const response = await post("/", command);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^ERR command '.+' is administrative/) });
    expect(await adminDirect.get("kept")).toBe("yes");
    expect(await adminDirect.config("GET", "maxmemory")).toEqual(["maxmemory", "0"]);
    expect(await adminDirect.call("ACL", "USERS")).toEqual(["default"]);
  });

  it.each(ADMIN)("refuses %s inside a pipeline, running its neighbours", async (_name, command) => {
    await adminDirect.del("before", "after");
    const response = await post("/pipeline", [["set", "before", "1"], command, ["set", "after", "2"]]);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([{ result: "OK" }, { error: expect.stringMatching(/^ERR command '.+' is administrative/) }, { result: "OK" }]);
    expect(await adminDirect.mget("before", "after")).toEqual(["1", "2"]);
  });

  it.each(ADMIN)("refuses a transaction holding %s as a whole, running none of it", async (_name, command) => {
    await adminDirect.del("in-transaction");
    const response = await post("/multi-exec", [["set", "in-transaction", "1"], command]);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^ERR command '.+' is administrative/) });
    expect(await adminDirect.exists("in-transaction")).toBe(0);
  });

  it("still runs SCRIPT LOAD, SCRIPT EXISTS and EVALSHA, which @upstash/redis and @upstash/ratelimit use", async () => {
    const script = "return 7";
    const load = await post("/", ["script", "load", script]);
    const digest = createHash("sha1").update(script).digest("hex");

    expect(await load.json()).toEqual({ result: digest });
    expect(await (await post("/", ["SCRIPT", "EXISTS", digest])).json()).toEqual({ result: [1] });
    expect(await (await post("/pipeline", [["evalsha", digest, "0"]])).json()).toEqual([{ result: 7 }]);
    // The refused SCRIPT FLUSH above left the loaded script in place.
    await post("/", ["script", "flush"]);
    expect(await adminDirect.script("EXISTS", digest)).toEqual([1]);
  });
});
