// The roster grid: one click adds a shift; a filled shift opens a small dialog to remove or hand it over.
// Every change goes through /api/rosters with the page's CSRF token; errors show field and reason.
(() => {
  const grid = document.getElementById("roster-grid");
  if (!grid || grid.dataset.editable !== "yes") return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const errors = document.getElementById("errors");
  const dialog = document.getElementById("slot-dialog");
  let current = null;

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      // The API answers in the language asked for: the page's own (the user's choice).
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept-Language": document.documentElement.lang },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.ok) return response.json();
    let data = null;
    try { data = await response.json(); } catch (_) { /* not JSON */ }
    throw (data && data.errors) || [{ field: "request", reason: `${response.status} ${response.statusText}` }];
  }

  function show(problems) {
    errors.replaceChildren(...problems.map((p) => {
      const line = document.createElement("div");
      line.textContent = `${p.line ? (errors.dataset.line || "line") + " " + p.line + ": " : ""}${p.field}: ${p.reason}`;
      return line;
    }));
    errors.hidden = false;
  }

  async function change(method, url, body) {
    try {
      await call(method, url, body);
      window.location.reload();
    } catch (problems) {
      show(Array.isArray(problems) ? problems : [{ field: "request", reason: String(problems) }]);
    }
  }

  grid.addEventListener("click", (event) => {
    const button = event.target.closest("button.shift");
    if (!button || button.disabled) return;
    if (button.dataset.slot) {
      current = button;
      document.getElementById("slot-title").textContent = button.title || "Shift";
      dialog.showModal();
      return;
    }
    change("POST", "/api/rosters/assignments", {
      facility_code: grid.dataset.facility,
      staff_id: button.dataset.staff,
      date: button.dataset.date,
      shift: button.dataset.shift,
      ...(document.getElementById("roster-unit")?.value ? { unit: document.getElementById("roster-unit").value } : {}),
    });
  });

  document.getElementById("slot-remove").addEventListener("click", () => {
    dialog.close();
    change("DELETE", `/api/rosters/assignments/${current.dataset.slot}`);
  });
  document.getElementById("slot-swap").addEventListener("click", () => {
    dialog.close();
    const to = document.getElementById("slot-to").value;
    change("POST", `/api/rosters/assignments/${current.dataset.slot}/swap`, { staff_id: to });
  });
})();
