import Foundation

/// The dashboard's page (DESIGN.md, "Dashboard"): static, built into the binary, with no
/// inline script or style (the Content-Security-Policy forbids them) and no value from the
/// spool in it; `dashboard.js` fills it from `/api/` and `/events`, as text only.
enum DashboardHTML {
    /// The page as served. Without a token, the browser fetches the list's first page while
    /// it loads the script (`dashboard.js` asks for the same URL and gets that response),
    /// which saves the first screen a round trip after the script starts. With a token the
    /// request needs a header a preload cannot send, so the script asks for it itself.
    static func page(preloadList: Bool) -> String {
        template.replacingOccurrences(of: "<!--preload-->", with: preloadList ? #"<link rel="preload" href="/api/jobs?limit=50" as="fetch" crossorigin>"# : "")
    }

    private static let template = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Spool</title>
    <!--preload-->
    <link rel="stylesheet" href="/dashboard.css">
    <script src="/dashboard.js" defer></script>
    </head>
    <body>
    <header>
      <h1>Spool</h1>
      <span id="live" class="live off">connecting…</span>
    </header>
    <form id="token-form" hidden>
      <label>This server needs its token (spool-mcp --token): <input id="token" type="password" autocomplete="off"></label>
      <button type="submit">Use token</button>
    </form>
    <section id="stats" aria-label="Queue">
      <div class="stat"><span class="label">sync queue</span><span id="stat-sync" class="value">–</span></div>
      <div class="stat"><span class="label">async queue</span><span id="stat-async" class="value">–</span></div>
      <div class="stat"><span class="label">running</span><span id="stat-running" class="value">–</span></div>
      <div class="stat"><span class="label">workers</span><span id="stat-workers" class="value">–</span></div>
      <div class="stat"><span class="label">slots</span><span id="stat-slots" class="value">–</span></div>
    </section>
    <p id="policy" class="policy"></p>
    <section id="charts" aria-label="The last hour">
      <figure><figcaption>jobs finished per minute, last hour (red: not succeeded)</figcaption><svg id="chart-finished" viewBox="0 0 600 80" role="img"></svg></figure>
      <figure><figcaption>mean wait before start, seconds per minute</figcaption><svg id="chart-wait" viewBox="0 0 600 80" role="img"></svg></figure>
    </section>
    <main>
      <section id="list" aria-label="Jobs">
        <form id="filters">
          <select id="filter-state" aria-label="state">
            <option value="">every state</option>
            <option>queued</option><option>running</option><option>succeeded</option><option>failed</option>
            <option>timed_out</option><option>cancelled</option><option>lost</option>
          </select>
          <input id="filter-host" placeholder="host" aria-label="host">
          <input id="filter-client" placeholder="client" aria-label="client">
          <input id="filter-q" placeholder="search commands" aria-label="search">
          <button type="submit">Filter</button>
        </form>
        <table>
          <thead><tr><th>created</th><th>state</th><th>command</th><th>host</th><th>client</th><th>exit</th></tr></thead>
          <tbody id="jobs"></tbody>
        </table>
        <p class="paging"><button id="newer" type="button">Newest</button> <button id="older" type="button">Older</button> <span id="total"></span></p>
      </section>
      <section id="job" aria-label="Job" hidden>
        <h2 id="job-id"></h2>
        <dl id="job-facts"></dl>
        <p class="actions">
          <button id="cancel" type="button">Cancel</button>
          <button id="promote" type="button">Promote</button>
          <button id="rerun" type="button">Run again</button>
          <span id="action-result"></span>
        </p>
        <p><button id="earlier" type="button" hidden>Load earlier output</button></p>
        <pre id="output"></pre>
        <pre id="screen" hidden></pre>
      </section>
    </main>
    <section id="extras">
      <section id="workers-pane"><h2>Workers</h2><table><thead><tr><th>worker</th><th>machine</th><th>pid</th><th>slots</th><th>running</th><th>heartbeat</th></tr></thead><tbody id="workers"></tbody></table></section>
      <section id="hosts-pane" hidden><h2>Worker hosts <span id="hosts-age" class="age"></span></h2><table><thead><tr><th>host</th><th>relay</th><th>running</th><th>slots</th><th>since</th></tr></thead><tbody id="hosts"></tbody></table></section>
      <section id="sessions-pane" hidden><h2>Sessions</h2><table><thead><tr><th>session</th><th>state</th><th>cwd</th><th>worker</th><th>commands</th></tr></thead><tbody id="sessions"></tbody></table></section>
      <section id="files-pane" hidden><h2>Watched files</h2><ul id="files"></ul><pre id="file-tail" hidden></pre></section>
      <section id="backups-pane" hidden><h2>Backups</h2><ul id="backups"></ul><pre id="backup-diff" hidden></pre></section>
    </section>
    </body>
    </html>
    """#
}
