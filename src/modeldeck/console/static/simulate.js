// The Simulator's form: a GET whose address holds the question, kept short and shareable.
// Data is only ever put into the page with textContent, never as markup.
"use strict";

(() => {
  // Longer sample texts are posted (with the session's CSRF token): too long for an address.
  const LONGEST_TEXT_IN_ADDRESS = 4000;
  const COMPARE_LIMIT = 4;

  function say(message) {
    const status = document.getElementById("status");
    if (!status) return;
    status.textContent = message;
    status.hidden = !message;
  }

  function shortAddress(form) {
    // Empty fields and defaults add nothing to a shared link: leave them out of the query.
    const left = [];
    // A custom price row goes whole (its cells pair up by position) or, when blank, not at all.
    for (const row of form.querySelectorAll("[data-custom-row]")) {
      const cells = [...row.querySelectorAll("input[name]")];
      if (cells.every((input) => input.value.trim() === "")) {
        for (const input of cells) { input.disabled = true; left.push(input); }
      }
    }
    for (const input of form.querySelectorAll("input[name], textarea[name], select[name]")) {
      if (input.disabled || input.type === "checkbox" || input.type === "radio") continue;
      if (input.closest("[data-custom-row]")) continue;
      const fallback = input.dataset.default;
      if (input.value.trim() === "" || (fallback !== undefined && input.value === fallback)) {
        input.disabled = true;
        left.push(input);
      }
    }
    // Back in history, the page shows the fields as they were.
    setTimeout(() => { for (const input of left) input.disabled = false; }, 0);
  }

  function postInstead(form) {
    form.method = "post";
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && !form.querySelector("input[name=csrf_token]")) {
      const token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrf_token";
      token.value = meta.content;
      form.append(token);
    }
  }

  function simulatorForm() {
    const form = document.getElementById("simulate-form");
    if (!form) return;
    form.addEventListener("submit", () => {
      const mode = form.querySelector("input[name=workload]:checked");
      const text = form.elements.namedItem("text");
      if (mode && mode.value === "text" && text && text.value.length > LONGEST_TEXT_IN_ADDRESS) {
        postInstead(form);
        say("The sample text is too long for a link: these results are not in the address.");
        return;
      }
      form.method = "get";
      shortAddress(form);
    });
    document.addEventListener("change", (event) => {
      const box = event.target;
      if (!(box instanceof HTMLInputElement) || box.name !== "compare" || !box.checked) return;
      const ticked = [...document.querySelectorAll("input[name=compare]")]
        .filter((input) => input.type === "hidden" || input.checked);
      if (ticked.length > COMPARE_LIMIT) {
        box.checked = false;
        say(`Compare up to ${COMPARE_LIMIT} models at a time: untick one first.`);
      } else {
        say("");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", simulatorForm);
})();
