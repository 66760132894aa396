// The wallboard follows /api/wallboard/stream (server-sent events): every snapshot rewrites the figures in
// place, so the PSC room's screen never reloads. EventSource reconnects by itself when the stream ends.
(function () {
  "use strict";
  const root = document.getElementById("wallboard");
  if (!root || !window.EventSource) return;
  // Numbers the way the page's language writes them (1.234,5 in Indonesian), as the server renders them.
  const lang = root.dataset.lang || document.documentElement.lang || "id";
  const fixed = (v, digits) =>
    new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
  const dash = (v) => (v === null || v === undefined ? "—" : typeof v === "number" ? fixed(v, 0) : String(v));
  const share = (v) => (v === null || v === undefined ? "—" : fixed(v * 100, 0) + " %");
  const seconds = (v, digits) => (v === null || v === undefined ? "—" : fixed(v, digits) + " s");
  const put = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function show(s) {
    const at = document.getElementById("wb-at");
    at.textContent = s.at;
    at.dataset.at = s.at;
    document.getElementById("wb-no-pbx").hidden = s.pbx;
    put("wb-ringing", dash(s.calls.ringing));
    put("wb-waiting", dash(s.calls.waiting));
    put("wb-answered", dash(s.calls.answered));
    put("wb-on-duty", dash(s.operators.on_duty));
    for (const state of ["available", "talking", "away", "unreachable"]) put("wb-" + state, dash(s.operators[state]));
    const body = document.querySelector("#wb-desks tbody");
    const rows = s.desks.map((d) => {
      const tr = document.createElement("tr");
      tr.dataset.desk = d.desk;
      tr.append(cell(d.name), cell(dash(d.waiting), "waiting"), cell(seconds(d.longest_wait_s, 0), "longest"),
        cell(dash(d.on_duty)), cell(dash(d.available)));
      return tr;
    });
    if (rows.length) body.replaceChildren(...rows);
    // The zone's label (WIB/WITA/WIT) as the server wrote it; the user's zone does not change on the page.
    const day = document.getElementById("wb-day");
    put("wb-day", s.today.day + " (" + (day.dataset.zone === s.today.zone ? day.dataset.zoneLabel : s.today.zone) + ")");
    put("wb-today-calls", dash(s.today.calls));
    put("wb-today-answered", dash(s.today.answered));
    put("wb-within-10", share(s.today.within_10s));
    put("wb-within-20", share(s.today.within_20s));
    put("wb-median", seconds(s.today.median_answer_s, 1));
  }

  const source = new EventSource(root.dataset.stream);
  source.addEventListener("snapshot", (e) => { show(JSON.parse(e.data)); put("wb-live", root.dataset.live); });
  source.onerror = () => put("wb-live", root.dataset.reconnecting);
})();
