"use client";

import { useState } from "react";

import { describeError } from "~/app/_components/error-messages";
import { useFormat } from "~/app/_components/reader-locale";
import { api } from "~/trpc/react";

export function AdminConsole() {
  return (
    <>
      <Users />
      <Flags />
      <AuditLog />
    </>
  );
}

function Users() {
  const utils = api.useUtils();
  const format = useFormat();
  const [query, setQuery] = useState("");
  const users = api.admin.users.useQuery({ query: query || undefined, limit: 25 });
  const [message, setMessage] = useState<string | null>(null);
  const onDone = (text: string) => {
    setMessage(text);
    void utils.admin.users.invalidate();
    void utils.admin.auditLog.invalidate();
  };
  const onError = (error: unknown) => setMessage(describeError(error, format));
  const setBanned = api.admin.setBanned.useMutation({
    onSuccess: (row) => onDone(`${row.username} is ${row.banned ? "banned" : "no longer banned"}.`),
    onError,
  });
  const adjust = api.admin.adjustScore.useMutation({
    onSuccess: (result) => onDone(`Score is now ${format.number(result.score)} (${format.delta(result.delta)}).`),
    onError,
  });

  return (
    <section className="card" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <label>
        Search{" "}
        <input type="search" value={query} onChange={(event) => setQuery(event.target.value)} placeholder="username or name" />
      </label>
      {/* Always there, so that assistive technology hears what appears in it. */}
      <p role="status" className={message ? "toast" : "visually-hidden"}>
        {message}
      </p>
      <table className="board admin-table" aria-busy={users.isPending}>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col" className="numeric">
              Score
            </th>
            <th scope="col">State</th>
            <th scope="col">Moderate</th>
          </tr>
        </thead>
        <tbody>
          {users.isPending ? <LoadingRows columns={4} /> : null}
          {users.data?.items.map((user) => (
            <tr key={user.userId} data-username={user.username}>
              <td>
                {user.displayName} <span className="muted">@{user.username}</span>
              </td>
              <td className="numeric">{format.number(user.score)}</td>
              <td>{[user.role === "admin" ? "admin" : null, user.banned ? "banned" : null, user.hidden ? "hidden" : null].filter(Boolean).join(", ") || "—"}</td>
              <td>
                <form
                  className="inline-form"
                  onSubmit={(event) => {
                    event.preventDefault();
                    const data = new FormData(event.currentTarget);
                    const reason = String(data.get("reason"));
                    const delta = Number(data.get("delta"));
                    if (delta) adjust.mutate({ userId: user.userId, delta, reason });
                    else setBanned.mutate({ userId: user.userId, banned: !user.banned, reason });
                  }}
                >
                  <input name="reason" aria-label={`Reason for ${user.username}`} placeholder="reason" required minLength={3} maxLength={500} />
                  <input name="delta" aria-label={`Score change for ${user.username}`} type="number" placeholder="±points" step={1} />
                  <button type="submit" name="do">
                    {user.banned ? "Unban / adjust" : "Ban / adjust"}
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Enter a point change to adjust the score; leave it empty to ban or unban.</p>
    </section>
  );
}

function Flags() {
  const flags = api.admin.flags.useQuery({ limit: 50 });
  return (
    <section className="card" aria-labelledby="flags-title">
      <h2 id="flags-title">Anomaly flags</h2>
      {flags.data?.items.length ? (
        <ul className="flags">
          {flags.data.items.map((flag) => (
            <li key={`${flag.userId}-${flag.kind}`}>
              <strong>{flag.username}</strong> · {flag.kind} · since {flag.since.toLocaleString()}
              <pre>{JSON.stringify(flag.evidence, null, 2)}</pre>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Nothing looks automated right now.</p>
      )}
    </section>
  );
}

function AuditLog() {
  const format = useFormat();
  const [userId, setUserId] = useState("");
  const [actionType, setActionType] = useState("");
  const log = api.admin.auditLog.useInfiniteQuery(
    { limit: 25, userId: /^[0-9a-f-]{36}$/.test(userId) ? userId : undefined, actionType: actionType || undefined },
    { getNextPageParam: (page) => page.nextCursor ?? undefined },
  );
  const rows = log.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit trail</h2>
      <div className="inline-form">
        <input aria-label="Filter by user id" placeholder="user id" value={userId} onChange={(event) => setUserId(event.target.value.trim())} />
        <select aria-label="Filter by action type" value={actionType} onChange={(event) => setActionType(event.target.value)}>
          <option value="">all actions</option>
          {["COMPLETE_TASK", "WIN_MATCH", "DAILY_BONUS", "ADMIN_ADJUST"].map((type) => (
            <option key={type}>{type}</option>
          ))}
        </select>
      </div>
      <table className="board admin-table" aria-busy={log.isPending}>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">User</th>
            <th scope="col">Action</th>
            <th scope="col" className="numeric">
              Δ
            </th>
            <th scope="col" className="numeric">
              Score
            </th>
            <th scope="col">From</th>
          </tr>
        </thead>
        <tbody>
          {log.isPending ? <LoadingRows columns={6} /> : null}
          {rows.map((row) => (
            <tr key={row.id}>
              <td>{row.createdAt.toLocaleString()}</td>
              <td className="mono">{row.userId.slice(0, 8)}</td>
              <td>
                {row.actionType}
                {row.actorId ? <span className="muted"> by {row.actorId.slice(0, 8)}</span> : null}
              </td>
              <td className="numeric">{format.delta(row.delta)}</td>
              <td className="numeric">
                {format.number(row.previousScore)} → {format.number(row.newScore)}
              </td>
              <td className="muted">
                {row.ip ?? "?"} · {row.userAgent?.slice(0, 40) ?? "?"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {log.hasNextPage ? (
        <button type="button" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>
          Load more
        </button>
      ) : null}
    </section>
  );
}

/** Grey rows where a table's first page will be, while it is on its way (the table says it is busy). */
function LoadingRows({ columns, rows = 3 }: { columns: number; rows?: number }) {
  return Array.from({ length: rows }, (_, index) => (
    <tr key={index} aria-hidden="true">
      <td colSpan={columns}>
        <span className="skeleton-bar" style={{ width: `${60 - index * 12}%` }} />
      </td>
    </tr>
  ));
}
