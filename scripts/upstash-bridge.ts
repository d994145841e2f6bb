/**
 * Upstash-REST-compatible HTTP bridge in front of a plain redis-server.
 *
 * Lets the production `@upstash/redis` / `@upstash/ratelimit` clients run
 * unchanged against a local Redis (dev server, tests, CI):
 *
 *   tsx scripts/upstash-bridge.ts
 *
 * Environment (CLI only): UPSTASH_REDIS_REST_URL (only its port is used,
 * default http://127.0.0.1:8079), UPSTASH_REDIS_REST_TOKEN (unset: a random
 * one, saved in .local/bridge-token-<port> for the app; see bridge-token.ts),
 * REDIS_URL (default redis://127.0.0.1:6379).
 *
 * It answers only requests addressed to a loopback name (a web page cannot
 * reach it by DNS rebinding) and refuses Redis's administrative commands.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Redis, ReplyError, type RedisOptions } from "ioredis";

import { LOCAL_REDIS_REST_URL } from "../src/lib/local-bridge-url.js";
import { bridgeTokenFile, newBridgeToken, saveBridgeToken } from "./bridge-token.js";

export interface UpstashBridgeOptions {
  /** 0 picks a free port. */
  port: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  token: string;
  redisUrl: string;
  logger?: (line: string) => void;
}

