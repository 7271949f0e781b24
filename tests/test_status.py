"""Statuses that stay true (issue 12 §6): `status` derived from the dates at read time.

Every date here is derived from `modeldeck.clock`; the module is `dated`, so it also runs
with the clock twelve years ahead.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from conftest import SECRET_KEY, Api
from modeldeck import clock
from modeldeck.catalog.builtin import load_builtin
from modeldeck.catalog.sync import apply_sync, plan_sync
from modeldeck.client.snapshot import catalog_records
from modeldeck.crypto import KeyVault
from modeldeck.models import service
from modeldeck.models.tables import ModelRow
from modeldeck.records.status import (
    derived_status,
    next_status_day,
    restatus,
    stored_status,
)

pytestmark = [pytest.mark.anyio, pytest.mark.dated]


def day(offset: int) -> date:
    return clock.today() + timedelta(days=offset)


def iso(offset: int) -> str:
    return day(offset).isoformat()


async def get(api: Api, ref: str) -> dict[str, Any]:
    response = await api.client.get(f"/api/models/{ref}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def patch(api: Api, ref: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = await api.client.patch(f"/api/models/{ref}", json=body, headers=api.admin)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


async def names(api: Api, **params: Any) -> set[str]:
    response = await api.client.get("/api/models", params={"limit": 10000, **params})
    assert response.status_code == 200, response.text
    return {model["name"] for model in response.json()["data"]}


# --- the rule -------------------------------------------------------------------------------


def test_retires_on_retires_on_and_after_its_day_never_before() -> None:
    today = clock.today()
    assert derived_status("active", None, day(1), today) == "active"
    assert derived_status("active", None, day(0), today) == "retired"
    assert derived_status("active", None, day(-1), today) == "retired"
    # A scheduled retirement is not a deprecation.
    assert derived_status("active", None, day(400), today) == "active"


def test_deprecation_date_deprecates_on_and_after_its_day() -> None:
    today = clock.today()
    assert derived_status("active", day(1), None, today) == "active"
    assert derived_status("active", day(0), None, today) == "deprecated"
    assert derived_status("active", day(-30), day(30), today) == "deprecated"
    assert derived_status("active", day(-30), day(-1), today) == "retired"


def test_a_stored_status_is_kept_and_the_dates_only_move_it_on() -> None:
    today = clock.today()
    assert derived_status("deprecated", None, None, today) == "deprecated"
    assert derived_status("deprecated", None, day(5), today) == "deprecated"
    assert derived_status("deprecated", None, day(-5), today) == "retired"
    assert derived_status("retired", None, day(5), today) == "retired"
    assert derived_status("retired", day(5), None, today) == "retired"


def test_what_the_dates_say_is_not_stored() -> None:
    today = clock.today()
    assert stored_status("retired", None, day(-1), today) == "active"
    assert stored_status("deprecated", day(0), None, today) == "active"
    assert stored_status("deprecated", None, day(10), today) == "deprecated"
    assert stored_status("retired", None, None, today) == "retired"


def test_the_next_status_day_is_the_nearest_future_date() -> None:
    today = clock.today()
    assert next_status_day(day(9), day(3), today) == day(3)
    assert next_status_day(day(-9), day(3), today) == day(3)
    assert next_status_day(day(-9), day(0), today) is None
    assert next_status_day(None, None, today) is None


def test_an_old_answer_is_derived_again_for_today() -> None:
    record = {"status": "active", "deprecation_date": None, "retires_on": iso(2)}
    assert restatus(record, day(1))["status"] == "active"
    assert restatus(record, day(2))["status"] == "retired"
    assert restatus({**record, "status": "retired"}, day(1))["status"] == "retired"


# --- the API --------------------------------------------------------------------------------


async def test_a_scheduled_retirement_shows_as_retires_on_and_comes_without_a_write(
    api: Api,
) -> None:
    created = await api.create(name="sunset", retires_on=iso(5))
    assert (created["status"], created["retires_on"]) == ("active", iso(5))
    assert created["deprecation_date"] is None
    first = await api.client.get("/api/models/sunset")  # the snapshot is made now
    assert "sunset" in await names(api, status="active")
    with clock.moved(timedelta(days=4)):
        assert (await get(api, "sunset"))["status"] == "active"
    with clock.moved(timedelta(days=5)):
        later = await api.client.get("/api/models/sunset")
        shown = later.json()
        assert shown["status"] == "retired"
        assert shown["version"] == created["version"]  # no write: the day came
        assert later.headers["etag"] != first.headers["etag"]
        assert "sunset" in await names(api, status="retired")
        assert "sunset" not in await names(api, status="active")


async def test_a_deprecation_date_deprecates_on_its_day(api: Api) -> None:
    await api.create(name="fading", deprecation_date=iso(3))
    assert (await get(api, "fading"))["status"] == "active"
    with clock.moved(timedelta(days=3)):
        assert (await get(api, "fading"))["status"] == "deprecated"
        assert "fading" in await names(api, status="deprecated")


async def test_a_status_read_and_written_back_does_not_freeze(api: Api) -> None:
    created = await api.create(name="round-trip", retires_on=iso(-1))
    assert created["status"] == "retired"
    # GET → PUT as read, then clear the date: the model is active again.
    body = {key: value for key, value in created.items() if key != "deployment"}
    response = await api.client.put("/api/models/round-trip", json=body, headers=api.admin)
    assert response.status_code == 200, response.text
    assert (await patch(api, "round-trip", {"retires_on": None}))["status"] == "active"
    # A PATCH that leaves the read status alone changes nothing either.
    moved = await patch(api, "round-trip", {"retires_on": iso(-2), "status": "active"})
    assert moved["status"] == "retired"
    assert (await patch(api, "round-trip", {"retires_on": iso(30)}))["status"] == "active"


async def test_an_admin_may_still_say_deprecated_or_retired(api: Api) -> None:
    await api.create(name="said-so", retires_on=iso(30))
    said = await patch(api, "said-so", {"status": "deprecated"})
    assert (said["status"], said["retires_on"]) == ("deprecated", iso(30))
    with clock.moved(timedelta(days=30)):
        assert (await get(api, "said-so"))["status"] == "retired"
    assert (await patch(api, "said-so", {"status": "active"}))["status"] == "active"
    assert (await patch(api, "said-so", {"status": "retired"}))["status"] == "retired"


async def test_clones_and_copies_keep_the_dates_not_a_frozen_status(api: Api) -> None:
    await api.create(name="old-one", retires_on=iso(-1))
    response = await api.client.post(
        "/api/models/old-one/clone", json={"name": "old-copy"}, headers=api.admin
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "retired"
    assert (await patch(api, "old-copy", {"retires_on": None}))["status"] == "active"


async def test_the_default_is_not_retired_by_a_past_day_but_may_be_scheduled(api: Api) -> None:
    await api.create(name="my-default")
    response = await api.client.post("/api/models/my-default/default", headers=api.admin)
    assert response.status_code == 200, response.text
    refused = await patch(api, "my-default", {"retires_on": iso(0)}, status=409)
    assert refused["errors"][0]["field"] == "status"
    assert "cannot be retired" in refused["detail"]
    assert (await patch(api, "my-default", {"retires_on": iso(60)}))["is_default"]
    # A system model's dates are the catalog's.
    refused = await patch(api, "gpt-4o-mini", {"retires_on": iso(60)}, status=409)
    assert refused["errors"][0]["field"] == "retires_on"
    await api.create(name="already-gone", retires_on=iso(-3))
    response = await api.client.post("/api/models/already-gone/default", headers=api.admin)
    assert response.status_code == 409


@pytest.mark.parametrize("value", ["soon", "2026-02-30", 12, True])
async def test_a_bad_retires_on_is_a_422_naming_the_field(api: Api, value: Any) -> None:
    response = await api.client.post(
        "/api/models", json={"name": "bad-day", "provider": "openai", "context_window": 1000,
                             "max_output_tokens": 100, "retires_on": value},
        headers=api.admin,
    )  # fmt: skip
    if response.status_code == 201:  # pydantic reads some numbers as days; never a string
        assert not isinstance(value, str)
        return
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == ["retires_on"]


async def test_the_simulator_leaves_retired_models_out_unless_asked(api: Api) -> None:
    await api.create(name="sim-gone", retires_on=iso(-1))
    await api.create(name="sim-going", retires_on=iso(10))
    body: dict[str, Any] = {"input_tokens": 1000, "output_tokens": 100}

    async def simulated(**extra: Any) -> set[str]:
        response = await api.client.post("/api/simulate", json=body | extra)
        assert response.status_code == 200, response.text
        return {row["model"] for row in response.json()["data"]}

    shown = await simulated()
    assert "sim-going" in shown and "sim-gone" not in shown
    assert {"sim-going", "sim-gone"} <= await simulated(include_retired=True)
    # Prices as of a later day: a model retired by then is left out too.
    later = (clock.now() + timedelta(days=11)).isoformat()
    assert "sim-going" not in await simulated(at=later)
    # Named one by one, each is priced as asked.
    assert await simulated(models=["sim-gone"]) == {"sim-gone"}
    response = await api.client.post("/api/simulate", json=body | {"include_retired": "yes"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "include_retired"


async def test_the_console_shows_derived_badges_and_the_retirement_day(api: Api) -> None:
    await api.create(name="badge-soon", retires_on=iso(7))
    await api.create(name="badge-gone", retires_on=iso(-7))
    page = (await api.client.get("/models/badge-soon")).text
    assert f"retires on {iso(7)}" in page
    page = (await api.client.get("/models/badge-gone")).text
    assert ">retired<" in page and f"retires on {iso(-7)}" not in page
    with clock.moved(timedelta(days=7)):
        page = (await api.client.get("/models/badge-soon")).text
        assert ">retired<" in page and f"retires on {iso(0)}" not in page
        listed = (await api.client.get("/?status=retired")).text
        assert "badge-soon" in listed


# --- the built-in catalog -------------------------------------------------------------------


def test_the_catalog_says_only_what_vendors_said() -> None:
    catalog = load_builtin()
    counts = Counter(model.status for model in catalog.models)
    assert set(counts) <= {"active", "deprecated"}  # retirement comes from retires_on
    assert counts["deprecated"] <= 3
    scheduled = [model for model in catalog.models if model.retires_on is not None]
    assert len(scheduled) >= 30
    assert all(model.deprecation_date is None for model in scheduled)
    # Azure's GPT-4.1 and gpt-5.1 are current: a far shutdown day does not deprecate them.
    by_name = {model.name: model for model in catalog.models}
    for name in ("azure/gpt-4.1", "azure/gpt-4o", "gpt-5.1", "gemini-3.1-flash-lite"):
        assert by_name[name].status == "active" and by_name[name].retires_on is not None


async def test_seeding_carries_retires_on_and_statuses_follow_the_clock(api: Api) -> None:
    catalog = {model.name: model for model in load_builtin().models}
    listed = (await api.client.get("/api/models?system=true&limit=10000")).json()["data"]
    for model in listed:
        source = catalog[model["name"]]
        expected = derived_status(
            source.status, source.deprecation_date, source.retires_on, clock.today()
        )
        assert (model["status"], model["retires_on"]) == (
            expected,
            None if source.retires_on is None else source.retires_on.isoformat(),
        )


def test_the_offline_catalog_derives_statuses_too() -> None:
    records = {record["name"]: record for record in catalog_records()}
    scheduled = next(record for record in records.values() if record["retires_on"])
    with clock.moved(scheduled["retires_on"] - clock.today() + timedelta(days=1)):
        assert restatus(scheduled, clock.today())["status"] == "retired"


async def test_sync_moves_an_old_shutdown_deprecation_to_retires_on(api: Api) -> None:
    """A registry seeded from an older catalog, which froze shutdown days as deprecations."""
    target = next(model for model in load_builtin().models if model.retires_on is not None)
    async with api.database.write() as session:
        row = (
            await session.execute(select(ModelRow).where(ModelRow.name_key == target.name.lower()))
        ).scalar_one()
        row.status, row.deprecation_date, row.retires_on = "deprecated", target.retires_on, None
    async with api.database.write() as session:
        plan = await plan_sync(session)
        changed = {planned.name: planned for planned in plan.changed}
        fields = {change["field"] for change in changed[target.name].changes}
        assert {"status", "deprecation_date", "retires_on"} <= fields
        ctx = service.WriteContext(actor="catalog", vault=KeyVault(SECRET_KEY))
        await apply_sync(session, plan, ctx=ctx)
    shown = await get(api, target.name)
    assert shown["deprecation_date"] is None
    assert shown["retires_on"] == target.retires_on.isoformat()
    assert shown["status"] == derived_status("active", None, target.retires_on, clock.today())
    history = (await api.client.get(f"/api/models/{target.name}/history")).json()
    entries = history["data"] if isinstance(history, dict) else history
    assert entries[0]["action"] == "sync"
    # Run again: nothing left to change.
    async with api.database.write() as session:
        again = await plan_sync(session)
        assert target.name not in {planned.name for planned in again.changed}
