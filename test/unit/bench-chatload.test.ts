// The compiled load generator in the harness without running it: which cells it drives, its arguments, its JSON line as a row, the load-bound flag, pinning.

import { describe, expect, test } from "bun:test";
import {
  buildChatload,
  canPin,
  chatloadArgs,
  chatloadRow,
  LOAD_BOUND_CPU_PCT,
  loadBound,
  loadFor,
  onCore,
  parseChatload,
} from "../../bench/chatload.ts";
import { type LoadScenario, scenarios } from "../../bench/scenarios.ts";

/** A line chatload printed (`bun run bench --quick`, throughput: 50 members, 3,000 messages at full speed). */
const LINE =
  '{"tool":"chatload","port":41491,"members":50,"joined":50,"senders":1,"text_bytes":100,"rate":0,"mode":"count","sent":3000,"acked":3000,"acked_without_seq":0,"gave_up":0,"refused_says":0,"expected":147000,"delivered":147000,"lost":0,"loss_pct":0,"duplicates":0,"duplicate_deliveries":0,"own_echoes":3000,"before_stream":1275,"gaps_unrepaired":0,"lost_events":0,"incomplete_receivers":0,"per_receiver_min":3000,"per_receiver_max":3000,"window_s":0.3462,"acks_s":0.1938,"deliveries_per_s":424645,"lat_p50_us":168345.6,"lat_p90_us":181043.2,"lat_p99_us":197836.8,"lat_max_us":199168.3,"read_lat_p50_us":168755.2,"read_lat_p90_us":181862.4,"read_lat_p99_us":198246.4,"read_lat_max_us":199429.1,"send_lag_max_us":0,"coalesce_us":1000,"pace_granularity_us":0,"retransmissions":0,"waiting":0,"nacks":0,"nacked_events":0,"pings":14,"ticks":0,"datagrams":28250,"datagrams_in_window":28000,"frames":155600,"undecodable":0,"unproven_ignored":0,"foreign":0,"bad_payloads":0,"too_far_ahead":0,"leaves_seen":0,"datagrams_sent":3114,"says_sent":3000,"send_errors":0,"send_eagain":0,"recv_errors":0,"drops_at_members":0,"drops_at_server":0,"rcvbuf_effective":8388608,"join_s":0.042,"settle_s":0.309,"join_events":1225,"login_retries":0,"relogins":0,"epoch_changes":0,"quiet_reveals":0,"login_failed":0,"cookie_renewals":0,"hurried":0,"repeat_acks":0,"table_misses":0,"refused":{},"cpu_window_s":0.346,"load_cpu_s":0.123,"load_cpu_pct":35.4,"load_cpu_total_s":0.128,"server_cpu_s":0.32,"server_cpu_pct":92.4,"server_peak_rss_mb":76.6,"server_rss_mb":76.3,"epoll_calls":268,"epoll_ready":6508,"recv_calls":10035,"no_timestamp":0,"run_s":0.698,"deadline_hit":false}';

const byName = (quick: boolean) => new Map(scenarios(quick).map((s) => [s.name, s]));

describe("which load drives a cell", () => {
  test("with chatload built: the UDP cells with traffic; idle, browser members and the cluster keep the JavaScript load", () => {
    for (const quick of [true, false]) {
      const picked = scenarios(quick).flatMap((s) =>
        s.kind === "admin" ? [] : [[s.name, loadFor(s as LoadScenario, s.kind === "cluster" ? s.servers : 1, "/x/chatload")]],
      );
      expect(Object.fromEntries(picked)).toEqual({
        throughput: "chatload",
        latency: "chatload",
        scale: "chatload",
        "scale busy": "chatload",
        idle: "js",
        "web throughput": "js",
        web: "js",
        "web idle": "js",
        "cluster throughput": "js",
        "cluster latency": "js",
      });
    }
  });

  test("without chatload (no C compiler) every cell falls back to the JavaScript load", () => {
    const throughput = byName(false).get("throughput") as LoadScenario;
    expect(loadFor(throughput, 1, undefined)).toBe("js");
  });

  test("no compiler: the build says why instead of failing", () => {
    expect(buildChatload("/nonexistent", "/tmp", null)).toEqual({ why: "no C compiler (cc or gcc) on PATH" });
  });
});

