"""Schemathesis against the app on each database: every check, stateful links, 0 failures.

The run is what `st run --checks all` does (examples, coverage, fuzzing, stateful phases),
through its engine, on a database of its own, deterministic and bounded by max-examples.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import Case, HookContext, Response
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.engine import events, from_schema
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python import asgi

from conftest import (
    BACKENDS,
    Api,
    _create_postgres_database,
    _drop_postgres_database,
    settings_for,
)
from modeldeck.app import create_app
from modeldeck.auth.tokens import create_token
from modeldeck.bootstrap import prepare
from modeldeck.db import Database
from modeldeck.models.schemas import plain_text_pattern, unsafe_character

MAX_EXAMPLES = 10

# Rules of the registry that JSON Schema cannot say (across fields, against the URL or the
# stored data, uniqueness of one field of a list's items, exact decimal places): a schema-valid
# body may get the documented 422 for one of these, and for nothing else. Each is in the
# operation's 422 description.
BUSINESS_RULES = (
    "must not exceed context_window",
    "must not exceed output_tokens",  # reasoning tokens are part of the output
    "must be at least base_timeout",  # base_timeout_s, and seed 004's base_timeout
    "per million tokens",  # a price in range: a decimal string's value has no JSON Schema bound
    "must be the model_id of the URL",
    "is before the first price period",
    "no model is named",  # simulate's `models` name stored models
    "two tiers share one above_input_tokens threshold",
    "has more than 12 decimal places",
    "must not hold credentials",  # an endpoint's URL …
    "must not hold a key in its query string",  # … leaks no secret
    # POST /api/cost's `usage`: each format is a schema of its own, but not how their counts
    # relate, nor which format a usage with two formats' keys (or a named one) is read as.
    "exceed the",  # cached above input, reasoning above output, sums above 10^12
    "less than the sum of the counts it totals",
    "name one with usage_format",
    "of usage_format",
    "do not add up to",  # Anthropic's cache_creation split
    "disagrees with",  # Gemini's two spellings of one count
    # Prices' time-of-day windows and service tiers; the simulator's time of day.
    "overlaps",
    "must differ from start",
    "standard is the period's own rates",
    "is not offered at these prices",
    "give time_of_day or daily_mix, not both",
    "must give some share of the requests",
    # An alias's targets and fallbacks must name models that exist, each once.
    "no model named",
    "is already named at",
)
# `wait` holds GET /api/changes up to 60 s; a second says the same and keeps the run short.
MAX_WAIT_S = 1.0

# Left out: `streamEvents` is an endless SSE stream; `testModel` calls the provider's endpoint
# over the network; `revokeToken` would revoke the run's own admin token and stop the run.
EXCLUDED = ("streamEvents", "testModel", "revokeToken")
# Answered from the in-memory snapshot or computed, never stored or queried: their coverage
# phase (their every boundary) runs once, on SQLite; on PostgreSQL it covers what is stored.
FROM_MEMORY = (
    "listModels",
    "getModel",
    "listPricePeriods",
    "listModelConfigs",
    "getModelConfig",
    "priceUsage",
    "simulate",
    "countTokens",
    "health",
    "readiness",
    "metrics",
)


# Their bodies are createModel's `ModelWrite` (updateModel's with every field optional): its
# coverage phase walks those boundaries (the nested price period's rates, tiers, windows and
# service tiers) once; their other phases still run. This keeps the run to a few minutes.
SAME_BODY = ("replaceModel", "updateModel")


def _config(token: str, *, stored_only: bool) -> SchemathesisConfig:
    operations = [
        f'[[operations]]\ninclude-operation-id = "{operation}"\nenabled = false\n'
        for operation in EXCLUDED
    ]
    operations += [
        f'[[operations]]\ninclude-operation-id = "{operation}"\n'
        "[operations.phases.coverage]\nenabled = false\n"
        for operation in SAME_BODY
    ]
    if stored_only:
        operations += [
            f'[[operations]]\ninclude-operation-id = "{operation}"\n'
            "[operations.phases.coverage]\nenabled = false\n"
            for operation in FROM_MEMORY
        ]
    return SchemathesisConfig.from_str(
        f'headers = {{ Authorization = "Bearer {token}" }}\n'
        "[generation]\n"
        f"max-examples = {MAX_EXAMPLES}\n"
        "deterministic = true\n"
        "[checks]\n"
        "enabled = true\n" + "".join(operations)
    )


@dataclass
class Outcome:
    requests: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    dropped: int = 0


# A merge patch (PATCH) is checked on the merged model: a schema-valid patch may leave it
# without a required value (`pricing` without `output` on an unpriced model).
MERGED_RULES = ("is required",)


def _only_business_rules(response: Response, method: str = "") -> bool:
    if response.status_code != 422:
        return False
    rules = BUSINESS_RULES + (MERGED_RULES if method.upper() == "PATCH" else ())
    errors = response.json().get("errors") or [{}]
    return all(any(rule in str(error.get("message")) for rule in rules) for error in errors)


def _run(url: str, token: str, *, stored_only: bool) -> Outcome:
    app = create_app(settings_for(url))
    config = _config(token, stored_only=stored_only)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)

    @schema.hook
    def filter_failure(
        context: HookContext, failure: Failure, case: Case, response: Response
    ) -> bool:
        return not (
            isinstance(failure, RejectedPositiveData)
            and _only_business_rules(response, case.method)
        )

    @schema.hook
    def map_query(context: HookContext, query: dict[str, Any] | None) -> dict[str, Any] | None:
        wait = query.get("wait") if query else None
        if query and isinstance(wait, int | float) and not isinstance(wait, bool):
            query["wait"] = min(wait, MAX_WAIT_S)
        return query

    outcome = Outcome()
    try:
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                recorder = event.recorder
                outcome.requests[event.phase.value] += len(recorder.interactions)
                for case_id, checks in recorder.checks.items():
                    for check in checks:
                        if check.failure_info is not None:
                            outcome.failures[check.name] += 1
                            case = recorder.cases[case_id].value
                            interaction = recorder.interactions.get(case_id)
                            answer = interaction.response if interaction else None
                            outcome.problems.append(
                                f"{recorder.label}: {check.failure_info.failure.title} "
                                f"{case.path_parameters} {case.query} {case.body!r:.300} → "
                                f"{answer.content if answer else None!r:.3000}"
                            )
                outcome.dropped += sum(recorder.filtered_failures.values())
            elif isinstance(event, events.NonFatalError | events.FatalError):
                outcome.problems.append(f"error: {event!r:.500}")
    finally:
        asgi.shutdown_lifespans()
    return outcome


async def _prepared(url: str) -> str:
    database = Database(url)
    try:
        await prepare(settings_for(url), database)
        async with database.write() as session:
            return await create_token(session, name="schemathesis", role="admin")
    finally:
        await database.dispose()


# Both runs read and write the checkout's .schemathesis/ cache (what a run learnt from the
# errors it met): under xdist, `--dist loadfile` (pyproject.toml) keeps this file on one
# worker, so they run one after the other there, as they do without xdist.
@pytest.mark.parametrize("database_kind", BACKENDS)
def test_schemathesis_finds_nothing(database_kind: str) -> None:
    if database_kind == "sqlite":
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'schemathesis.db'}"
    else:
        url = asyncio.run(_create_postgres_database())
    try:
        token = asyncio.run(_prepared(url))
        # Every phase on both databases: the coverage phase's boundaries (largest numbers,
        # longest texts, oldest and newest dates) are where the two databases differ, so on
        # PostgreSQL it covers every operation that stores or queries (FROM_MEMORY aside).
        outcome = _run(url, token, stored_only=database_kind == "postgresql")
    finally:
        if database_kind == "postgresql":
            asyncio.run(_drop_postgres_database(url))
    print(
        f"schemathesis on {database_kind}: {sum(outcome.requests.values())} requests "
        f"{dict(outcome.requests)}, failures {dict(outcome.failures)}, "
        f"{outcome.dropped} schema-valid bodies refused for a business rule"
    )
    assert outcome.requests["fuzzing"] > 0 and outcome.requests["stateful"] > 0
    assert outcome.requests["coverage"] > 0
    assert not outcome.problems, "\n".join(outcome.problems)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/models/x/default", "POST"),
        ("PUT", "/api/models/x/history", "GET"),
        ("DELETE", "/api/models/x/prices", "GET, POST"),
        ("POST", "/api/models/x", "DELETE, GET, HEAD, PATCH, PUT"),
        ("PUT", "/api/models", "GET, HEAD, POST"),
    ],
)
async def test_a_405_lists_every_method_of_the_resource(
    api: Api, method: str, path: str, allowed: str
) -> None:
    response = await api.client.request(method, path, headers=api.admin)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    assert response.headers["Content-Type"] == "application/problem+json"


@given(st.text())
@settings(deadline=None)  # the first example builds the pattern (0.3 s)
def test_the_documented_text_pattern_is_the_validators_rule(text: str) -> None:
    assert (re.fullmatch(plain_text_pattern(), text) is not None) == (
        unsafe_character(text) is None
    )
