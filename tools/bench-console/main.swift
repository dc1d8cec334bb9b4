// The console's speed in a real headless Chromium against the whole demo (`tianyan demo`: the
// sample fleet, simulated docks and radios, the live feed):
//   1. first load: navigation start → the map drawn with every unit (a logged-in session, cold
//      browser cache, a fresh browser each run), against the reference of loading a plain
//      static document from the same server in the same browser;
//   2. fluidity with 5,000 radios: 5,000 radio markers (clustered as the zoom asks) taking
//      1,000 position updates a second through the same handler the live feed feeds, while the
//      map pans every frame: frame intervals and draw times, against the same pan with no
//      radios injected.
// Usage: bench-console [--runs N] [--radios N] [--seconds S]
import Foundation
import TianyanTesting

func option(_ name: String, _ fallback: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
    return v
}
let runs = option("--runs", 5), radios = option("--radios", 5000), seconds = option("--seconds", 8)

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}
/// A JSON number as a Double (JSONSerialization may hand long fractions over as NSDecimalNumber).
func number(_ v: Any?) -> Double { (v as? NSNumber)?.doubleValue ?? (v as? Double) ?? .nan }
func numbers(_ v: Any?) -> [Double] { (v as? [Any])?.map { number($0) } ?? [] }
func f(_ v: Double) -> String { String(format: "%.1f", v) }

let bin = (CommandLine.arguments[0] as NSString).deletingLastPathComponent
let tianyan = bin + "/tianyan"
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-console-\(getpid())").path
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: dir) }
let port = try WebDriver.freeLoopbackPort()
let demo = try ChildProcess(tianyan, ["demo", "--database", dir + "/db.sqlite", "--data", dir + "/data", "--set", "http=127.0.0.1:\(port)",
                                      "--set", "profiles_dir=\(packageRoot())/firmware-profiles", "--flying", "6",
                                      "--run-for", "900"], directory: dir)
