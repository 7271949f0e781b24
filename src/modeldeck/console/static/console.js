// Model Deck console: a little enhancement over server-rendered pages. No framework, no build.
// Every change goes through the JSON API with the session cookie and its CSRF token.
// Data is only ever put into the page with textContent / value, never as markup.
"use strict";

(() => {
  const STALE = "Someone changed this model meanwhile — reload to see their change.";
  const SYSTEM_WRITABLE = ["deployment", "enabled", "is_default", "tags"];
  const PRICING_KEYS = ["input", "cached_input", "output", "cache_write", "reasoning",
    "per_request", "effective_from", "source"];

  const csrfToken = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  const here = () => location.pathname + location.search;

  function signIn() {
    location.assign("/login?next=" + encodeURIComponent(here()));
  }

  // One fetch for every API call: JSON both ways, the CSRF header, problem+json read back.
  async function api(method, url, body, headers) {
    const options = {
      method,
      credentials: "same-origin",
      headers: Object.assign({ Accept: "application/json", "X-CSRF-Token": csrfToken() }, headers),
    };
    if (body !== undefined) {
      options.body = JSON.stringify(body);
      options.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      return { ok: false, status: 0, payload: { detail: "The server could not be reached." } };
    }
    if (response.status === 401) {
      signIn();
      return { ok: false, status: 401, payload: { detail: "Please sign in again." } };
    }
    let payload = null;
    const text = await response.text();
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch (error) {
        payload = { detail: text.slice(0, 300) };
      }
    }
    return { ok: response.ok, status: response.status, payload };
  }

  function say(message) {
    const status = document.getElementById("status");
    if (!status) return;
    status.textContent = message;
    status.hidden = !message;
  }

  const modelUrl = (name) => "/models/" + name.split("/").map(encodeURIComponent).join("/");
  const apiUrl = (id) => "/api/models/" + encodeURIComponent(id);

  function getPath(object, path) {
    return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), object);
  }

  function setPath(object, path, value) {
    const keys = path.split(".");
    let target = object;
    for (const key of keys.slice(0, -1)) {
      if (target[key] == null || typeof target[key] !== "object") target[key] = {};
      target = target[key];
    }
    target[keys[keys.length - 1]] = value;
  }

  // What was typed, as a JSON number when it reads as one; otherwise as typed, so the server
  // names the field. Empty: undefined (the key is left out).
  function toNumber(text, integer) {
    let cleaned = text.trim();
    if (cleaned === "") return undefined;
    if (integer) cleaned = cleaned.replace(/[,_\s]/g, "");
    if (integer && /^[+-]?\d+$/.test(cleaned)) return Number(cleaned);
    if (!integer && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(cleaned)) return Number(cleaned);
    return text;
  }

  function readInput(input) {
    const value = input.value;
    switch (input.dataset.kind) {
      case "text": return value;
      case "optional": return value.trim() === "" ? null : value;
      case "int": return toNumber(value, true);
      case "number": return toNumber(value, false);
      case "money": return value.trim() === "" ? undefined : value.trim();
      case "bool": return input.checked;
      case "date": return value === "" ? null : value;
      case "moment": return value === "" ? undefined : value + (value.length === 16 ? ":00Z" : "Z");
      case "tags": return value.split(/[\s,]+/).filter(Boolean);
      case "json": {
        // Empty: none. Text that is not JSON goes as it is, for the server to name the field.
        if (value.trim() === "") return input.dataset.empty === "object" ? {} : [];
        try { return JSON.parse(value); } catch (error) { return value; }
      }
      default: return undefined;
    }
  }

  function writeInput(input, value) {
    if (input.dataset.kind === "bool") {
      input.checked = Boolean(value);
    } else if (input.dataset.kind === "tags") {
      input.value = (value || []).join(", ");
    } else if (input.dataset.kind === "json") {
      const empty = value == null || (Array.isArray(value) ? !value.length : !Object.keys(value).length);
      input.value = empty ? "" : JSON.stringify(value, null, 1);
    } else if (input.dataset.kind === "moment") {
      input.value = value ? String(value).replace(/Z$/, "").slice(0, 16) : "";
    } else {
      input.value = value == null ? "" : String(value);
    }
  }

  // Field errors from problem+json, each shown next to its input; the rest in the summary.
  function fieldErrors(form, summary) {
    const find = (path) => {
      let candidate = path;
      while (candidate) {
        const found = form.querySelector(
          `[name="${CSS.escape(candidate)}"], [data-name="${CSS.escape(candidate)}"]`);
        if (found) return found;
        const shorter = candidate.match(/^(.*)(\[\d+\]|\.[^.[\]]+)$/);
        if (!shorter) return null;
        candidate = shorter[1];
      }
      return null;
    };

    const clear = () => {
      for (const error of form.querySelectorAll(".field-error")) {
        error.textContent = "";
        error.hidden = true;
      }
      for (const input of form.querySelectorAll("[aria-invalid]")) {
        input.removeAttribute("aria-invalid");
      }
      summary.textContent = "";
      summary.hidden = true;
    };

    const show = (problem, fallback) => {
      clear();
      const errors = (problem && Array.isArray(problem.errors)) ? problem.errors : [];
      const unplaced = [];
      let first = null;
      for (const error of errors) {
        const target = find(String(error.field || ""));
        const holder = target && (target.matches("fieldset, [data-name]")
          ? target.querySelector(`[data-error-for="${CSS.escape(target.getAttribute("name") || target.dataset.name)}"]`)
          : target.closest(".field") && target.closest(".field").querySelector(".field-error"));
        if (!holder) {
          unplaced.push(`${error.field}: ${error.message}`);
          continue;
        }
        holder.textContent = holder.textContent ? `${holder.textContent}; ${error.message}` : String(error.message);
        holder.hidden = false;
        if (!target.matches("fieldset, [data-name]")) target.setAttribute("aria-invalid", "true");
        for (let details = holder.closest("details"); details; details = details.parentElement.closest("details")) {
          details.open = true;
        }
        first = first || (target.matches("fieldset, [data-name]") ? null : target);
      }
      const lines = [];
      const validation = problem && problem.status === 422;
      lines.push(validation && errors.length && !unplaced.length
        ? "Please correct the fields marked below."
        : ((problem && problem.detail) || fallback || "The change was refused."));
      lines.push(...unplaced);
      for (const line of lines) {
        const paragraph = document.createElement("p");
        paragraph.textContent = line;
        summary.append(paragraph);
      }
      summary.hidden = false;
      if (first) first.focus();
      else summary.scrollIntoView({ block: "nearest" });
    };

    return { show, clear };
  }

  function closeOnButtons(dialog) {
    for (const button of dialog.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => dialog.close("cancel"));
    }
  }

  function busy(button, during) {
    button.disabled = true;
    return during.finally(() => { button.disabled = false; });
  }

  // ---- The model dialog: add and edit ------------------------------------------------------

  function modelDialog() {
    const dialog = document.getElementById("model-dialog");
    if (!dialog) return null;
    const form = dialog.querySelector("form");
    const title = document.getElementById("model-dialog-title");
    const notice = document.getElementById("system-notice");
    const summary = document.getElementById("model-form-summary");
    const factor = document.getElementById("complexity-factor");
    const parameters = form.elements.namedItem("parameters_b");
    const tierRows = document.getElementById("tier-rows");
    const tierTemplate = document.getElementById("tier-template");
    const removeKey = document.getElementById("remove-key-field");
    const save = document.getElementById("model-save");
    const errors = fieldErrors(form, summary);
    let editing = null;

    const updateFactor = () => {
      const value = Number(parameters.value.trim());
      factor.textContent = parameters.value.trim() !== "" && Number.isFinite(value) && value > 0
        ? String(Number((value / 175).toFixed(4)))
        : "—";
    };
    parameters.addEventListener("input", updateFactor);

    const renumberTiers = () => {
      tierRows.querySelectorAll("[data-tier]").forEach((row, index) => {
        for (const input of row.querySelectorAll("[data-tier-field]")) {
          input.name = `pricing.tiers[${index}].${input.dataset.tierField}`;
        }
      });
    };

    const addTier = (tier) => {
      const row = tierTemplate.content.firstElementChild.cloneNode(true);
      for (const input of row.querySelectorAll("[data-tier-field]")) {
        writeInput(input, tier ? tier[input.dataset.tierField] : "");
      }
      tierRows.append(row);
      renumberTiers();
      return row;
    };

    dialog.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) return;
      if (button.dataset.action === "add-tier") {
        const row = addTier(null);
        row.querySelector("input").focus();
      } else if (button.dataset.action === "remove-tier") {
        button.closest("[data-tier]").remove();
        renumberTiers();
      } else if (button.dataset.action === "clone-from-dialog" && editing) {
        const source = editing;
        dialog.close("cancel");
        openClone(source);
      }
    });
    closeOnButtons(dialog);

    const lockCatalogFields = (locked) => {
      for (const input of form.querySelectorAll("[data-catalog]")) {
        if (input.matches("select, button, input[type=checkbox]")) input.disabled = locked;
        else input.readOnly = locked;
      }
      notice.hidden = !locked;
    };

    const reset = () => {
      form.reset();
      tierRows.replaceChildren();
      errors.clear();
      removeKey.hidden = true;
      form.elements.namedItem("is_default").disabled = false;
      document.getElementById("pricing-more").open = false;
      updateFactor();
    };

    const fill = (model) => {
      for (const input of form.querySelectorAll("[data-kind][name]")) {
        if (input.closest("[data-tier]") || input.dataset.kind === "secret") continue;
        const value = getPath(model, input.name);
        if (input.name.startsWith("pricing.") && model.pricing == null) continue;
        writeInput(input, value);
      }
      const pricing = model.pricing || {};
      for (const tier of pricing.tiers || []) addTier(tier);
      if (pricing.cache_write != null || pricing.cache_write_1h != null
          || pricing.reasoning != null || pricing.per_request != null
          || (pricing.tiers || []).length || (pricing.windows || []).length
          || Object.keys(pricing.service_tiers || {}).length) {
        document.getElementById("pricing-more").open = true;
      }
      // The price's start is kept by the server unless the rates change; changing them starts now.
      writeInput(form.elements.namedItem("pricing.effective_from"), "");
      removeKey.hidden = !model.deployment.has_api_key;
      // The default moves by making another model default, never by unticking it here.
      form.elements.namedItem("is_default").disabled = model.is_default;
      updateFactor();
    };

    const collect = () => {
      const body = {};
      for (const input of form.querySelectorAll("[data-kind]")) {
        if (input.closest("[data-tier]")) continue;
        if (input.dataset.kind === "secret") {
          if (input.value !== "") setPath(body, "deployment.api_key", input.value);
          continue;
        }
        if (input.dataset.kind === "remove-secret") {
          if (input.checked && !removeKey.hidden) setPath(body, "deployment.api_key", null);
          continue;
        }
        if (!input.name) continue;
        const value = readInput(input);
        if (value !== undefined) setPath(body, input.name, value);
      }
      const tiers = [];
      for (const row of tierRows.querySelectorAll("[data-tier]")) {
        const tier = {};
        for (const input of row.querySelectorAll("[data-tier-field]")) {
          const value = readInput(input);
          if (value !== undefined) tier[input.dataset.tierField] = value;
        }
        tiers.push(tier);
      }
      const pricing = body.pricing || {};
      // Empty price fields (undefined or null) leave the model unpriced.
      if (!PRICING_KEYS.some((key) => pricing[key] != null) && !tiers.length) {
        body.pricing = null;
      } else {
        pricing.tiers = tiers;
        body.pricing = pricing;
      }
      return body;
    };

    const open = () => {
      dialog.showModal();
      const first = form.querySelector("input:not([type=hidden]):not([readonly]):not([disabled])");
      if (first) first.focus();
    };

    const openAdd = () => {
      editing = null;
      reset();
      title.textContent = "Add a model";
      save.textContent = "Add model";
      lockCatalogFields(false);
      open();
    };

    const openEdit = async (row) => {
      const answer = await api("GET", apiUrl(row.id));
      if (!answer.ok) {
        say((answer.payload && answer.payload.detail) || "The model could not be loaded.");
        return;
      }
      const model = answer.payload;
      reset();
      fill(model);
      editing = { id: model.id, name: model.name, version: model.version, system: model.is_system };
      title.textContent = `Edit ${model.name}`;
      save.textContent = "Save changes";
      lockCatalogFields(model.is_system);
      open();
    };

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      errors.clear();
      const body = collect();
      let request;
      if (!editing) {
        request = api("POST", "/api/models", body);
      } else if (editing.system) {
        const patch = {};
        for (const key of SYSTEM_WRITABLE) patch[key] = body[key];
        request = api("PATCH", apiUrl(editing.id), patch, { "If-Match": `"${editing.version}"` });
      } else {
        request = api("PUT", apiUrl(editing.id), body, { "If-Match": `"${editing.version}"` });
      }
      const answer = await busy(save, request);
      if (answer.ok) {
        dialog.close("saved");
        if (!editing) location.assign(modelUrl(answer.payload.name));
        else if (document.querySelector("[data-on-page]") && answer.payload.name !== editing.name) {
          location.assign(modelUrl(answer.payload.name));
        } else location.reload();
      } else if (answer.status === 412) {
        errors.show({ detail: STALE });
      } else if (answer.status !== 401) {
        errors.show(answer.payload);
      }
    });

    return { openAdd, openEdit };
  }

  // ---- Clone, delete, make default ---------------------------------------------------------

  let openClone = () => {};

  function cloneDialog() {
    const dialog = document.getElementById("clone-dialog");
    if (!dialog) return;
    const form = dialog.querySelector("form");
    const summary = dialog.querySelector("[data-role=summary]");
    const errors = fieldErrors(form, summary);
    let source = null;
    closeOnButtons(dialog);
    openClone = (row) => {
      source = row;
      errors.clear();
      form.reset();
      dialog.querySelector("[data-role=name]").textContent = row.name;
      form.elements.namedItem("name").value = `${row.name}-custom`;
      dialog.showModal();
      form.elements.namedItem("name").select();
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { name: form.elements.namedItem("name").value };
      const displayName = form.elements.namedItem("display_name").value;
      if (displayName.trim() !== "") body.display_name = displayName;
      const answer = await busy(form.querySelector("button[type=submit]"),
        api("POST", `${apiUrl(source.id)}/clone`, body));
      if (answer.ok) {
        dialog.close("cloned");
        location.assign(modelUrl(answer.payload.name));
      } else if (answer.status !== 401) {
        errors.show(answer.payload);
      }
    });
  }

  function deleteDialog() {
    const dialog = document.getElementById("delete-dialog");
    if (!dialog) return () => {};
    const summary = dialog.querySelector("[data-role=summary]");
    const confirm = dialog.querySelector("[data-action=confirm-delete]");
    let target = null;
    closeOnButtons(dialog);
    confirm.addEventListener("click", async () => {
      const answer = await busy(confirm, api("DELETE", apiUrl(target.id), undefined,
        { "If-Match": `"${target.version}"` }));
      if (answer.ok) {
        dialog.close("deleted");
        if (document.querySelector("[data-on-page]")) location.assign("/");
        else location.reload();
        return;
      }
      summary.textContent = answer.status === 412 ? STALE
        : ((answer.payload && answer.payload.detail) || "The model could not be deleted.");
      summary.hidden = false;
    });
    return (row) => {
      target = row;
      summary.hidden = true;
      for (const name of dialog.querySelectorAll("[data-role=name]")) name.textContent = row.name;
      dialog.showModal();
    };
  }

  async function makeDefault(row, button) {
    const answer = await busy(button, api("POST", `${apiUrl(row.id)}/default`));
    if (answer.ok) location.reload();
    else if (answer.status !== 401) {
      say((answer.payload && answer.payload.detail) || "The model could not be made the default.");
    }
  }

  function modelActions() {
    const models = modelDialog();
    cloneDialog();
    const openDelete = deleteDialog();
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button || button.disabled || button.closest("dialog")) return;
      const action = button.dataset.action;
      if (action === "add" && models) {
        models.openAdd();
        return;
      }
      const holder = button.closest("[data-model-id]");
      if (!holder) return;
      const row = {
        id: holder.dataset.modelId,
        name: holder.dataset.modelName,
        version: holder.dataset.modelVersion,
      };
      if (action === "edit" && models) models.openEdit(row);
      else if (action === "clone") openClone(row);
      else if (action === "delete") openDelete(row);
      else if (action === "default") makeDefault(row, button);
    });
  }

  // ---- Filters and the simulator -----------------------------------------------------------

  function filters() {
    for (const select of document.querySelectorAll("select[data-autosubmit]")) {
      select.addEventListener("change", () => select.form.requestSubmit());
    }
  }

  function simulator() {
    const form = document.getElementById("simulate-form");
    if (!form) return;
    const showWorkload = () => {
      const mode = form.querySelector("input[name=workload]:checked").value;
      for (const part of form.querySelectorAll("[data-workload]")) {
        part.hidden = part.dataset.workload !== mode;
      }
    };
    for (const radio of form.querySelectorAll("input[name=workload]")) {
      radio.addEventListener("change", showWorkload);
    }
    showWorkload();
    const rows = document.querySelector("#custom-prices tbody");
    const template = document.getElementById("custom-row-template");
    form.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) return;
      if (button.dataset.action === "add-custom") {
        const row = template.content.firstElementChild.cloneNode(true);
        rows.append(row);
        row.querySelector("input").focus();
      } else if (button.dataset.action === "remove-custom") {
        button.closest("tr").remove();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    modelActions();
    filters();
    simulator();
  });
})();