export interface UpstashBridge {
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Commands that would block or change the state of the one connection every
 * HTTP request shares (pub/sub mode, selected DB, transactions, protocol...).
 * Pub/sub is available through the dedicated /subscribe and /psubscribe routes.
 */
const REFUSED_COMMANDS = new Set([
  "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
  "SYNC", "PSYNC", "REPLCONF",
  "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
  "WAIT", "WAITAOF",
  "SELECT", "QUIT", "RESET", "HELLO", "AUTH",
  "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH",
]);

/**
 * Administration of the server itself: configuration, persistence, replication, modules, users,
 * wiping every key. The app never sends them; anything else that can reach the bridge must not.
 */
const ADMIN_COMMANDS = new Set([
  "CONFIG", "SHUTDOWN", "DEBUG", "MODULE", "REPLICAOF", "SLAVEOF", "ACL", "FLUSHALL", "FLUSHDB",
  "SAVE", "BGSAVE", "BGREWRITEAOF", "MIGRATE", "FUNCTION", "FAILOVER", "MONITOR",
]);

/** SCRIPT LOAD and EXISTS stay: @upstash/redis and @upstash/ratelimit run their scripts by digest. */
const ADMIN_SCRIPT_SUBCOMMANDS = new Set(["FLUSH", "KILL"]);

/** CLIENT subcommands that neither block nor change the shared connection's behaviour. */
const SAFE_CLIENT_SUBCOMMANDS = new Set(["ID", "INFO", "LIST", "GETNAME", "SETINFO"]);

/** Only block when given a BLOCK option (before the STREAMS keyword). */
const COMMANDS_WITH_BLOCK_OPTION = new Set(["XREAD", "XREADGROUP"]);

/** Shebang flags Redis 7.0 understands; Upstash adds others (allow-key-locking). */
const REDIS_SCRIPT_FLAGS = new Set([
  "no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys",
]);

/** A failure that maps directly onto an HTTP status and an `{error}` body. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface RedisCommand {
  name: string;
  args: string[];
}

/** A command ready for Redis, plus the reply Upstash would give instead, if different. */
interface PreparedCommand extends RedisCommand {
  replyOverride?: string;
}

/** What ioredis `callBuffer` resolves to (RESP2). */
type RedisReply = Buffer | number | null | Error | RedisReply[];
type JsonReply = string | number | null | JsonReply[];
type PipelineItem = { result: JsonReply } | { error: string };

// ---------------------------------------------------------------------------
// Request parsing

/**
 * An oversized body is drained and discarded rather than cut off, so the
 * client can still read the 413 instead of seeing a reset connection.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) chunks = [];
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) reject(new HttpError(413, "ERR request body exceeds 10 MiB"));
      else resolveBody(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "ERR failed to parse request body as JSON");
  }
}

function toRedisArgument(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new HttpError(400, "ERR command arguments must be strings, numbers or booleans");
}

function toRedisCommand(value: unknown): RedisCommand {
  if (!Array.isArray(value)) throw new HttpError(400, "ERR a command must be a JSON array");
  if (value.length === 0) throw new HttpError(400, "ERR empty command");
  const [name, ...args] = value.map(toRedisArgument);
  // Upper case also keeps ioredis from applying its per-command reply
  // transformers (e.g. HGETALL → object), which are keyed by lower-case name.
  return { name: name!.toUpperCase(), args };
}

function toCommandList(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new HttpError(400, "ERR request body must be a JSON array of commands");
  if (value.length === 0) throw new HttpError(400, "ERR empty pipeline");
  return value;
}

function refusalReason(command: RedisCommand): string | undefined {
  const { name, args } = command;
  const fullName = (name === "CLIENT" || name === "SCRIPT") && args[0] ? `${name} ${args[0]}` : name;
  if (isAdministrative(command)) return `ERR command '${fullName.toLowerCase()}' is administrative and refused by the local Upstash bridge`;
  if (!isRefused(command)) return undefined;
  return `ERR command '${fullName.toLowerCase()}' is not supported by the Upstash bridge`;
}

function isAdministrative({ name, args }: RedisCommand): boolean {
  if (ADMIN_COMMANDS.has(name)) return true;
  return name === "SCRIPT" && ADMIN_SCRIPT_SUBCOMMANDS.has(args[0]?.toUpperCase() ?? "");
}

function isRefused({ name, args }: RedisCommand): boolean {
  if (REFUSED_COMMANDS.has(name)) return true;
  if (name === "CLIENT") return !SAFE_CLIENT_SUBCOMMANDS.has(args[0]?.toUpperCase() ?? "");
  if (COMMANDS_WITH_BLOCK_OPTION.has(name)) return hasBlockOption(args);
  return false;
}

function hasBlockOption(args: string[]): boolean {
  for (const arg of args) {
    const option = arg.toUpperCase();
    if (option === "STREAMS") return false;
    if (option === "BLOCK") return true;
  }
  return false;
}

/**
 * A browser on a page whose name an attacker points at 127.0.0.1 (DNS rebinding) sends that name
 * as Host; every legitimate client addresses the bridge by a loopback name or address.
 */
function isLoopbackHost(req: IncomingMessage): boolean {
  return LOOPBACK_HOST.test(req.headers.host ?? "");
}

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

function isAuthorized(req: IncomingMessage, expectedDigest: Buffer): boolean {
  const header = req.headers.authorization ?? "";
  const token = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  // Compare fixed-length digests so the comparison time leaks nothing about the token.
  return timingSafeEqual(sha256(token), expectedDigest);
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function sha1Hex(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

// ---------------------------------------------------------------------------
// Lua scripts

/**
 * Upstash accepts `#!lua flags=allow-key-locking`, Redis 7.0 rejects the
 * unknown flag. Scripts are rewritten without it, and the digest of the
 * original text is mapped onto the digest Redis actually knows, so clients can
 * keep using the digests they compute themselves.
 */
class ScriptTranslator {
  private readonly redisDigestByClientDigest = new Map<string, string>();

  prepare(command: RedisCommand): PreparedCommand {
    const { name, args } = command;
    const subcommand = args[0]?.toUpperCase();
    if ((name === "EVAL" || name === "EVAL_RO") && args[0] !== undefined) {
      return { name, args: [this.learn(args[0]).script, ...args.slice(1)] };
    }
    if ((name === "EVALSHA" || name === "EVALSHA_RO") && args[0] !== undefined) {
      return { name, args: [this.translateDigest(args[0]), ...args.slice(1)] };
    }
    if (name === "SCRIPT" && subcommand === "LOAD" && args[1] !== undefined) {
      const { script, clientDigest } = this.learn(args[1]);
      return { name, args: [args[0]!, script], replyOverride: clientDigest };
    }
    if (name === "SCRIPT" && subcommand === "EXISTS") {
      return { name, args: [args[0]!, ...args.slice(1).map((digest) => this.translateDigest(digest))] };
    }
    return command;
  }

  private learn(originalScript: string): { script: string; clientDigest: string } {
    const clientDigest = sha1Hex(originalScript);
    const script = stripUnsupportedScriptFlags(originalScript);
    if (script !== originalScript) {
      this.redisDigestByClientDigest.set(clientDigest, sha1Hex(script));
    }
    return { script, clientDigest };
  }

  /** Unknown digests pass through, so Redis answers NOSCRIPT and clients fall back to EVAL. */
  private translateDigest(digest: string): string {
    return this.redisDigestByClientDigest.get(digest.toLowerCase()) ?? digest;
  }
}

function stripUnsupportedScriptFlags(script: string): string {
  if (!script.startsWith("#!")) return script;
  const lineEnd = script.indexOf("\n");
  const shebang = lineEnd === -1 ? script : script.slice(0, lineEnd);
  const rest = lineEnd === -1 ? "" : script.slice(lineEnd);
  const rewritten = shebang
    .split(" ")
    .map((part) => {
      if (!part.startsWith("flags=")) return part;
      const flags = part.slice("flags=".length).split(",").filter((flag) => REDIS_SCRIPT_FLAGS.has(flag));
      return flags.length > 0 ? `flags=${flags.join(",")}` : "";
    })
    .filter((part) => part !== "")
    .join(" ");
  return rewritten + rest;
}

// ---------------------------------------------------------------------------
// Replies

/**
 * Upstash's base64 encoding: every string is base64 of its raw bytes, except
 * a top-level "OK", which the client compares literally before decoding.
 */
function encodeReply(reply: RedisReply, base64: boolean, topLevel = true): JsonReply {
  if (reply === null || typeof reply === "number") return reply;
  if (Array.isArray(reply)) return reply.map((item) => encodeReply(item, base64, false));
  const bytes = reply instanceof Error ? Buffer.from(reply.message) : reply;
  if (!base64) return bytes.toString("utf8");
  if (topLevel && bytes.equals(OK_BYTES)) return "OK";
  return bytes.toString("base64");
}

const OK_BYTES = Buffer.from("OK");

function encodeResult(command: PreparedCommand, reply: RedisReply, base64: boolean): JsonReply {
  const finalReply = command.replyOverride === undefined ? reply : Buffer.from(command.replyOverride);
  return encodeReply(finalReply, base64);
}

function isReplyError(error: unknown): error is Error {
  return error instanceof ReplyError;
}

/** Reply errors are the client's problem (400); anything else means Redis is unreachable. */
function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (isReplyError(error)) return new HttpError(400, describeReplyError(error));
  const message = error instanceof Error ? error.message : String(error);
  return new HttpError(503, `Redis is unavailable: ${message}`);
}

/** EXECABORT only says "previous errors"; ioredis keeps those errors, so name them. */
function describeReplyError(error: Error): string {
  const previousErrors: unknown = Reflect.get(error, "previousErrors");
  if (!Array.isArray(previousErrors) || previousErrors.length === 0) return error.message;
  const details = previousErrors.map((previous) => (previous instanceof Error ? previous.message : String(previous)));
  return `${error.message} ${details.join("; ")}`;
}

// ---------------------------------------------------------------------------
// Command execution

type PipelineResults = Array<[Error | null, unknown]>;

class CommandRunner {
  constructor(
    private readonly redis: Redis,
    private readonly scripts: ScriptTranslator,
  ) {}

  async runOne(body: unknown, base64: boolean): Promise<JsonReply> {
    const command = this.prepare(toRedisCommand(body));
    try {
      const reply = (await this.redis.callBuffer(command.name, ...command.args)) as RedisReply;
      return encodeResult(command, reply, base64);
    } catch (error) {
      throw toHttpError(error);
    }
  }

  /** Invalid or refused commands fail alone: auto-pipelining batches unrelated calls together. */
  async runPipeline(body: unknown, base64: boolean): Promise<PipelineItem[]> {
    const items = toCommandList(body).map((value) => this.tryPrepare(value));
    const runnable = items.filter((item): item is PreparedCommand => !(item instanceof HttpError));
    const pipeline = this.redis.pipeline();
    for (const command of runnable) pipeline.callBuffer(command.name, ...command.args);
    const replies = runnable.length > 0 ? await execOrThrow(() => pipeline.exec()) : [];
    let replyIndex = 0;
    return items.map((item) =>
      item instanceof HttpError ? { error: item.message } : toPipelineItem(item, replies[replyIndex++]!, base64),
    );
  }

  /** All-or-nothing, like Redis itself: one bad command aborts the transaction. */
  async runMultiExec(body: unknown, base64: boolean): Promise<PipelineItem[]> {
    const commands = toCommandList(body).map((value) => this.prepare(toRedisCommand(value)));
    const transaction = this.redis.multi();
    for (const command of commands) transaction.callBuffer(command.name, ...command.args);
    const replies = await execOrThrow(() => transaction.exec());
    return commands.map((command, index) => toPipelineItem(command, replies[index]!, base64));
  }

  private prepare(command: RedisCommand): PreparedCommand {
    const refusal = refusalReason(command);
    if (refusal) throw new HttpError(400, refusal);
    return this.scripts.prepare(command);
  }

  private tryPrepare(value: unknown): PreparedCommand | HttpError {
    try {
      return this.prepare(toRedisCommand(value));
    } catch (error) {
      return toHttpError(error);
    }
  }
}

/** A connection failure fails the whole request (503) rather than posing as per-command errors. */
async function execOrThrow(exec: () => Promise<PipelineResults | null>): Promise<PipelineResults> {
  let results: PipelineResults | null;
  try {
    results = await exec();
  } catch (error) {
    throw toHttpError(error);
  }
  // null means a WATCHed key changed; WATCH is refused, but the type allows it.
  if (results === null) throw new HttpError(400, "EXECABORT transaction aborted");
  const connectionError = results.find(([error]) => error !== null && !isReplyError(error))?.[0];
  if (connectionError) throw toHttpError(connectionError);
  return results;
}

function toPipelineItem(command: PreparedCommand, [error, reply]: [Error | null, unknown], base64: boolean): PipelineItem {
  if (error) return { error: error.message };
  return { result: encodeResult(command, reply as RedisReply, base64) };
}

// ---------------------------------------------------------------------------
// Pub/sub over server-sent events

type SubscriptionKind = "subscribe" | "psubscribe";

/**
 * One dedicated Redis connection per SSE request: a connection in subscriber
 * mode cannot run anything else, and its lifetime is the request's.
 */
async function streamSubscription(
  kind: SubscriptionKind,
  target: string,
  res: ServerResponse,
  connect: () => Redis,
  openStreams: Set<ServerResponse>,
): Promise<void> {
  const subscriber = connect();
  const writeEvent = (...fields: Array<string | number>) => res.write(`data: ${fields.join(",")}\n\n`);
  subscriber.on("message", (channel: string, message: string) => writeEvent("message", channel, message));
  subscriber.on("pmessage", (pattern: string, channel: string, message: string) =>
    writeEvent("pmessage", pattern, channel, message),
  );
  let clientGone = false;
  res.on("close", () => {
    clientGone = true;
    openStreams.delete(res);
    subscriber.disconnect();
  });

  let count: unknown;
  try {
    await waitUntilReady(subscriber);
    count = kind === "subscribe" ? await subscriber.subscribe(target) : await subscriber.psubscribe(target);
  } catch (error) {
    subscriber.disconnect();
    throw toHttpError(error);
  }
  if (clientGone) return;
  openStreams.add(res);
  res.writeHead(200, {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    Connection: "keep-alive",
  });
  writeEvent(kind, target, Number(count));
}

/** With the offline queue disabled, commands sent before the handshake would fail. */
function waitUntilReady(redis: Redis): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolveReady, reject) => {
    const onReady = () => {
      redis.off("error", onError);
      resolveReady();
    };
    const onError = (error: Error) => {
      redis.off("ready", onReady);
      reject(error);
    };
    redis.once("ready", onReady);
    redis.once("error", onError);
  });
}

