import { readFileSync, readdirSync } from "node:fs";
const dir = ".cache/profiles";
const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))!;
const p = JSON.parse(readFileSync(`${dir}/${file}`, "utf8"));
const byId = new Map(p.nodes.map((n: any) => [n.id, n]));
const self = new Map<number, number>();
const dt = p.timeDeltas as number[];
let t = 0;
const cut = Number(process.argv[2] ?? 0) * 1e6;
p.samples.forEach((id: number, i: number) => {
  t += dt[i] ?? 0;
  if (t >= cut) self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0));
});
console.log("profile s", (t / 1e6).toFixed(1));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfByFn = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
for (const [id, t] of self) {
  const n: any = byId.get(id);
  const key = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber}`;
  selfByFn.set(key, (selfByFn.get(key) ?? 0) + t);
  all += t;
  // inclusive by file
  const seen = new Set<string>();
  let cur: number | undefined = id;
  while (cur !== undefined) {
    const m: any = byId.get(cur);
    const f = m.callFrame.url.split("/").slice(-3).join("/") || m.callFrame.functionName;
    if (!seen.has(f)) { total.set(f, (total.get(f) ?? 0) + t); seen.add(f); }
    cur = parent.get(cur);
  }
}
const idle = [...selfByFn].filter(([k]) => k.startsWith("(idle)")).reduce((a, [, v]) => a + v, 0);
console.log("busy ms", Math.round((all - idle) / 1000));
for (const [k, v] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((v / 1000).toFixed(0).padStart(6), k);
console.log("--- inclusive by file");
for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((v / 1000).toFixed(0).padStart(6), k);
