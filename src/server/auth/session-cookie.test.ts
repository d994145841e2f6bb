import { describe, expect, it } from "vitest";

import { sessionCookieName, sessionTokenFromCookies } from "./session-cookie";

const NAME = sessionCookieName(false);
const cookie = (name: string, value: string) => ({ name, value });

describe("sessionCookieName", () => {
  it("is next-auth's name for the scheme: __Secure- only on https", () => {
    expect(sessionCookieName(false)).toBe("next-auth.session-token");
    expect(sessionCookieName(true)).toBe("__Secure-next-auth.session-token");
  });
});

describe("sessionTokenFromCookies", () => {
  it("reads the one cookie of that name", () => {
    expect(sessionTokenFromCookies([cookie("other", "x"), cookie(NAME, "jwt")], NAME)).toBe("jwt");
  });

  it("joins next-auth's chunks in numeric order (10 after 9)", () => {
    const chunks = Array.from({ length: 11 }, (_, index) => cookie(`${NAME}.${index}`, `c${index}-`)).reverse();
    expect(sessionTokenFromCookies(chunks, NAME)).toBe(Array.from({ length: 11 }, (_, index) => `c${index}-`).join(""));
  });

  it("ignores the other scheme's cookie", () => {
    expect(sessionTokenFromCookies([cookie(sessionCookieName(true), "jwt")], NAME)).toBeNull();
    expect(sessionTokenFromCookies([cookie(NAME, "jwt")], sessionCookieName(true))).toBeNull();
  });

  it("takes only numeric chunk suffixes: look-alike names are not spliced in", () => {
    for (const name of [`${NAME}X`, `${NAME}.x`, `${NAME}.-1`, `${NAME}.01`, `${NAME}.1e1`, `${NAME}. 1`, `${NAME}.`]) {
      expect(sessionTokenFromCookies([cookie(`${NAME}.0`, "a"), cookie(name, "EVIL")], NAME), name).toBe("a");
    }
  });

  it("refuses chunks with a gap (a lost or foreign chunk is not a session)", () => {
    expect(sessionTokenFromCookies([cookie(`${NAME}.0`, "a"), cookie(`${NAME}.2`, "c")], NAME)).toBeNull();
    expect(sessionTokenFromCookies([cookie(`${NAME}.1`, "b")], NAME)).toBeNull();
  });

  it("is null without a session cookie", () => {
    expect(sessionTokenFromCookies([], NAME)).toBeNull();
    expect(sessionTokenFromCookies([cookie("next-auth.csrf-token", "x")], NAME)).toBeNull();
  });
});
