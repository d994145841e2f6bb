import { describe, expect, it } from "vitest";

import { clientIp, ipBucket, normalizeIp } from "./client-ip";

const forwardedFor = (value: string) => new Headers({ "X-Forwarded-For": value });

describe("clientIp", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["203.0.113.7, 10.0.0.1, 10.0.0.2", "203.0.113.7"],
    ["203.0.113.7,10.0.0.1", "203.0.113.7"],
    ["  203.0.113.7  , 10.0.0.1", "203.0.113.7"],
    ["\t203.0.113.7", "203.0.113.7"],
    ["203.0.113.7:5678", "203.0.113.7"],
    ["203.0.113.7:5678, 10.0.0.1", "203.0.113.7"],
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8::A", "2001:db8::a"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["::1", "::1"],
    ["[::1]:3000", "::1"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["::FFFF:7f00:1", "127.0.0.1"],
    ["0:0:0:0:0:ffff:203.0.113.7", "203.0.113.7"],
  ])("%j → %s", (header, ip) => {
    expect(clientIp(forwardedFor(header))).toBe(ip);
  });

  it.each([
    "",
    " ",
    ",",
    ", 203.0.113.7",
    "unknown",
    "evil.example.com",
    "203.0.113",
    "203.0.113.256",
    "203.0.113.7:",
    "203.0.113.7:port",
    "203.0.113.7:123456",
    "2001:db8::1:443:",
    "[2001:db8::1",
    "[203.0.113.7]x",
    "1.2.3.4 5.6.7.8",
    "<script>",
  ])("%j → null", (header) => {
    expect(clientIp(forwardedFor(header))).toBeNull();
  });

  it("is null without the header, and ignores X-Real-IP and Forwarded", () => {
    expect(clientIp(new Headers())).toBeNull();
    expect(clientIp(new Headers({ "X-Real-IP": "203.0.113.7", Forwarded: "for=203.0.113.7" }))).toBeNull();
  });

  it("handles a 10 kB header without trouble", () => {
    const many = Array.from({ length: 800 }, (_, i) => `10.0.${i % 256}.${i % 250}`).join(", ");
    expect(many.length).toBeGreaterThan(10_000);
    expect(clientIp(forwardedFor(`198.51.100.9, ${many}`))).toBe("198.51.100.9");
    const garbage = "9".repeat(10_000);
    const started = performance.now();
    expect(clientIp(forwardedFor(garbage))).toBeNull();
    expect(clientIp(forwardedFor(`[${":".repeat(10_000)}]`))).toBeNull();
    expect(clientIp(forwardedFor(`${"1.".repeat(5_000)}:1`))).toBeNull();
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe("normalizeIp", () => {
  it.each([
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["::FFFF:a01:203", "10.1.2.3"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["fe80::1%eth0", "fe80::1%eth0"],
  ])("%s → %s: one spelling per address", (address, normalised) => {
    expect(normalizeIp(address)).toBe(normalised);
  });

  it.each(["not an ip", "", "127.1", "0x7f.0.0.1", "017.0.0.1", "1::2::3", "::ffff:999.1.1.1", "2001:db8::1/64", "fe80::1%"])("%j → null", (address) => {
    expect(normalizeIp(address)).toBeNull();
  });
});

describe("ipBucket", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["unknown", "unknown"],
    ["127.1", "127.1"],
  ])("%s → %s", (ip, bucket) => {
    expect(ipBucket(ip)).toBe(bucket);
  });
});
