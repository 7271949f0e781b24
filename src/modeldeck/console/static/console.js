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

  // The page's status line (role=status): shown, then filled, so screen readers announce it.
  function say(message) {
    const status = document.getElementById("status");
    if (!status) return;
    status.hidden = !message;
    status.textContent = "";
    if (message) setTimeout(() => { status.textContent = message; }, 60);
  }

  // A confirmation to show on the next page (saving or deleting reloads or leaves this one).
  const FLASH = "modeldeck.flash";
  function flash(message) {
    try { sessionStorage.setItem(FLASH, message); } catch (error) { /* private mode: no message */ }
  }
  function showFlash() {
    let message = null;
    try {
      message = sessionStorage.getItem(FLASH);
      sessionStorage.removeItem(FLASH);
    } catch (error) { return; }
    if (message) say(message);
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

  // ---- Errors in people's words ------------------------------------------------------------
  // The API names fields by their JSON path and says what is wrong in its own terms
  // ("max_output_tokens: must not exceed context_window"); the console says it with the
  // field's label and what was typed: "Max output tokens (200,000) must not exceed the
  // context window (128,000)".

  const RELATED = {
    context_window: ["the context window", "context_window"],
    base_timeout_s: ["the base timeout", "limits.base_timeout_s"],
  };

  function labelOf(form, input) {
    if (!input) return "";
    if (input.matches("fieldset")) {
      const legend = input.querySelector("legend");
      return legend ? legend.firstChild.textContent.trim() : "";
    }
    if (input.matches("[data-name]")) return "Long-context tiers";
    const label = (input.id && form.querySelector(`label[for="${CSS.escape(input.id)}"]`))
      || input.closest("label");
    let text = label ? Array.from(label.childNodes)
      .filter((node) => node.nodeType === Node.TEXT_NODE || node.matches("span:not(.muted)"))
      .map((node) => node.textContent).join(" ").replace(/\s+/g, " ").trim() : input.name;
    const tier = input.closest("[data-tier]");
    if (tier) {
      const number = Array.from(tier.parentElement.children).indexOf(tier) + 1;
      text = `Tier ${number}: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
    }
    return text;
  }

  function shownValue(input) {
    if (!input || !("value" in input) || input.type === "password" || input.type === "checkbox") return "";
    const value = String(input.value).trim();
    if (/^[+-]?\d{4,}$/.test(value)) return Number(value).toLocaleString("en-US");
    return value.length > 40 ? `${value.slice(0, 39)}…` : value;
  }

  // One error as a sentence: `target` is the input (or group) it belongs to, `rest` the part
  // of its path below that input (a key inside a JSON field).
  function sentence(form, error, target, rest) {
    const message = String(error.message || "is invalid").replace(/^Value error, /, "");
    let label = target ? labelOf(form, target) : String(error.field || "This change");
    if (rest) label = `${label}: ${rest.replace(/^[.[]/, "").replace(/[.[\]]+/g, " ").trim()}`;
    const isInput = target && target.matches("input, select, textarea");
    const value = isInput ? shownValue(target) : "";
    const typed = value ? ` (${value})` : "";
    const quoted = value ? `, not “${value}”` : "";
    let found;
    for (const [word, [phrase, path]] of Object.entries(RELATED)) {
      if (message.endsWith(word)) {
        const other = form.querySelector(`[name="${CSS.escape(path)}"]`);
        const otherValue = shownValue(other);
        const lead = message.slice(0, -word.length).replace(/^must /, "must ");
        return `${label}${typed} ${lead}${phrase}${otherValue ? ` (${otherValue})` : ""}`;
      }
    }
    if (message === "is required") return `${label} is required`;
    if (message === "is already taken") {
      return `The name${value ? ` “${value}”` : ""} is already taken (names are unique, ignoring case)`;
    }
    if (/^Input should be a valid integer/.test(message)) {
      return value ? `${label} must be a whole number${quoted}` : `${label} is required: a whole number`;
    }
    if (/^(Input should be a valid number|must be a number$)/.test(message)) {
      return value ? `${label} must be a number${quoted}` : `${label} is required: a number`;
    }
    if ((found = message.match(/^Input should be (greater|less) than( or equal to)? (.+)$/))) {
      const bound = found[2] ? (found[1] === "greater" ? "at least" : "at most")
        : `${found[1]} than`;
      return `${label}${typed} must be ${bound} ${found[3]}`;
    }
    if (/^Input should be a valid date(?! ?time)/.test(message) || /^Input should be a valid date or datetime/.test(message)) {
      return `${label} must be a day, such as 2027-04-14${quoted}`;
    }
    if (/^Input should be a valid datetime/.test(message)) {
      return `${label} must be a date and time${quoted}`;
    }
    if (/^String should match pattern '\^\[A-Z\]\{3\}\$'/.test(message)) {
      return `${label} must be three capital letters, such as USD${quoted}`;
    }
    if ((found = message.match(/^String should have at most (\d+) characters?/))) {
      return `${label} must be at most ${Number(found[1]).toLocaleString("en-US")} characters long`;
    }
    if (/^Input should be a valid list/.test(message)) return `${label} must be a JSON list: [ … ]`;
    if (/^Input should be a valid dictionary/.test(message)) return `${label} must be a JSON object: { … }`;
    if (message === "is not valid JSON") return `${label} is not valid JSON`;
    const plain = message.replace(/\b([a-z]+(?:_[a-z]+)+)\b/g, (word) => word.replace(/_/g, " "));
    if (/^(must|is|has|may|should|cannot|can't|a |an )/.test(plain)) return `${label}${typed} ${plain}`;
    return `${label}: ${plain}`;
  }

  // Field errors from problem+json, each shown next to its input; all of them in the summary.
  function fieldErrors(form, summary) {
    const find = (path) => {
      let candidate = path;
      while (candidate) {
        const found = form.querySelector(
          `[name="${CSS.escape(candidate)}"], [data-name="${CSS.escape(candidate)}"]`);
        if (found) return { target: found, rest: path.slice(candidate.length) };
        const shorter = candidate.match(/^(.*)(\[\d+\]|\.[^.[\]]+)$/);
        if (!shorter) return { target: null, rest: "" };
        candidate = shorter[1];
      }
      return { target: null, rest: "" };
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
      const sentences = [];
      let first = null;
      for (const error of errors) {
        const { target, rest } = find(String(error.field || ""));
        const text = sentence(form, error, target, rest);
        sentences.push(text);
        const group = target && target.matches("fieldset, [data-name]");
        const holder = target && (group
          ? target.querySelector(`[data-error-for="${CSS.escape(target.getAttribute("name") || target.dataset.name)}"]`)
          : target.closest(".field") && target.closest(".field").querySelector(".field-error"));
        if (!holder) continue;
        holder.textContent = holder.textContent ? `${holder.textContent} ${text}.` : `${text}.`;
        holder.hidden = false;
        if (!group) target.setAttribute("aria-invalid", "true");
        for (let details = holder.closest("details"); details; details = details.parentElement.closest("details")) {
          details.open = true;
        }
        first = first || (group ? null : target);
      }
      const head = document.createElement("p");
      const validation = problem && problem.status === 422 && errors.length;
      head.textContent = validation
        ? (errors.length === 1 ? "Please correct the field marked below:" : `Please correct the ${errors.length} fields marked below:`)
        : ((problem && problem.detail) || fallback || "The change was refused.");
      summary.append(head);
      if (validation) {
        const list = document.createElement("ul");
        for (const text of sentences) {
          const item = document.createElement("li");
          item.textContent = `${text}.`;
          list.append(item);
        }
        summary.append(list);
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
    const testButton = document.getElementById("dialog-test");
    const testResult = document.getElementById("dialog-test-result");
    const discard = discardDialog();
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
        leave("cancel");
        openClone(source);
      } else if (button.dataset.action === "test-dialog" && editing) {
        const note = deploymentChanged()
          ? " It tests the saved deployment: save first to test your changes." : "";
        testConnection(editing.id, testResult, button, note);
      }
    });

    // Closing with unsaved changes (Escape, Cancel, ×) asks first. Chromium may close a dialog
    // on Escape despite `preventDefault` (no user activation since the last one): then the
    // dialog is opened again and asks all the same.
    let baseline = "";
    let baselineDeployment = "";
    let leaving = false;
    const state = () => JSON.stringify(collect());
    const deploymentChanged = () => JSON.stringify(collect().deployment || {}) !== baselineDeployment;
    const dirty = () => dialog.open && baseline !== "" && state() !== baseline;
    const leave = (reason) => {
      leaving = true;
      dialog.close(reason);
    };
    const askFirst = () => {
      if (!dirty()) {
        leave("cancel");
        return;
      }
      discard.ask(editing ? editing.name : null, () => leave("discarded"));
    };
    for (const button of dialog.querySelectorAll("[data-close]")) {
      button.addEventListener("click", askFirst);
    }
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      askFirst();
    });
    dialog.addEventListener("close", () => {
      if (leaving || dialog.returnValue === "saved") {
        leaving = false;
        baseline = "";
        return;
      }
      if (baseline !== "" && state() !== baseline) {
        dialog.showModal();
        askFirst();
      }
    });

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
      leaving = false;
      dialog.returnValue = "";
      testResult.hidden = true;
      testResult.textContent = "";
      testButton.hidden = !editing;
      dialog.showModal();
      baseline = state();
      baselineDeployment = JSON.stringify(collect().deployment || {});
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
        flash(editing ? `Saved the changes to ${answer.payload.name}.` : `Added ${answer.payload.name}.`);
        leave("saved");
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
        flash(`Cloned ${source.name} as ${answer.payload.name}.`);
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
        flash(`Deleted ${target.name}.`);
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

  // Making a model the default changes what every application gets when it names none:
  // confirmed first, naming the model it replaces.
  function defaultDialog() {
    const dialog = document.getElementById("default-dialog");
    if (!dialog) return () => {};
    const summary = dialog.querySelector("[data-role=summary]");
    const confirm = dialog.querySelector("[data-action=confirm-default]");
    let target = null;
    closeOnButtons(dialog);
    confirm.addEventListener("click", async () => {
      const answer = await busy(confirm, api("POST", `${apiUrl(target.id)}/default`));
      if (answer.ok) {
        flash(`${target.name} is now the default model.`);
        dialog.close("done");
        location.reload();
        return;
      }
      if (answer.status === 401) return;
      summary.textContent = (answer.payload && answer.payload.detail)
        || "The model could not be made the default.";
      summary.hidden = false;
    });
    return (row) => {
      target = row;
      summary.hidden = true;
      for (const name of dialog.querySelectorAll("[data-role=name]")) name.textContent = row.name;
      dialog.showModal();
    };
  }

  // "Discard your changes?": `ask(name, discard)` calls `discard` only when the visitor says so.
  function discardDialog() {
    const dialog = document.getElementById("discard-dialog");
    let onDiscard = null;
    dialog.querySelector("[data-action=keep-editing]").addEventListener("click", () => dialog.close("keep"));
    dialog.querySelector("[data-action=discard]").addEventListener("click", () => {
      dialog.close("discard");
      if (onDiscard) onDiscard();
    });
    return {
      ask(name, discard) {
        onDiscard = discard;
        dialog.querySelector("[data-role=name]").textContent = name ? ` to ${name}` : "";
        // On top of the form, even when the form was just opened again.
        if (dialog.open) dialog.close("raise");
        dialog.showModal();
      },
    };
  }

  // `POST /api/models/{id}/test`: the latency, or what went wrong in the provider's plain words.
  async function testConnection(id, output, button, note) {
    output.hidden = false;
    output.classList.remove("ok", "failed");
    output.textContent = "Testing the connection…";
    const answer = await busy(button, api("POST", `${apiUrl(id)}/test`));
    const check = answer.payload || {};
    let text;
    if (answer.ok && check.ok) {
      text = `Connected: ${check.deployment || check.model} answered in ${Math.round(check.latency_ms)} ms.`;
      output.classList.add("ok");
    } else if (answer.ok) {
      text = `Connection failed: ${check.error || "the provider did not answer as expected."}`;
      output.classList.add("failed");
    } else {
      const fields = Array.isArray(check.errors) ? check.errors.map((error) => error.message) : [];
      text = `Not tested: ${check.detail || fields.join("; ") || "the server refused the test."}`;
      output.classList.add("failed");
    }
    output.textContent = text + (note || "");
  }

  function modelActions() {
    const models = modelDialog();
    cloneDialog();
    const openDelete = deleteDialog();
    const openDefault = defaultDialog();
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button || button.disabled || button.closest("dialog")) return;
      const action = button.dataset.action;
      if (action === "add" && models) {
        models.openAdd();
        return;
      }
      const menu = button.closest("details.menu");
      if (menu) menu.open = false;
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
      else if (action === "default") openDefault(row);
      else if (action === "test") testConnection(row.id, document.getElementById("test-result"), button);
    });
  }

  // ---- Filters and the simulator -----------------------------------------------------------

  function filters() {
    for (const control of document.querySelectorAll("select[data-autosubmit], input[data-autosubmit]")) {
      control.addEventListener("change", () => control.form.requestSubmit());
    }
  }

  // Menus (a row's actions, the columns): one open at a time; Escape or a click elsewhere
  // closes them.
  function menus() {
    const all = () => document.querySelectorAll("details.menu[open]");
    document.addEventListener("toggle", (event) => {
      const opened = event.target;
      if (!opened.matches || !opened.matches("details.menu") || !opened.open) return;
      for (const other of all()) if (other !== opened) other.open = false;
    }, true);
    document.addEventListener("click", (event) => {
      for (const menu of all()) if (!menu.contains(event.target)) menu.open = false;
    });
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      for (const menu of all()) {
        if (menu.closest("dialog")) continue;
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }

  // Columns of the Models table the visitor shows or hides, remembered in this browser.
  const COLUMNS = "modeldeck.models.columns";
  function columns() {
    const table = document.getElementById("models");
    const chooser = document.getElementById("column-chooser");
    if (!table || !chooser) return;
    let saved = {};
    try { saved = JSON.parse(localStorage.getItem(COLUMNS) || "{}") || {}; } catch (error) { saved = {}; }
    const boxes = chooser.querySelectorAll("input[data-column]");
    const apply = (box) => table.classList.toggle(`hide-${box.dataset.column}`, !box.checked);
    for (const box of boxes) {
      if (typeof saved[box.dataset.column] === "boolean") box.checked = saved[box.dataset.column];
      apply(box);
      box.addEventListener("change", () => {
        apply(box);
        const shown = {};
        for (const each of boxes) shown[each.dataset.column] = each.checked;
        try { localStorage.setItem(COLUMNS, JSON.stringify(shown)); } catch (error) { /* not kept */ }
      });
    }
    chooser.hidden = false;
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
    showFlash();
    modelActions();
    menus();
    columns();
    filters();
    simulator();
  });
})();
