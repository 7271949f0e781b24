"""Aliases through the API: the rules of a write, the audit trail and the change feed."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import Api

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


async def _alias(api: Api, **body: Any) -> dict[str, Any]:
    response = await api.client.post("/api/aliases", json=body, headers=api.admin)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_an_alias_names_its_targets_and_fallbacks_by_their_current_names(api: Api) -> None:
    east = await api.create(name="gpt-4o-east")
    west = await api.create(name="gpt-4o-west")
    mini = await api.create(name="mini-fallback")
    made = await _alias(
        api,
        name="chat",
        description="Two regions, then the small model",
        targets=[
            {"model": "GPT-4O-EAST", "weight": 3, "rpm": 600, "tpm": 450000},
            {"model": west["id"]},
        ],
        fallbacks=[{"model": "mini-fallback"}],
    )
    assert made["targets"] == [
        {"model": "gpt-4o-east", "model_id": east["id"], "weight": 3, "rpm": 600, "tpm": 450000},
        {"model": "gpt-4o-west", "model_id": west["id"], "weight": 1, "rpm": None, "tpm": None},
    ]
    assert made["fallbacks"] == [{"model": "mini-fallback", "model_id": mini["id"]}]
    assert made["version"] == 1

    # Renaming a model keeps the alias, which now shows the new name.
    renamed = await api.client.patch(
        f"/api/models/{east['id']}", json={"name": "gpt-4o-eastus"}, headers=api.admin
    )
    assert renamed.status_code == 200, renamed.text
    read = (await api.client.get("/api/aliases/CHAT", headers=api.reader)).json()
    assert read["targets"][0]["model"] == "gpt-4o-eastus"
    listed = (await api.client.get("/api/aliases", headers=api.reader)).json()
    assert [alias["name"] for alias in listed["data"]] == ["chat"]
    assert listed["count"] == 1


async def test_a_read_alias_written_back_changes_nothing_and_edits_bump_the_version(
    api: Api,
) -> None:
    model = await api.create()
    other = await api.create()
    made = await _alias(api, name="cheap", targets=[{"model": model["name"]}])
    same = await api.client.put(f"/api/aliases/{made['id']}", json=made, headers=api.admin)
    assert same.status_code == 200, same.text
    assert same.json()["version"] == 1

    edited = dict(made, targets=[{"model": other["name"], "weight": 2}])
    changed = await api.client.put(
        "/api/aliases/cheap", json=edited, headers={**api.admin, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    assert changed.headers["etag"] == '"2"'

    stale = await api.client.put(
        "/api/aliases/cheap", json=made, headers={**api.admin, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"targets": []}, "targets", 422),
        ({"targets": [{"model": "no-such-model"}]}, "targets[0].model", 422),
        ({"targets": [{"model": "{m}", "weight": 0}]}, "targets[0].weight", 422),
        ({"targets": [{"model": "{m}", "rpm": -5}]}, "targets[0].rpm", 422),
        ({"targets": [{"model": "{m}"}, {"model": "{m}"}]}, "targets[1].model", 422),
        (
            {"targets": [{"model": "{m}"}], "fallbacks": [{"model": "{m}"}]},
            "fallbacks[0].model",
            422,
        ),
        ({"name": "has/slash", "targets": [{"model": "{m}"}]}, "name", 422),
        ({"name": "{m}", "targets": [{"model": "{m}"}]}, "name", 409),
        ({"targets": [{"model": "{m}"}], "surprise": 1}, "surprise", 422),
    ],
)
async def test_bad_aliases_are_refused_naming_the_field(
    api: Api, body: dict[str, Any], field: str, status: int
) -> None:
    model = await api.create()

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{m}", model["name"])
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    sent = {"name": "fast", **fill(body)}
    response = await api.client.post("/api/aliases", json=sent, headers=api.admin)
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in problem["errors"]], problem
    assert (await api.client.get("/api/aliases", headers=api.reader)).json()["count"] == 0


async def test_names_are_shared_by_models_and_aliases(api: Api) -> None:
    model = await api.create()
    await _alias(api, name="Reasoning", targets=[{"model": model["name"]}])
    taken = await api.client.post(
        "/api/aliases",
        json={"name": "reasoning", "targets": [{"model": model["id"]}]},
        headers=api.admin,
    )
    assert taken.status_code == 409
    # A model may not take an alias's name either, by create, rename or clone.
    created = await api.client.post(
        "/api/models", json={**_body_of(model), "name": "REASONING"}, headers=api.admin
    )
    assert created.status_code == 409, created.text
    assert created.json()["errors"] == [{"field": "name", "message": "is an alias's name"}]
    cloned = await api.client.post(
        f"/api/models/{model['id']}/clone", json={"name": "reasoning"}, headers=api.admin
    )
    assert cloned.status_code == 409


def _body_of(model: dict[str, Any]) -> dict[str, Any]:
    return {
        key: model[key]
        for key in ("provider", "context_window", "max_output_tokens", "display_name")
    }


async def test_a_model_an_alias_names_cannot_be_deleted_until_taken_out(api: Api) -> None:
    target = await api.create()
    fallback = await api.create()
    await _alias(
        api,
        name="chat",
        targets=[{"model": target["name"]}],
        fallbacks=[{"model": fallback["name"]}],
    )
    for model in (target, fallback):
        refused = await api.client.delete(f"/api/models/{model['id']}", headers=api.admin)
        assert refused.status_code == 409
        assert "'chat'" in refused.json()["detail"]
    deleted = await api.client.delete("/api/aliases/chat", headers=api.admin)
    assert deleted.status_code == 204
    assert (await api.client.get("/api/aliases/chat", headers=api.reader)).status_code == 404
    gone = await api.client.delete(f"/api/models/{target['id']}", headers=api.admin)
    assert gone.status_code == 204


async def test_alias_writes_are_audited_and_in_the_change_feed(api: Api) -> None:
    model = await api.create()
    before = (await api.client.get("/api/changes?since=0&limit=1")).json()["revision"]
    made = await _alias(api, name="chat", targets=[{"model": model["name"]}])
    await api.client.put(
        "/api/aliases/chat",
        json={"name": "chat", "targets": [{"model": model["name"], "weight": 5}]},
        headers=api.admin,
    )
    await api.client.delete("/api/aliases/chat", headers=api.admin)
    page = (await api.client.get(f"/api/changes?since={before}")).json()
    changes = [change for event in page["events"] for change in event["changes"]]
    assert changes == [
        {
            "action": action,
            "model_id": None,
            "model_name": None,
            "alias_id": made["id"],
            "alias_name": "chat",
        }
        for action in ("alias_created", "alias_updated", "alias_deleted")
    ]
    # The deleted alias's trail, by name; the diff names the weight that changed.
    history = (await api.client.get("/api/aliases/chat/history", headers=api.reader)).json()
    assert [entry["action"] for entry in history["data"]] == [
        "alias_deleted",
        "alias_updated",
        "alias_created",
    ]
    updated = history["data"][1]
    assert updated["before"]["targets"][0]["weight"] == 1
    assert updated["after"]["targets"][0]["weight"] == 5
    # A model's trail never shows an alias's entries, nor the other way round.
    model_history = await api.client.get(f"/api/models/{model['id']}/history")
    assert {entry["action"] for entry in model_history.json()["data"]} == {"create"}


async def test_reads_need_a_reader_and_writes_an_admin(api: Api) -> None:
    model = await api.create()
    body = {"name": "chat", "targets": [{"model": model["name"]}]}
    assert (await api.client.post("/api/aliases", json=body)).status_code == 401
    refused = await api.client.post("/api/aliases", json=body, headers=api.reader)
    assert refused.status_code == 403
    assert (await api.client.get("/api/aliases/none-such", headers=api.reader)).status_code == 404


async def test_the_console_lists_aliases_and_their_audit_entries(api: Api) -> None:
    model = await api.create()
    await _alias(api, name="console-chat", targets=[{"model": model["name"], "weight": 2}])
    page = await api.client.get("/aliases")
    assert page.status_code == 200
    assert "console-chat" in page.text and model["name"] in page.text
    audit = await api.client.get("/audit")
    assert audit.status_code == 200
    assert "console-chat" in audit.text and "alias_created" in audit.text
