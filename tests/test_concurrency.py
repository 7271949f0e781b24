"""Concurrent writers (DESIGN §2, §4): no lost or half-applied update, names stay unique.

Each request commits on the real engine; writers queue on SQLite's write lock
(BEGIN IMMEDIATE + busy_timeout) and on PostgreSQL's lock of the revision row.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from conftest import Api, model_body

pytestmark = pytest.mark.anyio


def distinct_change(index: int) -> dict[str, Any]:
    """A patch touching several fields, all marked with `index`, so a mix would show."""
    return {
        "description": f"change {index}",
        "tags": [f"writer-{index}"],
        "context_window": 100_000 + index,
        "pricing": {"input": f"{index}.5", "output": f"{index + 1}"},
    }


async def revision(api: Api) -> int:
    listing = await api.client.get("/api/models", params={"limit": 1})
    assert listing.status_code == 200
    value: int = listing.json()["revision"]
    return value


async def post_models(api: Api, names: list[str]) -> list[httpx.Response]:
    return list(
        await asyncio.gather(
            *(
                api.client.post("/api/models", json=model_body(name=name), headers=api.admin)
                for name in names
            )
        )
    )


async def test_of_twenty_concurrent_patches_at_one_version_exactly_one_wins(
    committing_api: Api,
) -> None:
    api = committing_api
    model = await api.create()
    url = f"/api/models/{model['id']}"
    headers = api.admin | {"If-Match": '"1"'}

    responses = await asyncio.gather(
        *(
            api.client.patch(url, json=distinct_change(index), headers=headers)
            for index in range(20)
        )
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [412] * 19, [response.text for response in responses]
    winner = next(response.json() for response in responses if response.status_code == 200)
    index = int(winner["description"].removeprefix("change "))
    assert winner["tags"] == [f"writer-{index}"]
    assert winner["context_window"] == 100_000 + index
    assert (winner["pricing"]["input"], winner["pricing"]["output"]) == (index + 0.5, index + 1)
    assert winner["version"] == 2
    final = await api.client.get(url)
    assert final.json() == winner
    assert final.headers["etag"].startswith('"2-')
    history = (await api.client.get(f"{url}/history")).json()
    assert history["count"] == 2
    assert [entry["action"] for entry in history["data"]] == ["update", "create"]
    assert history["data"][0]["after"] == winner


@pytest.mark.parametrize("other_case", [str, str.upper], ids=["same-case", "other-case"])
async def test_two_concurrent_creates_of_one_name_make_one_model(
    committing_api: Api, other_case: Any
) -> None:
    api = committing_api
    name = f"Race-{uuid.uuid4().hex[:8]}"
    before = await revision(api)

    responses = await post_models(api, [name, other_case(name)])

    assert sorted(response.status_code for response in responses) == [201, 409]
    refused = next(response for response in responses if response.status_code == 409)
    assert refused.json()["errors"][0]["field"] == "name"
    listing = await api.client.get("/api/models", params={"q": name, "limit": 10000})
    assert [model["name"].lower() for model in listing.json()["data"]] == [name.lower()]
    assert await revision(api) == before + 1


async def test_twenty_concurrent_creates_of_distinct_names_all_succeed(
    committing_api: Api,
) -> None:
    api = committing_api
    names = [f"crowd-{uuid.uuid4().hex[:8]}-{index}" for index in range(20)]
    before = await revision(api)

    responses = await post_models(api, names)

    assert [response.status_code for response in responses] == [201] * 20
    assert await revision(api) == before + 20
    listing = (await api.client.get("/api/models", params={"q": "crowd-", "limit": 10000})).json()
    assert {model["name"] for model in listing["data"]} >= set(names)
    assert sum(1 for model in listing["data"] if model["is_default"]) == 0
