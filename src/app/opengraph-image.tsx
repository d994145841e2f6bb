import { ImageResponse } from "next/og";

import { api } from "~/trpc/server";

// The picture a shared link shows: the live board's current top 3, drawn on request.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";
export const alt = "Live Scoreboard: the current top 3";
export const size = { width: 1200, height: 630 };
export const contentType = "image/png";

const MEDALS = ["#d4a017", "#a8a9ad", "#b87333"];

export default async function OpenGraphImage() {
  const board = await api.leaderboard.top({ limit: 3 }).catch(() => null);
  const entries = board?.entries ?? [];
  return new ImageResponse(
    (
      <div style={{ width: "100%", height: "100%", display: "flex", flexDirection: "column", padding: 72, background: "#101217", color: "#e8eaef" }}>
        <div style={{ display: "flex", fontSize: 64, fontWeight: 700 }}>Live Scoreboard</div>
        <div style={{ display: "flex", fontSize: 32, color: "#9aa2b1", marginTop: 12 }}>
          {entries.length > 0 ? "The top 3, live" : board ? "No players yet: be the first on the board" : "The top 10, live"}
        </div>
        <div style={{ display: "flex", flexDirection: "column", marginTop: 48, gap: 20 }}>
          {entries.map((entry, index) => (
            <div key={entry.userId} style={{ display: "flex", alignItems: "center", fontSize: 48, background: "#181b22", borderRadius: 20, padding: "18px 32px" }}>
              <div style={{ display: "flex", width: 72, height: 72, borderRadius: 36, background: MEDALS[index], color: "#101217", justifyContent: "center", alignItems: "center", fontWeight: 700 }}>
                {entry.rank}
              </div>
              <div style={{ display: "flex", flexGrow: 1, marginLeft: 32, overflow: "hidden" }}>{entry.displayName}</div>
              <div style={{ display: "flex", color: "#7a9cff", fontWeight: 700 }}>{entry.score.toLocaleString("en")}</div>
            </div>
          ))}
        </div>
      </div>
    ),
    size,
  );
}