function parseSubscriptionPath(pathname: string): { kind: SubscriptionKind; target: string } | undefined {
  const match = /^\/(subscribe|psubscribe)\/(.+)$/.exec(pathname);
  if (!match) return undefined;
  try {
    return { kind: match[1] as SubscriptionKind, target: decodeURIComponent(match[2]!) };
  } catch {
    throw new HttpError(400, "ERR malformed channel name in URL");
  }
}

// ---------------------------------------------------------------------------
// HTTP server

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

function wantsBase64(req: IncomingMessage): boolean {
  return String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
}

/** Never put credentials from REDIS_URL into logs. */
function describeRedisTarget(redisUrl: string): string {
  try {
    const { hostname, port } = new URL(redisUrl);
    return `${hostname}:${port || "6379"}`;
  } catch {
    return "redis";
  }
}

function redisConnectionOptions(): RedisOptions {
  return {
    // Fail requests immediately while Redis is unreachable instead of queueing
    // them; ioredis keeps reconnecting in the background.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  };
}

function logConnectionChanges(redis: Redis, target: string, log: (line: string) => void): void {
  let available = true;
  redis.on("ready", () => {
    if (!available) log(`redis ${target} is reachable again`);
    available = true;
  });
  redis.on("error", (error: Error) => {
    if (available) log(`redis ${target} is unavailable: ${error.message}`);
    available = false;
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolveListen((server.address() as AddressInfo).port);
    });
  });
}

