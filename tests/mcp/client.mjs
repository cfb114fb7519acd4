// SPDX-License-Identifier: MIT
// Drives `fastport mcp` with the official MCP TypeScript SDK client
// (Client + StdioClientTransport), then with raw JSON-RPC lines for what a
// well-behaved client never sends. Run by tests/mcp/run inside the lab's
// scanner namespace, where serve listens; the environment names the
// binary (FASTPORT), serve (MCP_URL), the token files, the target
// namespace and its listener script. Prints "ok ..." / "FAIL ..." lines and
// "client: N passed, N failed"; exits 1 on a failure.
import { spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";

const env = process.env;
const FASTPORT = env.FASTPORT;
const mcpArgs = (tokenFile) => ["mcp", "--url", env.MCP_URL, "--token-file", tokenFile];
let pass = 0, fail = 0;
const ok = (name) => { pass++; console.log(`ok   ${name}`); };
const bad = (name, why) => { fail++; console.log(`FAIL ${name}: ${why}`); };
const check = (name, want, got) => {
  const w = JSON.stringify(want), g = JSON.stringify(got);
  if (w === g) ok(name); else bad(name, `want ${w}, got ${g}`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the SDK client ----
const transport = new StdioClientTransport({ command: FASTPORT, args: mcpArgs(env.TOKEN_FILE), stderr: "inherit" });
const client = new Client({ name: "fastport-tests", version: "1.0.0" });
await client.connect(transport);
check("serverInfo.name", "fastport", client.getServerVersion()?.name);
check("capabilities: tools only", ["tools"], Object.keys(client.getServerCapabilities() ?? {}));

const { tools } = await client.listTools();
const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
check("tool names", ["get_changes", "get_findings", "get_scan", "list_scans", "start_scan"],
  tools.map((t) => t.name).sort());
check("start_scan annotations",
  { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  (({ readOnlyHint, destructiveHint, idempotentHint, openWorldHint }) =>
    ({ readOnlyHint, destructiveHint, idempotentHint, openWorldHint }))(byName.start_scan.annotations));
for (const n of ["get_scan", "get_findings", "get_changes", "list_scans"]) {
  const a = byName[n].annotations;
  check(`${n} annotations`, [true, false], [a.readOnlyHint, a.openWorldHint]);
}
for (const t of tools) {
  const s = t.inputSchema;
  if (s.type === "object" && s.additionalProperties === false && typeof s.properties === "object" &&
      typeof t.description === "string" && t.description.length > 20)
    ok(`${t.name} schema is a closed object with a description`);
  else bad(`${t.name} schema`, JSON.stringify(s));
}
check("start_scan requires targets", ["targets"], byName.start_scan.inputSchema.required);
check("start_scan targets is an array of strings", ["array", "string"],
  [byName.start_scan.inputSchema.properties.targets.type, byName.start_scan.inputSchema.properties.targets.items.type]);
check("get_scan requires id (32 hex)", [["id"], "^[0-9a-f]{32}$"],
  [byName.get_scan.inputSchema.required, byName.get_scan.inputSchema.properties.id.pattern]);
check("states enum", ["open", "closed", "filtered", "open|filtered", "all"],
  byName.start_scan.inputSchema.properties.states.items.enum);

const call = (name, args) => client.callTool({ name, arguments: args });
const sc = (r) => r.structuredContent;
// Text and structured content say the same.
const sameText = (name, r) => {
  try {
    check(`${name}: text is the structured content`, sc(r), JSON.parse(r.content[0].text));
  } catch (e) { bad(`${name}: text`, String(e)); }
};

// Poll get_scan until the scan ends (a bounded count, no clock).
async function waitEnd(id) {
  let s;
  for (let i = 0; i < 3000; i++) {
    s = sc(await call("get_scan", { id }));
    if (["complete", "failed", "interrupted"].includes(s.state)) return s;
    await sleep(100);
  }
  return s;
}

// The lab's ground truth: 198.19.0.0/28 listens on 22, 80 and 8080; 443 refuses.
function truth(extraOpen = []) {
  const want = new Set();
  for (let i = 0; i < 16; i++) {
    const ip = `198.19.0.${i}`;
    for (const p of [22, 80, 8080, ...extraOpen]) want.add(`${ip} ${p} open`);
    if (!extraOpen.includes(443)) want.add(`${ip} 443 closed`);
  }
  return want;
}
const task = { targets: ["198.19.0.0/28"], ports: "22,80,443,8080", states: ["open", "closed"],
  allow_reserved: true, rate: 20000, name: "mcp lab" };

let r = await call("start_scan", task);
check("start_scan is no error", false, r.isError);
sameText("start_scan", r);
const id = sc(r).id;
check("start_scan gives an id", true, /^[0-9a-f]{32}$/.test(id));
check("start_scan: queued", "queued", sc(r).state);
const done = await waitEnd(id);
check("scan ends complete", "complete", done.state);
check("progress 1", 1, done.progress);
check("counters.open", 48, done.counters?.open);

async function findings(id, args = {}) {
  const r = await call("get_findings", { id, ...args });
  return r.isError ? { error: sc(r) } : sc(r);
}
let f = await findings(id);
const got = new Set(f.events.map((e) => `${e.target.ip} ${e.target.port} ${e.result.state}`));
const want = truth();
const missing = [...want].filter((x) => !got.has(x)), extra = [...got].filter((x) => !want.has(x));
if (!missing.length && !extra.length) ok("findings equal the lab's listeners");
else bad("findings equal the lab's listeners", `missing ${missing.slice(0, 5)} extra ${extra.slice(0, 5)}`);
check("findings: every one port_state", [64, true], [f.returned, f.events.every((e) => e.kind === "port_state")]);
check("findings: no more", false, f.more);
check("findings: schema and scan_id", true,
  f.events.every((e) => e.schema === "threat_event_v1" && e.scan_id === done.scan_id));
// Paging: limit and offset walk the same events.
const pages = [];
for (let off = 0, more = true; more && off < 1000;) {
  const p = await findings(id, { limit: 10, offset: off });
  pages.push(...p.events);
  more = p.more;
  off += p.returned;
}
check("paging with limit 10 gives the same 64", JSON.stringify(f.events), JSON.stringify(pages));
f = await findings(id, { limit: 5 });
check("limit 5: 5 and more", [5, true], [f.returned, f.more]);
f = await findings(id, { kind: "scan_completed" });
check("kind scan_completed: one", [1, "scan_completed"], [f.returned, f.events[0]?.kind]);
f = await findings(id, { kind: "all" });
check("kind all has scan_started, the 64 and scan_completed", [true, 64, true],
  [f.events.some((e) => e.kind === "scan_started"), f.events.filter((e) => e.kind === "port_state").length,
   f.events.some((e) => e.kind === "scan_completed")]);
check("kind all: no line skipped", undefined, f.skipped_lines);

r = await call("list_scans", {});
check("list_scans has the scan", true, sc(r).scans.some((s) => s.id === id));
r = await call("list_scans", { state: "running" });
check("list_scans state filter", 0, sc(r).scans.filter((s) => s.id === id).length);

// Scope: serve's 403 becomes a tool error carrying serve's reason.
r = await call("start_scan", { targets: ["198.19.0.0/23"], allow_reserved: true });
check("out of scope: isError", true, r.isError);
check("out of scope: status 403", 403, sc(r)?.status);
if (/198\.19\.1\.0\/24/.test(r.content[0].text)) ok("out of scope: the reason names 198.19.1.0/24");
else bad("out of scope reason", r.content[0].text);
r = await call("start_scan", { targets: ["198.19.0.0/28"] });
check("reserved without allow_reserved: 403 tool error", [true, 403], [r.isError, sc(r)?.status]);
r = await call("start_scan", { targets: ["198.19.0.1"], allow_reserved: true, rate: 50001 });
check("rate above --max-rate: 400 tool error", [true, 400], [r.isError, sc(r)?.status]);
r = await call("start_scan", { targets: ["198.19.0.1"], allow_reserved: true, ports: "99999" });
check("bad port spec: 400 tool error", [true, 400], [r.isError, sc(r)?.status]);

// Bad arguments (2025-11-25: tool errors the model can read), unknown tools (protocol errors).
for (const [name, args, what] of [
  ["start_scan", {}, "targets is required"],
  ["start_scan", { targets: "198.19.0.1" }, "targets not an array"],
  ["start_scan", { targets: ["198.19.0.1"], rate: "fast" }, "rate not an integer"],
  ["start_scan", { targets: ["198.19.0.1"], portz: "22" }, "unknown argument"],
  ["start_scan", { targets: ["198.19.0.1"], states: ["up"] }, "state not in the enum"],
  ["get_scan", { id: "../../metrics" }, "id not a scan id"],
  ["get_findings", { id, limit: 0 }, "limit below 1"],
]) {
  r = await call(name, args);
  if (r.isError && /argument|unknown/.test(r.content[0].text)) ok(`bad argument (${what}): tool error`);
  else bad(`bad argument (${what})`, JSON.stringify(r));
}
try {
  await call("no_such_tool", {});
  bad("unknown tool", "no error");
} catch (e) {
  check("unknown tool: JSON-RPC -32602", [true, -32602], [e instanceof McpError, e.code]);
}
r = await call("get_scan", { id: "0".repeat(32) });
check("unknown scan: 404 tool error", [true, 404], [r.isError, sc(r)?.status]);

// Exposure changes (GET /v1/changes?since=): a second scan with 443 open too.
const l443 = spawn("ip", ["netns", "exec", env.NS_T, env.PY, env.LISTEN_PY, "443"], { stdio: "ignore" });
let up = false;
for (let i = 0; i < 300 && !up; i++) {
  await sleep(100);
  const s = spawn("ip", ["netns", "exec", env.NS_T, "ss", "-ltnH", "sport = :443"]);
  let out = "";
  s.stdout.on("data", (d) => (out += d));
  await new Promise((res) => s.on("close", res));
  up = out.trim().length > 0;
}
check("listener on 443 up", true, up);
r = await call("start_scan", { ...task, name: "mcp lab 2" });
const id2 = sc(r).id;
check("second scan complete", "complete", (await waitEnd(id2)).state);
f = await findings(id2);
const got2 = new Set(f.events.map((e) => `${e.target.ip} ${e.target.port} ${e.result.state}`));
check("second scan: 443 open everywhere", [...truth([443])].sort(), [...got2].sort());
l443.kill();
// Since the first scan: the changes the second one computed, 443 opened on all 16.
r = await call("get_changes", { since: id });
if (r.isError && sc(r)?.status === 404) {
  // This serve has no /v1/changes (or no store): the tool must say so as a tool error.
  ok("get_changes: serve without /v1/changes gives a 404 tool error");
  r = await call("get_changes", { since: "not a time" });
  check("get_changes(since): still a tool error", true, r.isError);
} else {
  check("get_changes: no error", false, r.isError);
  sameText("get_changes", r);
  const ch = sc(r).events ?? [];
  const want = [...Array(16).keys()].map((i) => `198.19.0.${i} 443 opened`).sort();
  check("get_changes since the first scan: 443 opened on the 16", want,
    ch.map((e) => `${e.target?.ip} ${e.target?.port} ${e.change}`).sort());
  check("get_changes: exposure_change events", true, ch.every((e) => e.kind === "exposure_change"));
  r = await call("get_changes", { since: done.created, limit: 1 });
  check("get_changes since a time, limit 1", [false, 1, true], [r.isError, sc(r)?.returned, sc(r)?.more]);
  r = await call("get_changes", { since: "not a time" });
  check("get_changes with a bad since: 400 tool error", [true, 400], [r.isError, sc(r)?.status]);
  if (/since/.test(r.content[0].text)) ok("get_changes 400 names since");
  else bad("get_changes 400 reason", r.content[0].text);
}
await client.close();

// A wrong token: serve's 401 as a tool error, the token never echoed.
{
  const t = new StdioClientTransport({ command: FASTPORT, args: mcpArgs(env.BAD_TOKEN_FILE), stderr: "inherit" });
  const c = new Client({ name: "fastport-tests", version: "1.0.0" });
  await c.connect(t);
  const r = await c.callTool({ name: "list_scans", arguments: {} });
  check("wrong token: 401 tool error", [true, 401], [r.isError, r.structuredContent?.status]);
  await c.close();
}

// ---- raw JSON-RPC lines ----
// Sends lines (strings, or Buffers as they are), closes standard input and
// collects every line of standard output and the exit status.
function raw(lines) {
  return new Promise((resolve) => {
    const p = spawn(FASTPORT, mcpArgs(env.TOKEN_FILE), { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("close", (code) => resolve({ code, lines: out.split("\n").filter((l) => l.length) }));
    for (const l of lines) p.stdin.write(typeof l === "string" ? l + "\n" : l);
    p.stdin.end();
  });
}
const init = (v, id = 1) => JSON.stringify({ jsonrpc: "2.0", id, method: "initialize",
  params: { protocolVersion: v, capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
const big = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":{\"x\":\"" + "a".repeat(2 << 20) + "\"}}";
const res = await raw([
  init("2025-06-18"),
  JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
  "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":",
  JSON.stringify([{ jsonrpc: "2.0", id: 4, method: "ping" }]),
  JSON.stringify({ jsonrpc: "2.0", id: 5 }),
  JSON.stringify({ jsonrpc: "1.0", id: 6, method: "ping" }),
  JSON.stringify({ jsonrpc: "2.0", id: 7, method: "resources/list" }),
  JSON.stringify({ jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "get_scan", arguments: { id: 1 } } }),
  big,
  JSON.stringify({ jsonrpc: "2.0", id: "after", method: "tools/call", params: { name: "get_scan", arguments: { id } } }),
  JSON.stringify({ jsonrpc: "2.0", id: 10, method: "tools/call", params: { arguments: {} } }),
  "",
  Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 11, method: "ping" }) + "\r\n"),
  JSON.stringify({ jsonrpc: "2.0", id: { x: 1 }, method: "ping" }),
  Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 12, method: "ping" })), // no newline before EOF
]);
check("raw: exit 0 at the end of standard input", 0, res.code);
let msgs = [];
try {
  msgs = res.lines.map((l) => JSON.parse(l));
  ok("raw: standard output holds JSON lines only");
} catch (e) { bad("raw: standard output holds JSON lines only", res.lines.join(" | ").slice(0, 300)); }
const byId = (id) => msgs.find((m) => JSON.stringify(m.id) === JSON.stringify(id));
check("raw: every answer is jsonrpc 2.0", true, msgs.every((m) => m.jsonrpc === "2.0"));
check("raw: initialize answers 2025-06-18", "2025-06-18", byId(1)?.result?.protocolVersion);
check("raw: ping", {}, byId(2)?.result);
const nulls = msgs.filter((m) => m.id === null).map((m) => m.error.code);
check("raw: parse error, batch, too large, bad id (id null)", [-32700, -32600, -32700, -32600], nulls);
check("raw: no method: invalid request", -32600, byId(5)?.error?.code);
check("raw: jsonrpc 1.0: invalid request", -32600, byId(6)?.error?.code);
check("raw: resources/list: method not found", -32601, byId(7)?.error?.code);
check("raw: bad argument on 2025-06-18: invalid params", -32602, byId(8)?.error?.code);
check("raw: after a too large message the next is answered", id, byId("after")?.result?.structuredContent?.id);
check("raw: tools/call without a name: invalid params", -32602, byId(10)?.error?.code);
check("raw: CRLF line", {}, byId(11)?.result);
check("raw: a last line without a newline", {}, byId(12)?.result);
check("raw: answers", 14, msgs.length);
check("raw: notification unanswered", 0, msgs.filter((m) => m.id === undefined).length);

// Events pass through as serve wrote them: scan_started's 64-bit seed keeps every digit.
{
  const { readFileSync } = await import("node:fs");
  const tok = readFileSync(env.TOKEN_FILE, "utf8").trim();
  const direct = await (await fetch(`${env.MCP_URL}/v1/scans/${id}/events?kind=scan_started`,
    { headers: { Authorization: `Bearer ${tok}` } })).text();
  const viaMcp = await raw([init("2025-11-25"), JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call",
    params: { name: "get_findings", arguments: { id, kind: "scan_started" } } })]);
  const seed = (t) => (/"seed":(\d+)/.exec(t) ?? [])[1];
  check("scan_started's seed digit for digit", [true, seed(direct)], [seed(direct) !== undefined, seed(viaMcp.lines[1])]);
}
const neg = await raw([init("1999-01-01")]);
check("raw: unknown revision gets ours", "2025-11-25", JSON.parse(neg.lines[0] ?? "{}").result?.protocolVersion);
const empty = await raw([]);
check("raw: empty input: exit 0, nothing written", [0, 0], [empty.code, empty.lines.length]);

console.log(`client: ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