describe("chatload's arguments", () => {
  test("a count cell: one sender, that many messages at full speed, the drain and the server's pid", () => {
    const s = byName(false).get("throughput") as LoadScenario;
    expect(chatloadArgs(s.load, 4000, 123)).toEqual([
      "-p",
      "4000",
      "-n",
      "100",
      "-s",
      "1",
      "-b",
      "100",
      "-m",
      "20000",
      "-r",
      "0",
      "-D",
      "5",
      "-S",
      "123",
    ]);
  });

  test("a rate cell: msgs/s for seconds", () => {
    const s = byName(false).get("scale") as LoadScenario;
    expect(chatloadArgs(s.load, 4000, 123)).toEqual([
      "-p",
      "4000",
      "-n",
      "1000",
      "-s",
      "1",
      "-b",
      "100",
      "-r",
      "200",
      "-d",
      "5",
      "-D",
      "5",
      "-S",
      "123",
    ]);
  });
});

describe("chatload's line as a row", () => {
  test("its figures land in the row's columns: latencies in ms, retransmissions with the nacks, both CPUs", () => {
    const row = chatloadRow("throughput", parseChatload(`[chatload] progress\n${LINE}\n`), true);
    expect({ ...row, note: undefined, raw: undefined }).toEqual({
      scenario: "throughput",
      server: "chat",
      ok: true,
      members: 50,
      sent: 3000,
      expected: 147000,
      delivered: 147000,
      lossPct: 0,
      deliveriesPerSec: 424645,
      p50Ms: 168345.6 / 1000, // µs in the line
      p99Ms: 197836.8 / 1000,
      maxMs: 199168.3 / 1000,
      retransmissions: 0,
      joinSeconds: 0.042,
      serverCpuPct: 92.4,
      serverPeakRssMb: 76.6,
      loadCpuPct: 35.4,
      windowSeconds: 0.3462,
      note: undefined,
      raw: undefined,
    });
    expect(row.note).toContain("chatload (C), server on core 0 and load on core 1 (taskset)");
    expect(row.note).toContain("kernel drops: 0 at the server's socket, 0 at the members'");
    expect(row.note).not.toContain("LOAD-BOUND");
  });

  test("a busy load process or drops at its sockets flag the row", () => {
    const c = parseChatload(LINE);
    expect(chatloadRow("t", { ...c, load_cpu_pct: 95 }, false).note).toContain("LOAD-BOUND (load CPU 95% ≥ 90%)");
    expect(chatloadRow("t", { ...c, drops_at_members: 7 }, false).note).toContain("LOAD-BOUND (7 datagrams dropped at the load's sockets)");
    expect(chatloadRow("t", c, false).note).toContain("chatload (C), not pinned");
  });

  test("members that never got in or undecodable datagrams fail the row", () => {
    const c = parseChatload(LINE);
    expect(chatloadRow("t", { ...c, joined: 49 }, true).ok).toBe(false);
    expect(chatloadRow("t", { ...c, undecodable: 1 }, true).ok).toBe(false);
  });

  test("no result line, or another program's JSON, is an error naming what came", () => {
    expect(() => parseChatload("chatload: bind: EADDRINUSE\n")).toThrow(
      'chatload printed no result line (got "chatload: bind: EADDRINUSE")',
    );
    expect(() => parseChatload('{"tool":"udpload"}')).toThrow("chatload's result line lacks its fields");
  });
});

describe("the load-bound flag and pinning", () => {
  test("below the threshold and no drops: no flag; at it, or with drops (the JavaScript load's too): a flag", () => {
    expect(loadBound(LOAD_BOUND_CPU_PCT - 1, 0)).toBeUndefined();
    expect(loadBound(null, null)).toBeUndefined();
    expect(loadBound(LOAD_BOUND_CPU_PCT, 0)).toContain("LOAD-BOUND");
    expect(loadBound(10, 3)).toContain("3 datagrams dropped");
  });

  test("taskset and two cores pin; either missing leaves the command as it is", () => {
    expect(canPin("/usr/bin/taskset", 2)).toBe(true);
    expect(canPin(null, 8)).toBe(false);
    expect(canPin("/usr/bin/taskset", 1)).toBe(false);
    expect(onCore(true, 1, ["chatload", "-n", "5"])).toEqual(["taskset", "-c", "1", "chatload", "-n", "5"]);
    expect(onCore(false, 1, ["chatload"])).toEqual(["chatload"]);
  });
});
