// The Aliases page: add, edit and delete aliases through /api/aliases (session cookie + CSRF).
// Data is only ever put into the page with textContent / value, never as markup.
"use strict";

(() => {
  const form = document.getElementById("alias-form");
  if (!form) return; // a reader: nothing to change here

  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const errors = document.getElementById("alias-errors");
  const title = document.getElementById("alias-form-title");

  async function call(method, url, body, headers) {
    const options = {
      method,
      credentials: "same-origin",
      headers: Object.assign({ Accept: "application/json", "X-CSRF-Token": csrf() }, headers || {}),
    };
    if (body !== undefined) {
      options.body = JSON.stringify(body);
      options.headers["Content-Type"] = "application/json";
    }
    try {
      const response = await fetch(url, options);
      const text = await response.text();
      let payload = null;
      try { payload = text ? JSON.parse(text) : null; } catch (error) { payload = { detail: text.slice(0, 300) }; }
      return { ok: response.ok, status: response.status, payload };
    } catch (error) {
      return { ok: false, status: 0, payload: { detail: "The server could not be reached." } };
    }
  }

  // "12,000" → 12000; empty → undefined (left out); anything else as typed, for the server
  // to name the field.
  function whole(text) {
    const cleaned = text.trim().replace(/[,_\s]/g, "");
    if (cleaned === "") return undefined;
    return /^\d+$/.test(cleaned) ? Number(cleaned) : text;
  }

  const inputs = (name) => Array.from(form.querySelectorAll(`[name="${name}"]`));

  // Which input a problem's field names: targets[1].weight → the second target row's weight.
  function inputFor(field) {
    const match = /^(targets|fallbacks)\[(\d+)\]\.?(\w+)?/.exec(field);
    if (!match) return form.querySelector(`[name="${field}"]`);
    const kind = match[1] === "targets" ? "target" : "fallback";
    const rows = rowsUsed[kind];
    const row = rows[Number(match[2])];
    if (row === undefined) return null;
    return inputs(`${kind}_${match[3] || "model"}`)[row] || inputs(`${kind}_model`)[row];
  }

  let rowsUsed = { target: [], fallback: [] };

  function body() {
    const targets = [];
    rowsUsed = { target: [], fallback: [] };
    inputs("target_model").forEach((input, row) => {
      const weight = inputs("target_weight")[row].value;
      const rpm = inputs("target_rpm")[row].value;
      const tpm = inputs("target_tpm")[row].value;
      if (!input.value.trim() && !weight.trim() && !rpm.trim() && !tpm.trim()) return;
      const target = { model: input.value.trim() };
      for (const [key, value] of [["weight", weight], ["rpm", rpm], ["tpm", tpm]]) {
        const number = whole(value);
        if (number !== undefined) target[key] = number;
      }
      targets.push(target);
      rowsUsed.target.push(row);
    });
    const fallbacks = [];
    inputs("fallback_model").forEach((input, row) => {
      if (!input.value.trim()) return;
      fallbacks.push({ model: input.value.trim() });
      rowsUsed.fallback.push(row);
    });
    return {
      name: form.elements.name.value.trim(),
      description: form.elements.description.value,
      targets,
      fallbacks,
    };
  }

  function clearErrors() {
    errors.hidden = true;
    errors.textContent = "";
    form.querySelectorAll('[aria-invalid="true"]').forEach((input) => input.removeAttribute("aria-invalid"));
  }

  function showProblem(payload) {
    clearErrors();
    const problem = payload || {};
    const list = document.createElement("ul");
    const found = problem.errors && problem.errors.length ? problem.errors : [];
    for (const error of found) {
      const item = document.createElement("li");
      const input = inputFor(error.field);
      const label = input && input.labels && input.labels[0] ? input.labels[0].textContent.trim() : error.field;
      item.textContent = `${label}: ${error.message}`;
      list.append(item);
      if (input) input.setAttribute("aria-invalid", "true");
    }
    const summary = document.createElement("p");
    summary.textContent = found.length ? "The alias was not saved:" : (problem.detail || "The alias was not saved.");
    errors.append(summary);
    if (found.length) errors.append(list);
    errors.hidden = false;
    const first = form.querySelector('[aria-invalid="true"]');
    (first || form.elements.name).focus();
  }

  function fill(alias) {
    form.reset();
    clearErrors();
    form.elements.id.value = alias.id;
    form.elements.version.value = alias.version;
    form.elements.name.value = alias.name;
    form.elements.description.value = alias.description || "";
    alias.targets.forEach((target, row) => {
      if (row >= inputs("target_model").length) return;
      inputs("target_model")[row].value = target.model;
      inputs("target_weight")[row].value = target.weight;
      inputs("target_rpm")[row].value = target.rpm == null ? "" : target.rpm;
      inputs("target_tpm")[row].value = target.tpm == null ? "" : target.tpm;
    });
    alias.fallbacks.forEach((fallback, row) => {
      if (row < inputs("fallback_model").length) inputs("fallback_model")[row].value = fallback.model;
    });
    title.textContent = `Edit alias ${alias.name}`;
    form.scrollIntoView({ block: "start" });
    form.elements.name.focus();
  }

  form.addEventListener("reset", () => {
    clearErrors();
    form.elements.id.value = "";
    form.elements.version.value = "";
    title.textContent = "Add an alias";
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const sent = body();
    const id = form.elements.id.value;
    const result = id
      ? await call("PUT", `/api/aliases/${encodeURIComponent(id)}`, sent, { "If-Match": `"${form.elements.version.value}"` })
      : await call("POST", "/api/aliases", sent);
    if (result.ok) {
      location.assign(`/aliases?saved=${encodeURIComponent(result.payload.name)}`);
    } else if (result.status === 412) {
      showProblem({ detail: "Someone changed this alias meanwhile. Reload the page to see their change, then edit again." });
    } else {
      showProblem(result.payload);
    }
  });

  // Deleting asks first, in a dialog of the page (never the browser's confirm()).
  const dialog = document.getElementById("alias-delete-dialog");
  const dialogSummary = dialog.querySelector('[data-role="summary"]');
  let deleting = null;
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  dialog.querySelector("[data-confirm-delete]").addEventListener("click", async () => {
    if (!deleting) return;
    const alias = deleting;
    const result = await call("DELETE", `/api/aliases/${encodeURIComponent(alias.id)}`, undefined, { "If-Match": `"${alias.version}"` });
    if (result.ok) {
      location.assign(`/aliases?deleted=${encodeURIComponent(alias.name)}`);
      return;
    }
    dialogSummary.textContent = result.status === 412
      ? "Someone changed this alias meanwhile. Reload the page, then delete it again."
      : ((result.payload && result.payload.detail) || "The alias was not deleted.");
    dialogSummary.hidden = false;
  });

  document.querySelectorAll("tr[data-alias]").forEach((row) => {
    const alias = JSON.parse(row.dataset.alias);
    const edit = row.querySelector("[data-edit-alias]");
    const remove = row.querySelector("[data-delete-alias]");
    if (edit) edit.addEventListener("click", () => fill(alias));
    if (remove) remove.addEventListener("click", () => {
      deleting = alias;
      dialog.querySelectorAll('[data-role="name"]').forEach((node) => { node.textContent = alias.name; });
      dialogSummary.hidden = true;
      dialog.showModal();
    });
  });
})();
