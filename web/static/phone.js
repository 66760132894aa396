// The console's phone page (web/phone): the operator's browser phone over WebRTC, with JsSIP.
// The screen-pop comes from the ringing INVITE's X-Siaga-* headers (routing/screenpop.py,
// dispatch/screenpop.py), put there by the dialplan's pre-dial handler; nothing is asked of the server
// while the call rings. Texts come translated from the page's data-t-* attributes.
"use strict";
(function () {
  const root = document.getElementById("phone");
  if (!root || typeof JsSIP === "undefined") return;
  const t = (name) => root.dataset["t" + name.charAt(0).toUpperCase() + name.slice(1)] || name;
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const status = $("phone-status");
  const box = $("phone-call");
  const audio = $("phone-audio");
  // What the page did, for people reading the console log and for the browser test.
  const state = (window.siagaPhone = { events: [], callId: "", session: null });
  let session = null;

  function note(event) {
    state.events.push(event);
  }

  function setStatus(key) {
    status.dataset.state = key;
    status.textContent = t(key);
    note(key);
  }

  function setCall(key) {
    box.dataset.state = key;
    $("phone-call-state").textContent = t(key);
    $("phone-answer").disabled = key !== "ringing";
    $("phone-hangup").disabled = key !== "ringing" && key !== "talking";
    note("call-" + key);
  }

  function header(request, name) {
    const value = request.getHeader(name);
    return value ? String(value) : "";
  }

  // "-6.99180 110.44490 (label)": the point first, then what the directory calls it.
  function point(location) {
    const found = /^(-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)/.exec(location);
    return found ? { lat: parseFloat(found[1]), lon: parseFloat(found[2]) } : null;
  }

  function mark(where) {
    const svg = document.querySelector("svg.phone-map");
    const dot = document.getElementById("phone-caller");
    if (!svg || !dot) return;
    if (!where) {
      dot.setAttribute("hidden", "");
      return;
    }
    const d = svg.dataset;
    const x = +d.pad + (where.lon - +d.minx) * +d.kx * +d.scale;
    const y = +d.pad + (+d.maxy - where.lat) * +d.scale;
    dot.setAttribute("transform", "translate(" + x.toFixed(1) + "," + y.toFixed(1) + ")");
    dot.removeAttribute("hidden");
  }

  function showPop(request) {
    const unknown = t("unknown");
    const caller = header(request, "X-Siaga-Caller") || request.from.uri.user || unknown;
    const location = header(request, "X-Siaga-Location");
    state.callId = header(request, "X-Siaga-Call");
    $("pop-caller").textContent = caller;
    $("pop-caller-number").textContent = caller;
    $("pop-area").textContent = header(request, "X-Siaga-Area") || unknown;
    $("pop-location").textContent = location || unknown;
    $("pop-source").textContent = header(request, "X-Siaga-Location-Source") || unknown;
    $("pop-accuracy").textContent = header(request, "X-Siaga-Accuracy") || unknown;
    $("pop-attempt").textContent = header(request, "X-Siaga-Attempt") || unknown;
    $("pop-service").textContent = header(request, "X-Siaga-Service") || unknown;
    $("pop-ambulance").textContent = header(request, "X-Siaga-Ambulance") || "—";
    $("pop-call").textContent = state.callId || unknown;
    $("phone-incident-result").textContent = "";
    $("phone-open-incident").disabled = !state.callId;
    mark(point(location));
    box.hidden = false;
  }

  function onSession(e) {
    if (e.originator !== "remote") return;
    if (session) {
      // One call at a time: Asterisk rings a busy phone only if the roster allows it; say busy.
      e.session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
      return;
    }
    session = state.session = e.session;
    showPop(e.request);
    setCall("ringing");
    session.on("peerconnection", (p) => {
      p.peerconnection.addEventListener("track", (ev) => {
        audio.srcObject = ev.streams[0];
      });
    });
    session.on("confirmed", () => setCall("talking"));
    session.on("ended", () => {
      session = state.session = null;
      setCall("ended");
    });
    session.on("failed", (ev) => {
      session = state.session = null;
      setCall(ev.cause === JsSIP.C.causes.CANCELED ? "missed" : "ended");
    });
  }

  $("phone-answer").addEventListener("click", () => {
    if (!session) return;
    try {
      session.answer({ mediaConstraints: { audio: true, video: false } });
    } catch (err) {
      status.textContent = t("noMedia");
      note("answer-error " + err);
    }
  });

  $("phone-hangup").addEventListener("click", () => {
    if (session) session.terminate();
  });

  $("phone-incident").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    const out = $("phone-incident-result");
    const response = await fetch("/api/incidents", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": csrf,
        "Accept-Language": document.documentElement.lang,
      },
      body: JSON.stringify({
        call_id: state.callId,
        category: form.get("category"),
        priority: form.get("priority"),
      }),
    });
    const body = await response.json();
    out.textContent = "";
    if (response.ok) {
      const link = document.createElement("a");
      link.href = "/incidents";
      link.dataset.incident = body.incident;
      link.textContent = t("opened").replace("{id}", body.incident);
      out.appendChild(link);
      note("incident " + body.incident);
    } else {
      out.className = "error";
      out.textContent = (body.errors || []).map((e) => e.field + ": " + e.reason).join("; ");
      note("incident-refused");
    }
  });

  async function start() {
    setStatus("connecting");
    const response = await fetch(root.dataset.account, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      setStatus("failed");
      return;
    }
    const account = await response.json();
    const ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(account.ws_url)],
      uri: account.sip_uri,
      password: account.password,
      display_name: account.name,
      register: true,
      session_timers: false,
    });
    ua.on("registered", () => setStatus("registered"));
    ua.on("unregistered", () => setStatus("unregistered"));
    ua.on("registrationFailed", () => setStatus("failed"));
    ua.on("newRTCSession", onSession);
    window.addEventListener("beforeunload", () => ua.stop());
    ua.start();
  }

  start();
})();