defer { demo.signal(SIGTERM) }
try await waitUntil("the demo to start", timeout: .seconds(120)) { demo.stdout.contains("ready (Ctrl-C") || !demo.isRunning }
guard demo.isRunning else { print(demo.stderr.suffix(3000)); exit(1) }
let password = try String(contentsOfFile: dir + "/data/users/dispatcher.password", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
let base = "http://127.0.0.1:\(port)"
// Let the simulators report for a while so the console loads a living picture.
try await Task.sleep(for: .seconds(20))
let api = APIClient(address: "127.0.0.1:\(port)")
try await api.login("dispatcher", password: password)
guard let token = api.token else { print("login failed"); exit(1) }
let units = (try await api.request("GET", "/api/v1/units?limit=10000").json["total"] as? Int) ?? 0


print("bench-console: demo on \(base), \(units) units known; \(runs) cold loads, then \(radios) radios for \(seconds) s")
var loads: [Double] = [], live: [Double] = [], references: [Double] = [], transferred: [Double] = []
for _ in 0..<runs {
    let web = try await WebDriver()
    // Reference: a plain static document (the console's style sheet) from the same server, cold.
    try await web.navigate(base + "/console/console.css")
    let ref = number(try await web.execute("const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd || n.responseEnd"))
    references.append(ref)
    // The console, already logged in (the token in the tab's session storage), cold cache for its files.
    try await web.execute("sessionStorage.setItem('tianyan.token', arguments[0])", [token])
    try await web.execute("return 0")
    try await web.navigate(base + "/")
    try await waitUntil("the console ready", timeout: .seconds(30), poll: .milliseconds(20)) {
        try await web.execute("return document.body.dataset.ready === 'true'") as? Bool == true
    }
    let at = number(try await web.execute("return window.tianyan.readyAt"))
    loads.append(at)
    try await waitUntil("the live feed", timeout: .seconds(10), poll: .milliseconds(20)) {
        try await web.execute("return window.tianyan.liveState.connected") as? Bool == true
    }
    live.append(number(try await web.execute("return performance.now()")))
    let bytes = number(try await web.execute("return performance.getEntriesByType('resource').reduce((a, e) => a + (e.transferSize || 0), 0) + performance.getEntriesByType('navigation')[0].transferSize"))
    transferred.append(bytes / 1024)
    await web.quit()
}
print("first load (navigation → map drawn with \(units) units), ms: median \(f(percentile(loads, 0.5))), max \(f(loads.max() ?? .nan)) over \(runs) cold loads; live feed subscribed by \(f(percentile(live, 0.5))) ms")
print("reference (a static document from the same server, cold), ms: median \(f(percentile(references, 0.5))); ratio \(String(format: "%.1f", percentile(loads, 0.5) / percentile(references, 0.5)))×")
print("transferred per load: \(f(percentile(transferred, 0.5))) KiB")

// Fluidity: the same browser, the console loaded; a pan every frame with and without radios.
let web = try await WebDriver()
try await web.navigate(base + "/")
try await web.execute("sessionStorage.setItem('tianyan.token', arguments[0])", [token])
try await web.navigate(base + "/")
try await waitUntil("the console ready", timeout: .seconds(30), poll: .milliseconds(20)) {
    try await web.execute("return document.body.dataset.ready === 'true'") as? Bool == true
}
let measure = """
    const [count, seconds, zoom, done] = arguments;
    const t = window.tianyan, S = t.S, map = S.map;
    map.setView([34.2, 108.95], zoom, { animate: false });
    for (const id of [...S.units.keys()]) if (id.startsWith('bench-')) S.units.delete(id);
    const ids = [];
    for (let i = 0; i < count; i++) {
      const id = 'bench-' + i; ids.push(id);
      S.units.set(id, { id, kind: 'radio', name: id, online: true, last_seen: new Date().toISOString(),
        position: { lat: 34.05 + Math.random() * 0.3, lon: 108.75 + Math.random() * 0.4 } });
    }
    const intervals = [], updates = { n: 0 };
    t.frameStats.durations.length = 0;
    let last = 0, dir = 1, start = performance.now(), carry = 0;
    const step = (now) => {
      if (last) intervals.push(now - last);
      last = now;
      // 1,000 updates a second, spread over the frames, through the live feed's handler.
      carry += count ? (intervals.length ? intervals[intervals.length - 1] : 16) : 0;
      const n = Math.floor(carry);
      carry -= n;
      for (let k = 0; k < n; k++) {
        const u = S.units.get(ids[(updates.n++) % ids.length]);
        t.emit('position', { unit: u.id, time: new Date().toISOString(), lat: u.position.lat + (Math.random() - 0.5) * 1e-4,
          lon: u.position.lon + (Math.random() - 0.5) * 1e-4, alt_m: null, speed_mps: 1.2, heading_deg: null, accuracy_m: 10, source: 'lip' });
      }
      if (Math.round((now - start) / 1000) % 2 === 0) dir = 1; else dir = -1;
      map.panBy([3 * dir, 2 * dir], { animate: false });
      if (now - start < seconds * 1000) requestAnimationFrame(step);
      else {
        for (const id of ids) S.units.delete(id);
        done({ intervals, draws: t.frameStats.durations.slice(0), updates: updates.n });
      }
    };
    requestAnimationFrame(step);
    """
// The live feed's handler is the console's event bus; expose it for the bench only.
try await web.execute("return import('/console/js/util.js').then((m) => { window.tianyan.emit = m.emit; return 1; })")
try await waitUntil("the bus exposed", timeout: .seconds(5)) { try await web.execute("return typeof window.tianyan.emit === 'function'") as? Bool == true }
for zoom in [12, 16] {
    var rows: [String] = []
    for count in [0, radios] {
        let r = try await web.executeAsync(measure, [count, seconds, zoom]) as? [String: Any] ?? [:]
        let intervals = numbers(r["intervals"]), draws = numbers(r["draws"])
        let fps = intervals.isEmpty ? 0 : 1000 / (intervals.reduce(0, +) / Double(intervals.count))
        rows.append("\(count) radios: \(intervals.count) frames, \(f(fps)) fps; frame interval p50 \(f(percentile(intervals, 0.5))) / p95 \(f(percentile(intervals, 0.95))) / p99 \(f(percentile(intervals, 0.99))) / max \(f(intervals.max() ?? .nan)) ms; unit canvas draw p50 \(f(percentile(draws, 0.5))) / p95 \(f(percentile(draws, 0.95))) ms; \(r["updates"] ?? 0) position updates")
    }
    print("zoom \(zoom) (\(zoom < 15 ? "radios clustered" : "every radio drawn")), panning every frame:")
    for row in rows { print("  " + row) }
}
await web.quit()