export async function startUpstashBridge(options: UpstashBridgeOptions): Promise<UpstashBridge> {
  const host = options.host ?? "127.0.0.1";
  const log = options.logger ?? (() => {});
  // An empty token would let any "Bearer " header in.
  if (!options.token) throw new Error("the Upstash bridge needs a token");
  const expectedTokenDigest = sha256(options.token);
  const redisTarget = describeRedisTarget(options.redisUrl);

  const redis = new Redis(options.redisUrl, redisConnectionOptions());
  logConnectionChanges(redis, redisTarget, log);
  // Starting while Redis is down is allowed: requests get 503 until it is back.
  await waitUntilReady(redis).catch(() => {});

  const runner = new CommandRunner(redis, new ScriptTranslator());
  const routes = new Map<string, (body: unknown, base64: boolean) => Promise<unknown>>([
    ["/", async (body, base64) => ({ result: await runner.runOne(body, base64) })],
    ["/pipeline", (body, base64) => runner.runPipeline(body, base64)],
    ["/multi-exec", (body, base64) => runner.runMultiExec(body, base64)],
  ]);
  const openStreams = new Set<ServerResponse>();
  const connectSubscriber = () => {
    const subscriber = new Redis(options.redisUrl, redisConnectionOptions());
    // Errors surface through waitUntilReady; this listener only prevents ioredis's unhandled-error warning.
    subscriber.on("error", () => {});
    return subscriber;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isLoopbackHost(req)) throw new HttpError(403, "ERR the local Upstash bridge answers only requests addressed to a loopback host");
    if (req.method !== "POST") throw new HttpError(405, "Only POST is supported");
    if (!isAuthorized(req, expectedTokenDigest)) throw new HttpError(401, "Unauthorized");
    const pathname = new URL(req.url ?? "/", "http://bridge").pathname;
    const subscription = parseSubscriptionPath(pathname);
    if (subscription) {
      req.resume(); // the body is always "[]"; the channel is in the path
      return streamSubscription(subscription.kind, subscription.target, res, connectSubscriber, openStreams);
    }
    const run = routes.get(pathname);
    if (!run) throw new HttpError(404, "Not found");
    const body = parseJson(await readBody(req));
    sendJson(res, 200, await run(body, wantsBase64(req)));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
      log(`internal error on ${req.method} ${req.url}: ${error instanceof Error ? error.stack : String(error)}`);
      sendJson(res, 500, { error: "Internal bridge error" });
    });
  });
  const port = await listen(server, options.port, host).catch((error: unknown) => {
    redis.disconnect(); // otherwise its reconnect timer keeps the process alive
    throw error;
  });
  const url = `http://${host}:${port}`;
  log(`listening on ${url}, forwarding to redis ${redisTarget}`);

  return {
    url,
    port,
    async close() {
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      for (const stream of openStreams) stream.end();
      server.closeAllConnections();
      await closed;
      await redis.quit().catch(() => redis.disconnect());
      log("closed");
    },
  };
}

// ---------------------------------------------------------------------------
// CLI

async function runCli(): Promise<void> {
  const restUrl = process.env.UPSTASH_REDIS_REST_URL || LOCAL_REDIS_REST_URL;
  const configuredToken = process.env.UPSTASH_REDIS_REST_TOKEN;
  const token = configuredToken || newBridgeToken();
  const bridge = await startUpstashBridge({
    port: Number(new URL(restUrl).port || 8079),
    token,
    redisUrl: process.env.REDIS_URL || "redis://127.0.0.1:6379",
    logger: (line) => console.log(`[upstash-bridge] ${line}`),
  });
  // Saved once listening: a bridge that failed to start must not replace the running one's token.
  if (!configuredToken) {
    saveBridgeToken(restUrl, token);
    console.log(`[upstash-bridge] token in ${bridgeTokenFile(restUrl)} (npm run dev / npm start read it)`);
  }
  const shutdown = () => {
    bridge.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("[upstash-bridge] failed to close cleanly", error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  runCli().catch((error: unknown) => {
    console.error("[upstash-bridge] failed to start", error);
    process.exit(1);
  });
}
