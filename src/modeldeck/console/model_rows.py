"""A model as one row of the Models table: every cell formatted once, in plain Python."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from modeldeck.console.model_filters import CAPABILITIES, origin
from modeldeck.console.render import environment, integer, model_url, money, number
from modeldeck.models.snapshot import Snapshot

__all__ = ["CAPABILITIES", "RENDERED_ROWS", "ModelRowView", "row_view"]


@dataclass(frozen=True, slots=True)
class ModelRowView:
    id: str
    name: str
    url: str
    display_name: str
    provider: str
    vendor: str | None
    host: str | None
    version: int
    parameters: str
    context_window: str
    max_output_tokens: str
    complexity_factor: str
    # (label, rate) per 1M tokens: input, cached input (when it has its own), output.
    price: tuple[tuple[str, str], ...] | None
    currency: str
    capabilities: tuple[str, ...]
    badges: tuple[tuple[str, str], ...]
    is_system: bool
    is_default: bool
    # Why an action is not offered; None when it is.
    default_refused: str | None
    delete_refused: str | None


def badges(model: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """(css class, text) of each badge: default, system, disabled, a non-active status (as
    served: derived from the dates), and a scheduled retirement ("retires on <date>")."""
    shown = []
    if model["is_default"]:
        shown.append(("default", "default"))
    if model["is_system"]:
        shown.append(("system", "system"))
    if not model["enabled"]:
        shown.append(("disabled", "disabled"))
    if model["status"] != "active":
        shown.append(("status", model["status"]))
    retires_on = model.get("retires_on")
    if retires_on is not None and model["status"] != "retired":
        shown.append(("status retiring", f"retires on {retires_on.isoformat()}"))
    return tuple(shown)


def default_refused(model: dict[str, Any]) -> str | None:
    if not model["enabled"]:
        return "Disabled: enable it first"
    if model["status"] == "retired":
        return "Retired models cannot be the default"
    return None


def delete_refused(model: dict[str, Any]) -> str | None:
    if model["is_default"]:
        return "Default model: make another model default first"
    if model["is_system"]:
        return "System model: disable it instead"
    return None


def price_parts(pricing: dict[str, Any] | None) -> tuple[tuple[str, str], ...] | None:
    if pricing is None:
        return None
    parts = [("in", money(pricing["input"]))]
    if pricing.get("cached_input") is not None:
        parts.append(("cached", money(pricing["cached_input"])))
    parts.append(("out", money(pricing["output"])))
    return tuple(parts)


def row_view(model: dict[str, Any]) -> ModelRowView:
    pricing = model["pricing"]
    parameters = model["parameters_b"]
    found = origin(model)
    return ModelRowView(
        id=model["id"],
        name=model["name"],
        url=model_url(model["name"]),
        display_name=model["display_name"],
        provider=model["provider"],
        vendor=found.vendor,
        host=found.host,
        version=model["version"],
        parameters="—" if parameters is None else f"{number(parameters, 1)} B",
        context_window=integer(model["context_window"]),
        max_output_tokens=integer(model["max_output_tokens"]),
        complexity_factor=number(model["complexity_factor"]),
        price=price_parts(pricing),
        currency="" if pricing is None else pricing["currency"],
        capabilities=tuple(name for name in CAPABILITIES if model["capabilities"].get(name)),
        badges=badges(model),
        is_system=model["is_system"],
        is_default=model["is_default"],
        default_refused=default_refused(model),
        delete_refused=delete_refused(model),
    )


class RenderedRows:
    """Each model's table row rendered once: the registry changes rarely, the Models page is
    read often. Rows are found by model id within a snapshot (which never changes once made,
    DESIGN §6), and across snapshots by their content, so a change re-renders only its rows."""

    def __init__(self) -> None:
        self._snapshot: weakref.ref[Snapshot] | None = None
        self._by_id: dict[tuple[str, bool], Markup] = {}
        self._by_content: dict[tuple[ModelRowView, bool], Markup] = {}

    def rows(
        self, snapshot: Snapshot, models: Iterable[dict[str, Any]], can_write: bool
    ) -> list[Markup]:
        if self._snapshot is None or self._snapshot() is not snapshot:
            self._snapshot = weakref.ref(snapshot)
            self._by_id = {}
            if len(self._by_content) > 4 * len(snapshot.models) + 100:
                self._by_content = {}
        rendered = []
        for model in models:
            key = (model["id"], can_write)
            row = self._by_id.get(key)
            if row is None:
                row = self._by_id[key] = self._render(row_view(model), can_write)
            rendered.append(row)
        return rendered

    def _render(self, view: ModelRowView, can_write: bool) -> Markup:
        row = self._by_content.get((view, can_write))
        if row is None:
            macro = environment().get_template("_model_row.html").module.model_row  # type: ignore[attr-defined]
            # The macro's output is already escaped markup: autoescape is on.
            row = self._by_content[view, can_write] = macro(view, can_write)
        return row


RENDERED_ROWS = RenderedRows()
