import { describe, expect, it } from "vitest";

import { createMetrics } from "./metrics";
import { runInRequest, setRequestUser } from "./request-context";
import { capturedLog } from "../../../test/support/captured-log";

describe("logger", () => {
  it("stamps every line inside a request with its request id, and the user once known", () => {
    const { lines, logger } = capturedLog();
    runInRequest(new Headers(), () => {
      logger.info("before sign-in");
      setRequestUser("user-1");
      logger.info("after sign-in");
    });
    logger.info("outside");
    const [before, after, outside] = lines;
    expect(before!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(before!.userId).toBeUndefined();
    expect(after).toMatchObject({ requestId: before!.requestId, userId: "user-1" });
    expect(outside!.requestId).toBeUndefined();
  });

  it("keeps a well-formed upstream x-request-id and replaces a hostile one", () => {
    const { lines, logger } = capturedLog();
    runInRequest(new Headers({ "x-request-id": "edge-1234abcd" }), () => logger.info("a"));
    runInRequest(new Headers({ "x-request-id": 'x","admin":true' }), () => logger.info("b"));
    runInRequest(new Headers({ "x-request-id": "a".repeat(500) }), () => logger.info("c"));
    expect(lines[0]!.requestId).toBe("edge-1234abcd");
    expect(lines[1]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines[2]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("concurrent requests keep their own ids", async () => {
    const { lines, logger } = capturedLog();
    const ids = ["r-aaaaaaaa", "r-bbbbbbbb"];
    // Every request logs only once all of them are in, each suspended at an await.
    let entered = 0;
    let allEntered = () => {};
    const allIn = new Promise<void>((resolve) => (allEntered = resolve));
    await Promise.all(
      ids.map((id) =>
        runInRequest(new Headers({ "x-request-id": id }), async () => {
          if (++entered === ids.length) allEntered();
          await allIn;
          logger.info({ expected: id }, "line");
        }),
      ),
    );
    expect(lines.map((line) => [line.requestId, line.expected])).toEqual(ids.map((id) => [id, id]));
  });

  it("redacts secrets even when code passes them by mistake", () => {
    const { lines, logger } = capturedLog();
    logger.info({ token: "v1.secret", password: "hunter22", headers: { cookie: "next-auth.session-token=abc", authorization: "Bearer x" } }, "oops");
    const text = JSON.stringify(lines);
    for (const secret of ["v1.secret", "hunter22", "session-token=abc", "Bearer x"]) expect(text).not.toContain(secret);
  });
});

describe("metrics", () => {
  it("exposes the product's series in Prometheus text", async () => {
    const metrics = createMetrics();
    let subscribers = 3;
    metrics.countLiveSubscribers(() => subscribers);
    metrics.countLiveSubscribers(() => 2);
    metrics.procedureCalls.inc({ path: "score.submit", type: "mutation", code: "OK" });
    metrics.procedureSeconds.observe({ path: "score.submit", type: "mutation" }, 0.004);
    metrics.scoreActions.inc({ action_type: "WIN_MATCH", outcome: "applied" });
    metrics.rateLimitRefusals.inc({ limit: "scoreSubmit" });
    metrics.redisFallbacks.inc({ operation: "top" });
    subscribers = 4;
    const text = await metrics.registry.metrics();
    expect(text).toContain('scoreboard_procedure_calls_total{path="score.submit",type="mutation",code="OK"} 1');
    expect(text).toContain('scoreboard_procedure_duration_seconds_bucket{le="0.005",path="score.submit",type="mutation"} 1');
    expect(text).toContain('scoreboard_score_actions_total{action_type="WIN_MATCH",outcome="applied"} 1');
    expect(text).toContain('scoreboard_rate_limit_refusals_total{limit="scoreSubmit"} 1');
    expect(text).toContain('scoreboard_redis_fallbacks_total{operation="top"} 1');
    expect(text).toContain("scoreboard_live_subscribers 6");
  });
});
