/// `dashboard.js`: fills the page from `/api/` and follows `/events` (through fetch, so the
/// token can go in a header; reconnecting with `Last-Event-ID`, so nothing is missed across
/// a restart of spool-mcp). Every value from the spool is set with `textContent`, never as
/// HTML. A job's output shows its last 64 KiB; earlier parts load on demand.
enum DashboardScript {
    static let source = #"""
    "use strict";
    const $ = (id) => document.getElementById(id);
    const tail = 65536;
    // The most output text kept on the page: a job printing 50 MB must not freeze the tab.
    // Past it, the oldest text goes (and "Load earlier output" brings back what is asked for).
    const keep = 1 << 20;
    let token = sessionStorage.getItem("spool-token") || "";
    // #token=…: the token once, kept for this tab (a fragment never reaches a server log);
    // #job=…: open that job's page (a link to share).
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.has("token")) {
      token = fragment.get("token");
      sessionStorage.setItem("spool-token", token);
      fragment.delete("token");
      history.replaceState(null, "", location.pathname + (fragment.toString() ? "#" + fragment : ""));
    }
    const state = { before: null, pages: [], selected: null, outputStart: 0, outputEnd: 0, tty: false, lastEvent: null };

    async function api(path, options = {}) {
      const headers = Object.assign({}, options.headers || {});
      if (token) headers["Authorization"] = "Bearer " + token;
      const response = await fetch(path, Object.assign({}, options, { headers }));
      if (response.status === 401) { $("token-form").hidden = false; throw new Error("token needed"); }
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
      return body;
    }

    function post(path) {
      return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    }

    function cell(row, text, className) {
      const td = document.createElement("td");
      td.textContent = text == null ? "" : String(text);
      if (className) td.className = className;
      row.appendChild(td);
      return td;
    }

    // Local time as HH:MM:SS. By hand: the first toLocaleTimeString in a tab loads the
    // browser's locale data, which costs the first screen tens of milliseconds.
    function time(text) {
      if (!text) return "";
      const date = new Date(text);
      return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
    }

    async function loadStats() {
      const stats = await api("/api/stats");
      $("stat-sync").textContent = stats.queue.sync;
      $("stat-async").textContent = stats.queue.async;
      $("stat-running").textContent = stats.running;
      $("stat-workers").textContent = stats.workers;
      $("stat-slots").textContent = stats.slots;
      $("policy").textContent = stats.policyText || "";
    }

    // This spool's workers, and with many hosts the worker hosts as the sending relay
    // last read them from PostgreSQL (it says how old that view is when it is stale).
    async function loadWorkers() {
      const view = await api("/api/workers");
      const now = Date.now();
      const ago = (text) => text ? Math.max(0, Math.round((now - new Date(text).getTime()) / 1000)) + " s ago" : "";
      const workers = $("workers");
      workers.replaceChildren();
      for (const worker of view.workers) {
        const row = document.createElement("tr");
        for (const value of [worker.worker + (worker.relay ? " (relay)" : ""), worker.host, worker.pid, worker.relay ? "–" : worker.slots, worker.running, ago(worker.heartbeat)]) cell(row, value);
        workers.appendChild(row);
      }
      const hosts = $("hosts");
      hosts.replaceChildren();
      for (const host of view.hosts) {
        const row = document.createElement("tr");
        row.dataset.host = host.name;
        cell(row, host.name);
        cell(row, host.live ? "up" : "down", host.live ? "host-up" : "host-down");
        cell(row, host.running);
        cell(row, host.slots == null ? "" : host.slots);
        cell(row, time(host.since));
        hosts.appendChild(row);
      }
      $("hosts-pane").hidden = view.hosts.length === 0 && !view.hostsAt;
      const stale = view.hostsAt && now - new Date(view.hostsAt).getTime() > 5000;
      $("hosts-age").textContent = stale ? "(as PostgreSQL answered " + ago(view.hostsAt) + ")" : "";
    }

    // Sessions, watched files and backups: shown when spool-mcp has them (409 otherwise).
    async function loadExtras() {
      try {
        const list = await api("/api/sessions");
        const body = $("sessions");
        body.replaceChildren();
        for (const session of list.sessions) {
          const row = document.createElement("tr");
          for (const value of [session.session, session.state, session.cwd, session.worker, session.commands]) cell(row, value);
          body.appendChild(row);
        }
        $("sessions-pane").hidden = list.sessions.length === 0;
      } catch (error) { $("sessions-pane").hidden = true; }
      try {
        const list = await api("/api/files");
        fillList("files", "file-tail", list.files,
                 (file) => file.path + (file.size != null ? "  (" + file.size + " bytes)" : ""),
                 async (file) => (await api("/api/files/tail?path=" + encodeURIComponent(file.path))).data || "");
        $("files-pane").hidden = false;
      } catch (error) { $("files-pane").hidden = true; }
      try {
        const list = await api("/api/backups");
        fillList("backups", "backup-diff", list.backups,
                 (backup) => String(backup.commit).slice(0, 10) + "  " + time(backup.time) + "  " + backup.trigger + "  " + (backup.filesChanged ?? "") + " files",
                 async (backup) => (await api("/api/backups/" + encodeURIComponent(backup.commit) + "/diff")).patch || "(no changes since)");
        $("backups-pane").hidden = false;
      } catch (error) { $("backups-pane").hidden = true; }
    }

    // A pane's list, a line of text per entry; a click shows what `open` returns in the
    // pane's <pre> (a watched file's tail, a backup's diff).
    function fillList(listId, preId, entries, label, open) {
      const items = $(listId);
      items.replaceChildren();
      for (const entry of entries) {
        const item = document.createElement("li");
        item.textContent = label(entry);
        item.addEventListener("click", async () => {
          const text = await open(entry);
          $(preId).hidden = false;
          $(preId).textContent = text;
        });
        items.appendChild(item);
      }
    }

    // Bars drawn as SVG elements (never markup from a string).
    function bars(svg, values, className, extra) {
      const ns = "http://www.w3.org/2000/svg";
      svg.replaceChildren();
      const top = Math.max(1, ...values, ...(extra || []));
      const width = 600 / values.length;
      values.forEach((value, index) => {
        const add = (amount, name) => {
          const rect = document.createElementNS(ns, "rect");
          const height = 78 * amount / top;
          rect.setAttribute("x", String(index * width + 1));
          rect.setAttribute("width", String(Math.max(1, width - 2)));
          rect.setAttribute("y", String(80 - height));
          rect.setAttribute("height", String(height));
          rect.setAttribute("class", name);
          const title = document.createElementNS(ns, "title");
          title.textContent = String(Math.round(amount * 10) / 10);
          rect.appendChild(title);
          svg.appendChild(rect);
        };
        add(value, className);
        if (extra && extra[index] > 0) add(extra[index], "bar bad");
      });
    }

    // At most every 5 s (the journal is read whole), and once more after the last change.
    let chartsAt = 0, chartsLater = null;
    async function loadCharts() {
      const wait = chartsAt + 2000 - Date.now();
      if (wait > 0) {
        if (!chartsLater) chartsLater = setTimeout(() => { chartsLater = null; loadCharts().catch(() => {}); }, wait);
        return;
      }
      chartsAt = Date.now();
      const history = await api("/api/history");
      bars($("chart-finished"), history.minutes.map((m) => m.finished), "bar", history.minutes.map((m) => m.failed));
      bars($("chart-wait"), history.minutes.map((m) => m.meanWait || 0), "bar wait");
    }

    function filters() {
      const query = new URLSearchParams({ limit: "50" });
      for (const [name, id] of [["state", "filter-state"], ["host", "filter-host"], ["client", "filter-client"], ["q", "filter-q"]]) {
        if ($(id).value) query.set(name, $(id).value);
      }
      if (state.before) query.set("before", state.before);
      return query;
    }

    async function loadJobs() {
      const page = await api("/api/jobs?" + filters());
      const body = $("jobs");
      body.replaceChildren();
      for (const job of page.jobs) {
        const row = document.createElement("tr");
        row.dataset.job = job.job;
        if (job.job === state.selected) row.className = "selected";
        cell(row, time(job.createdAt));
        cell(row, job.state, "state-" + job.state);
        cell(row, (job.tty ? "⌨ " : "") + (job.command || ""), "command").title = job.command || "";
        cell(row, job.host || "");
        cell(row, job.client || "");
        cell(row, job.exitCode);
        row.addEventListener("click", () => select(job.job));
        body.appendChild(row);
      }
      state.next = page.next;
      $("older").disabled = !page.next;
      $("newer").disabled = !state.before;
      $("total").textContent = page.total + " jobs";
      // When the first screen of the list was drawn (the browser tests report it).
      if (performance.getEntriesByName("list-drawn").length === 0) performance.mark("list-drawn");
    }

    async function select(id) {
      state.selected = id;
      history.replaceState(null, "", "#job=" + encodeURIComponent(id));
      for (const row of $("jobs").children) row.className = row.dataset.job === id ? "selected" : "";
      const detail = await api("/api/jobs/" + encodeURIComponent(id));
      $("job").hidden = false;
      $("job-id").textContent = id;
      const facts = $("job-facts");
      facts.replaceChildren();
      const status = detail.status;
      const client = detail.client ? [detail.client.name, detail.client.version, detail.client.transport].filter(Boolean).join(" ") : "";
      for (const [name, value] of [["state", status.state], ["command", detail.command], ["cwd", detail.cwd], ["client", client],
                                   ["host", status.host], ["worker", status.worker], ["created", status.createdAt],
                                   ["started", status.startedAt], ["finished", status.finishedAt], ["exit code", status.exitCode],
                                   ["signal", status.signal], ["reason", status.reason]]) {
        if (value == null || value === "") continue;
        const dt = document.createElement("dt"); dt.textContent = name;
        const dd = document.createElement("dd"); dd.textContent = String(value);
        facts.append(dt, dd);
      }
      state.tty = detail.tty === true;
      $("screen").hidden = !state.tty;
      const size = status.stdoutBytes || 0;
      state.outputStart = Math.max(0, size - tail);
      state.outputEnd = state.outputStart;
      $("output").textContent = "";
      await readOutput();
      if (state.tty) await loadScreen();
    }

    // Appends output text, dropping the oldest beyond `keep` characters.
    function appendOutput(text) {
      const pre = $("output");
      pre.append(document.createTextNode(text));
      const length = pre.textContent.length;
      if (length > keep) {
        const all = pre.textContent;
        const dropped = new TextEncoder().encode(all.slice(0, length - keep)).length;
        pre.textContent = all.slice(length - keep);
        state.outputStart += dropped;
        $("earlier").hidden = false;
      }
    }

    async function readOutput() {
      const id = state.selected;
      for (;;) {
        const part = await api("/api/jobs/" + encodeURIComponent(id) + "/output?offset=" + state.outputEnd + "&limit=65536");
        if (id !== state.selected) return;
        appendOutput(part.data || "");
        state.outputEnd = part.nextOffset;
        if (!part.data || part.eof || part.nextOffset - part.offset < 65536) break;
      }
      $("earlier").hidden = state.outputStart === 0;
    }

    async function loadEarlier() {
      const id = state.selected;
      const start = Math.max(0, state.outputStart - tail);
      const part = await api("/api/jobs/" + encodeURIComponent(id) + "/output?offset=" + start + "&limit=" + (state.outputStart - start));
      if (id !== state.selected) return;
      $("output").prepend(document.createTextNode(part.data || ""));
      state.outputStart = start;
      $("earlier").hidden = start === 0;
    }

    async function loadScreen() {
      const id = state.selected;
      const look = await api("/api/jobs/" + encodeURIComponent(id) + "/screen");
      if (id === state.selected) $("screen").textContent = look.lines.join("\n");
    }

    async function act(action) {
      const id = state.selected;
      try {
        const result = await post("/api/jobs/" + encodeURIComponent(id) + "/" + action);
        $("action-result").textContent = action === "rerun" ? "started " + result.job : (result.outcome || result.state || "done");
      } catch (error) {
        $("action-result").textContent = error.message;
      }
      refresh();
      if (state.selected === id) select(id);
    }

    let pending = null;
    function refresh() {
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        loadStats().catch(() => {});
        loadCharts().catch(() => {});
        loadWorkers().catch(() => {});
        if (!state.before) loadJobs().catch(() => {});
      }, 150);
    }

    function onEvent(type, event) {
      if (["queued", "started", "finished", "cancelled", "position", "worker_up", "worker_down", "host_up", "host_down"].includes(type)) refresh();
      if (["session_ready", "session_abandoned", "backup_completed"].includes(type)) loadExtras();
      if (event.job && event.job === state.selected) {
        if (type === "output" && event.stream === "stdout") {
          if (event.offset === state.outputEnd && typeof event.data === "string") {
            appendOutput(event.data);
            state.outputEnd = event.offset + event.length;
          } else if (event.offset + event.length > state.outputEnd) {
            readOutput().catch(() => {});
          }
          if (state.tty) loadScreen().catch(() => {});
        } else if (type === "finished" || type === "cancelled" || type === "started") {
          select(state.selected).catch(() => {});
        }
      }
    }

    async function follow() {
      for (;;) {
        try {
          const headers = {};
          if (token) headers["Authorization"] = "Bearer " + token;
          if (state.lastEvent) headers["Last-Event-ID"] = state.lastEvent;
          const response = await fetch("/events", { headers });
          if (response.status === 401) { $("token-form").hidden = false; return; }
          $("live").textContent = "live"; $("live").className = "live on";
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            let end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
              let type = "message", data = "", id = null;
              for (const line of block.split("\n")) {
                if (line.startsWith("event:")) type = line.slice(6).trim();
                else if (line.startsWith("data:")) data += line.slice(5).trim();
                else if (line.startsWith("id:")) id = line.slice(3).trim();
              }
              if (id) state.lastEvent = id;
              if (data) { try { onEvent(type, JSON.parse(data)); } catch (error) { /* a keep-alive or a malformed line */ } }
            }
          }
        } catch (error) { /* the server went away: reconnect below */ }
        $("live").textContent = "reconnecting…"; $("live").className = "live off";
        await new Promise((resolve) => setTimeout(resolve, 1000));
        refresh();
      }
    }

    // The list first (it is the first screen), then the figures; the charts and the
    // panes below the list once it is drawn, so their requests never delay it.
    function begin() {
      const list = loadJobs();
      loadStats().catch(() => {});
      follow();
      if (fragment.get("job")) select(fragment.get("job")).catch(() => {});
      list.catch(() => {}).finally(() => { loadCharts().catch(() => {}); loadWorkers().catch(() => {}); loadExtras(); });
    }

    function wire() {
      $("token-form").addEventListener("submit", (event) => {
        event.preventDefault();
        token = $("token").value;
        sessionStorage.setItem("spool-token", token);
        $("token-form").hidden = true;
        begin();
      });
      $("filters").addEventListener("submit", (event) => { event.preventDefault(); state.before = null; loadJobs().catch(() => {}); });
      $("older").addEventListener("click", () => { if (state.next) { state.pages.push(state.before); state.before = state.next; loadJobs().catch(() => {}); } });
      $("newer").addEventListener("click", () => { state.before = null; state.pages = []; loadJobs().catch(() => {}); });
      $("earlier").addEventListener("click", () => loadEarlier().catch(() => {}));
      for (const action of ["cancel", "promote", "rerun"]) $(action).addEventListener("click", () => act(action));
    }

    document.addEventListener("DOMContentLoaded", () => { wire(); begin(); });
    """#
}
