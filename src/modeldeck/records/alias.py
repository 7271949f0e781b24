"""The public alias record (DESIGN §7): a name apps call that stands for one or more models.

An alias (`chat`, `cheap`, `reasoning`) names weighted *targets* — each a model, with optional
requests-per-minute and tokens-per-minute limits for that deployment — and an ordered list of
*fallbacks*. It is data: the pool resolves it and the LiteLLM export emits it as a
`model_list` group; the routing itself (cooldowns, proxying) stays in the app or a gateway.
Targets are stored by model id, so renaming a model keeps its aliases; each answer names
the model as it is called now.
"""

from __future__ import annotations

import re

from pydantic import Field

from modeldeck.records.model import SENT, Moment, Record, Served

# An alias's name: short, no "/", so `/api/aliases/{name}` and `pool.client(name)` read it whole.
ALIAS_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-:@]{0,63}$")
MAX_TARGETS = 16
MAX_FALLBACKS = 16
MAX_WEIGHT = 1000


class AliasTarget(Record):
    """One deployment of an alias's group."""

    model: str = Field(description="The target model's name now")
    model_id: str = Field(description="The target model's id (what the alias stores)")
    weight: int = Field(
        default=1, description="Share of traffic, relative to the other targets (1 to 1000)"
    )
    rpm: int | None = Field(default=None, description="Requests per minute this target takes")
    tpm: int | None = Field(default=None, description="Tokens per minute this target takes")


class AliasFallback(Record):
    model: str = Field(description="The fallback model's name now")
    model_id: str


class AliasPublic(Served):
    """An alias as the API answers it: its targets and fallbacks name their models."""

    id: str
    name: str
    description: str = ""
    targets: tuple[AliasTarget, ...] = Field(
        description="Weighted targets; an app spreads calls over them by weight"
    )
    fallbacks: tuple[AliasFallback, ...] = Field(
        default=(), description="Tried in order after every target failed"
    )
    version: int = 1
    created_at: Moment = SENT
    updated_at: Moment = SENT

    @property
    def source(self) -> str:
        """Where the client got this alias: "server" or "snapshot"."""
        return self._served_from


class AliasList(Record):
    data: tuple[AliasPublic, ...]
    count: int
    revision: int = Field(description="The registry revision this list is as of")
