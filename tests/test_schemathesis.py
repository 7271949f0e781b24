"""Schemathesis against the app on each database: every check, stateful links, 0 failures.

The run is what `st run --checks all` does (examples, fuzzing, stateful phases; see below),
through its engine, on a database of its own, deterministic and bounded by max-examples.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.python import asgi

from conftest import (
    BACKENDS,
    _create_postgres_database,
    _drop_postgres_database,
    settings_for,
)
from modeldeck.app import create_app
from modeldeck.auth.tokens import create_token
from modeldeck.bootstrap import prepare
from modeldeck.db import Database

MAX_EXAMPLES = 10

# 422 is the documented answer for a rule of the registry that JSON Schema cannot say, so a
# schema-valid body may get it on these operations (each rule is in the operation's 422 text):
BUSINESS_RULES = {
    # max_output_tokens must not exceed context_window (a rule across two fields)
    "createModel": "max_output_tokens ≤ context_window",
    "replaceModel": "max_output_tokens ≤ context_window",
    "updateModel": "max_output_tokens ≤ context_window, after the merge",
    # seed 004: the body's `name` must be the URL's model_id (a body against its URL)
    "createModelConfig": "name is the URL's model_id",
    "replaceModelConfig": "name is the URL's model_id",
    # `at` must fall in a price period, which depends on the registry's data
    "priceUsage": "at is on or after the model's first price period",
    # the tiers' thresholds must be distinct (uniqueItems compares whole items, not a field)
    "simulate": "tier thresholds are distinct",
    "addPricePeriod": "tier thresholds are distinct; at most 12 decimal places",
}

# Left out: `streamEvents` is an endless SSE stream; `testModel` calls the provider's endpoint
# over the network; `revokeToken` would revoke the run's own admin token and stop the run.
EXCLUDED = ("streamEvents", "testModel", "revokeToken")


def _config(token: str) -> SchemathesisConfig:
    operations = [
        f'[[operations]]\ninclude-operation-id = "{operation}"\nenabled = false\n'
        for operation in EXCLUDED
    ] + [
        f'[[operations]]\ninclude-operation-id = "{operation}"\n'
        "[operations.checks.positive_data_acceptance]\n"
        'expected-statuses = ["2XX", "3XX", 401, 403, 404, 409, 422, 429]\n'
        for operation in BUSINESS_RULES
    ]
    return SchemathesisConfig.from_str(
        f'headers = {{ Authorization = "Bearer {token}" }}\n'
        "[generation]\n"
        f"max-examples = {MAX_EXAMPLES}\n"
        "deterministic = true\n"
        # The coverage phase alone sends ~6,000 requests (a minute a database); examples,
        # fuzzing (positive and negative data) and stateful links keep the run bounded.
        "[phases.coverage]\n"
        "enabled = false\n"
        "[checks]\n"
        "enabled = true\n" + "".join(operations)
    )


@dataclass
class Outcome:
    requests: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def _run(url: str, token: str) -> Outcome:
    app = create_app(settings_for(url))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=_config(token))
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
                            outcome.problems.append(
                                f"{recorder.label}: {check.failure_info.failure.title} "
                                f"{case.path_parameters} {case.query} {case.body!r:.300}"
                            )
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


@pytest.mark.parametrize("database_kind", BACKENDS)
def test_schemathesis_finds_nothing(database_kind: str) -> None:
    if database_kind == "sqlite":
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'schemathesis.db'}"
    else:
        url = asyncio.run(_create_postgres_database())
    try:
        token = asyncio.run(_prepared(url))
        outcome = _run(url, token)
    finally:
        if database_kind == "postgresql":
            asyncio.run(_drop_postgres_database(url))
    print(
        f"schemathesis on {database_kind}: {sum(outcome.requests.values())} requests "
        f"{dict(outcome.requests)}, failures {dict(outcome.failures)}"
    )
    assert outcome.requests["fuzzing"] > 0 and outcome.requests["stateful"] > 0
    assert not outcome.problems, "\n".join(outcome.problems)
