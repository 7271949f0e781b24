"""The web console's pages (DESIGN §5, §9), rendered through the app and read as parsed HTML."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from decimal import Decimal
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup, Tag
from pydantic import BaseModel
from sqlalchemy import select

from conftest import Api, settings_for
from modeldeck import clock
from modeldeck.api.auth import SESSION_COOKIE
from modeldeck.app import create_app
from modeldeck.auth.session_tables import ConsoleSessionRow
from modeldeck.auth.sessions import create_login_code, csrf_token_for
from modeldeck.auth.tokens import create_token, find_token
from modeldeck.console.simulation import csv_cell
from modeldeck.models.schemas import ModelWrite

pytestmark = [pytest.mark.anyio, pytest.mark.dated]

IMG_NAME = "<img src=x onerror=alert(1)>"
OUR_SCRIPTS = ("/static/console.js", "/static/simulate.js")
SCRIPT_NAME = '"><script>alert(1)</script>'


def parse(response: httpx.Response) -> BeautifulSoup:
    assert response.headers["content-type"].startswith("text/html"), response.text[:300]
    return BeautifulSoup(response.text, "html.parser")


def tag(found: Any) -> Tag:
    assert isinstance(found, Tag), found
    return found


def text(element: Any) -> str:
    return " ".join(tag(element).get_text(" ").split())


async def start_session(client: httpx.AsyncClient, token: str) -> str:
    """Sign in through the login form; returns the session id the cookie holds."""
    response = await client.post("/login", data={"token": token})
    assert response.status_code == 303, response.text[:500]
    session_id = str(session_cookie(response).value)
    # The cookie is Secure, which the client's jar keeps from plain-http requests: hand it on.
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session_id)
    return session_id


async def sign_in(api: Api, token: str | None = None) -> str:
    """Give the client a console session; returns its CSRF token."""
    return csrf_token_for(await start_session(api.client, token or api.backend.admin_token))


def model_rows(page: BeautifulSoup) -> dict[str, Tag]:
    table = tag(page.find("table", id="models"))
    return {
        str(row["data-model-name"]): row
        for row in tag(table.tbody).find_all("tr")
        if row.has_attr("data-model-name")
    }


def cells(row: Tag) -> list[str]:
    return [text(cell) for cell in row.find_all(["th", "td"], recursive=False)]


def cell(row: Tag, column: str) -> str:
    """The text of a row's cell in `column` (its `data-col`), shown or hidden."""
    return text(tag(row.find(attrs={"data-col": column})))


def badges(row: Tag) -> set[str]:
    return {text(badge) for badge in row.select(".badge")}


def only_our_scripts(page: BeautifulSoup) -> None:
    """No element came from data: every script is ours, no image, no inline handler."""
    for script in page.find_all("script"):
        assert str(script.get("src", "")).startswith(OUR_SCRIPTS), script
    assert page.find("img") is None
    for element in page.find_all(True):
        assert not any(name.lower().startswith("on") for name in element.attrs), element


async def get_page(api: Api, path: str, status: int = 200) -> BeautifulSoup:
    response = await api.client.get(path)
    assert response.status_code == status, response.text[:500]
    return parse(response)


# ---- the Models page ---------------------------------------------------------------------


async def test_the_models_table_shows_each_model_with_its_badges(api: Api) -> None:
    ordinary = await api.create(
        name="console-ordinary",
        parameters_b=350,
        capabilities={"streaming": True, "tools": True, "vision": False},
    )
    await api.create(name="console-off", enabled=False, pricing=None, parameters_b=None)
    rows = model_rows(await get_page(api, "/?limit=1000"))

    row = rows[ordinary["name"]]
    shown = {
        column: cell(row, column)
        for column in ("name", "origin", "provider", "parameters", "context", "max_output")
    }
    assert shown == {
        "name": "console-ordinary Test model",
        "origin": "openai",  # no tag names a vendor or host: the provider's own API
        "provider": "openai",
        "parameters": "350 B",
        "context": "128,000",
        "max_output": "16,384",
    }
    assert cell(row, "complexity") == "2"
    assert cell(row, "price") == "in 2.5 cached 1.25 out 10"
    assert cell(row, "capabilities") == "streaming · temperature · tools"
    assert badges(row) == set()
    assert tag(row.find("a"))["href"] == "/models/console-ordinary"
    assert badges(rows["console-off"]) == {"disabled"}
    assert cell(rows["console-off"], "parameters") == "—"
    assert cell(rows["console-off"], "price") == "unpriced"
    system = [row for row in rows.values() if "system" in badges(row)]
    assert len(system) >= 40
    assert sum("default" in badges(row) for row in rows.values()) == 1


async def test_filters_live_in_the_address_and_choose_the_rows(api: Api) -> None:
    await api.create(name="filter-mistral", provider="mistral")
    page = await get_page(api, "/?provider=mistral&priced=true&system=false&q=filter")
    assert list(model_rows(page)) == ["filter-mistral"]
    form = tag(page.find("form", role="search"))
    assert tag(form.find("select", attrs={"name": "provider"})).find("option", selected=True)
    selected = {
        str(select["name"]): str(tag(select.find("option", selected=True))["value"])
        for select in form.find_all("select")
        if select.find("option", selected=True)
    }
    assert selected["provider"] == "mistral"
    assert selected["priced"] == "true"
    assert selected["system"] == "false"
    assert tag(form.find("input", attrs={"name": "q"}))["value"] == "filter"
    # Sorting keeps the filters, so the view stays shareable.
    header = tag(page.find("th", attrs={"aria-sort": "ascending"}))
    query = parse_qs(urlsplit(str(tag(header.a)["href"])).query)
    assert query == {
        "provider": ["mistral"],
        "priced": ["true"],
        "system": ["false"],
        "q": ["filter"],
        "sort": ["-name"],
    }


async def test_columns_sort_both_ways_and_say_so(api: Api) -> None:
    page = await get_page(api, "/?sort=-context_window&limit=1000")
    windows = [int(cell(row, "context").replace(",", "")) for row in model_rows(page).values()]
    assert windows == sorted(windows, reverse=True)
    sorted_header = tag(page.find("th", attrs={"aria-sort": "descending"}))
    assert text(sorted_header).startswith("Context")
    assert parse_qs(urlsplit(str(tag(sorted_header.a)["href"])).query)["sort"] == ["context_window"]


async def test_pages_of_the_table_link_to_each_other(api: Api) -> None:
    page = await get_page(api, "/?limit=25&system=true")
    assert len(model_rows(page)) == 25
    following = tag(page.find("a", rel="next"))
    query = parse_qs(urlsplit(str(following["href"])).query)
    assert query == {"limit": ["25"], "system": ["true"], "offset": ["25"]}
    second = await get_page(api, str(following["href"]))
    assert not set(model_rows(second)) & set(model_rows(page))
    assert tag(second.find("a", rel="prev"))


async def test_a_broken_address_shows_the_problem_and_every_model(api: Api) -> None:
    page = await get_page(api, "/?limit=abc", status=422)
    assert "limit: must be a whole number" in text(page.find(role="alert"))
    assert len(model_rows(page)) >= 40


async def test_delete_is_disabled_with_its_reason_for_system_and_default_models(
    api: Api,
) -> None:
    await sign_in(api)
    ordinary = await api.create(name="deletable")
    rows = model_rows(await get_page(api, "/?limit=1000"))
    default = next(row for row in rows.values() if "default" in badges(row))
    system = next(row for row in rows.values() if badges(row) == {"system"})

    def delete_button(row: Tag) -> Tag:
        return tag(row.find("button", attrs={"data-action": "delete"}))

    assert not delete_button(rows[ordinary["name"]]).has_attr("disabled")
    for row, reason in ((default, "make another model default first"), (system, "System model")):
        button = delete_button(row)
        assert button.has_attr("disabled")
        explanation = tag(row.find(id=str(button["aria-describedby"])))
        assert reason in text(explanation)
    assert default.find("button", attrs={"data-action": "default"}) is None


# ---- the dialog ----------------------------------------------------------------------------


def labelled(form: Tag, control: Tag) -> bool:
    if control.find_parent("label"):
        return True
    return bool(control.get("id")) and form.find("label", attrs={"for": control["id"]}) is not None


def leaf_fields(schema: type[BaseModel], prefix: str = "") -> set[str]:
    """Every field path of a write schema: `deployment.endpoint`, `pricing.input`, …"""
    found = set()
    for name, info in schema.model_fields.items():
        path = f"{prefix}{name}"
        nested = [
            kind
            for kind in getattr(info.annotation, "__args__", (info.annotation,))
            if isinstance(kind, type) and issubclass(kind, BaseModel)
        ]
        if nested:
            found |= leaf_fields(nested[0], f"{path}.")
        else:
            found.add(path)
    return found


async def test_the_dialog_has_a_labelled_input_for_every_field_of_the_record(api: Api) -> None:
    csrf = await sign_in(api)
    page = await get_page(api, "/")
    dialog = tag(page.find("dialog", id="model-dialog"))
    form = tag(dialog.form)
    controls = [
        control
        for control in form.find_all(["input", "select", "textarea"])
        if control.get("type") != "hidden"
    ]
    assert controls
    for control in controls:
        assert labelled(form, control), control
    names = {str(control["name"]) for control in controls if control.get("name")}
    # Tiers are rows added on demand (a template with labelled inputs); unit has one value;
    # time-of-day windows and service tiers are each one JSON field.
    fields = leaf_fields(ModelWrite) - {"pricing.unit"}
    tier_fields = {field for field in fields if field.startswith("pricing.tiers.")}
    json_fields = {"pricing.windows", "pricing.service_tiers"}
    nested = {field for field in fields if field.startswith(tuple(f"{j}." for j in json_fields))}
    assert json_fields <= names
    assert fields - tier_fields - nested <= names, fields - tier_fields - nested - names
    template = tag(page.find("template", id="tier-template"))
    tier_inputs = template.find_all("input")
    assert {f"pricing.tiers.{item['data-tier-field']}" for item in tier_inputs} == tier_fields
    assert all(item.find_parent("label") for item in tier_inputs)
    weights = {
        str(control["name"]): str(control["value"])
        for control in controls
        if str(control.get("name", "")).startswith("token_weights.")
    }
    assert weights == {
        f"token_weights.{name}": "1" for name in ("input", "cached_input", "output", "reasoning")
    }
    assert tag(form.find("input", attrs={"name": "csrf_token"}))["value"] == csrf
    # Pricing beyond input, cached input and output sits behind "more".
    more = tag(form.find("details", id="pricing-more"))
    assert more.find("input", attrs={"name": "pricing.cache_write"})
    assert not more.find("input", attrs={"name": "pricing.input"})
    assert tag(form.find("output", id="complexity-factor"))


async def test_signed_out_visitors_are_offered_sign_in_instead_of_changes(api: Api) -> None:
    page = await get_page(api, "/")
    assert page.find("dialog") is None
    assert not page.find_all("button", attrs={"data-action": True})
    link = tag(page.find("a", id="add-model"))
    assert urlsplit(str(link["href"])).path == "/login"
    model = await get_page(api, "/models/gpt-4o")
    sign_in_link = tag(model.find("a", string="Sign in to change it"))
    assert parse_qs(urlsplit(str(sign_in_link["href"])).query) == {"next": ["/models/gpt-4o"]}


async def test_a_reader_sees_the_registry_but_no_changes(api: Api) -> None:
    await sign_in(api, api.backend.reader_token)
    page = await get_page(api, "/")
    assert page.find("dialog") is None
    assert "may read but not change" in text(page.find("main"))
    assert "test-reader (reader)" in text(page.find("header"))


async def test_reads_can_require_signing_in(api: Api) -> None:
    app = create_app(settings_for(api.backend.url, read_token_required=True), database=api.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path in ("/", "/models/gpt-4o", "/simulate", "/audit?offset=0"):
            response = await client.get(path)
            assert response.status_code == 303, path
            location = urlsplit(response.headers["location"])
            assert location.path == "/login"
            if path != "/":
                assert parse_qs(location.query) == {"next": [path]}
        await start_session(client, api.backend.reader_token)
        assert (await client.get("/")).status_code == 200


# ---- escaping ------------------------------------------------------------------------------


async def test_markup_in_names_and_descriptions_is_shown_as_text_everywhere(api: Api) -> None:
    await sign_in(api)
    hostile = await api.create(
        name="hostile-model", display_name=IMG_NAME, description=SCRIPT_NAME, tags=["x"]
    )
    await api.client.patch(
        f"/api/models/{hostile['id']}",
        json={"display_name": SCRIPT_NAME},
        headers=api.admin,
    )
    listing = await get_page(api, "/?q=hostile")
    only_our_scripts(listing)
    row = model_rows(listing)["hostile-model"]
    assert text(row.find(class_="sub")) == SCRIPT_NAME

    page = await get_page(api, "/models/hostile-model")
    only_our_scripts(page)
    assert text(page.find(id="model-display-name")) == SCRIPT_NAME
    assert text(page.find(class_="description")) == SCRIPT_NAME
    changes = [
        (text(change.find("td", class_="before")), text(change.find("td", class_="after")))
        for change in page.select("table.changes tr")
        if change.get("data-field") == "display_name" and change.find("td", class_="before")
    ]
    assert (IMG_NAME, SCRIPT_NAME) in changes

    audit = await get_page(api, "/audit")
    only_our_scripts(audit)
    assert SCRIPT_NAME in {text(cell) for cell in audit.select("td.after")}


async def test_markup_in_custom_price_names_is_text_in_the_table_and_the_chart(api: Api) -> None:
    response = await api.client.post(
        "/simulate",
        data={
            "workload": "tokens",
            "input_tokens": "1000",
            "output_tokens": "100",
            "requests": "1",
            "custom_name": [IMG_NAME, SCRIPT_NAME],
            "custom_input": ["0.001", "0.002"],
            "custom_output": ["0.001", "0.002"],
        },
    )
    assert response.status_code == 200, response.text[:500]
    page = parse(response)
    only_our_scripts(page)
    names = {text(cell).removesuffix(" custom") for cell in page.select("#ranking th.name")}
    assert {IMG_NAME, SCRIPT_NAME} <= names
    labels = {text(label) for label in page.select("#cost-chart .bar-name")}
    assert {IMG_NAME, SCRIPT_NAME} <= labels
    inputs = {
        str(item.get("value")) for item in page.find_all("input", attrs={"name": "custom_name"})
    }
    assert {IMG_NAME, SCRIPT_NAME} <= inputs


async def test_pages_forbid_inline_scripts_and_styles(api: Api) -> None:
    response = await api.client.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    page = parse(response)
    assert all(script.get("src") for script in page.find_all("script"))
    assert page.find("style") is None
    assert not page.find_all(style=True)


# ---- signing in, sessions and CSRF --------------------------------------------------------


def session_cookie(response: httpx.Response) -> Any:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar[SESSION_COOKIE]


def signed_in_as(page: BeautifulSoup) -> str | None:
    """The name in the header's "Signed in: …", or None when the page offers to sign in."""
    header = text(page.find("header"))
    if "Signed in:" not in header:
        assert tag(tag(page.find("header")).find("a", string="Sign in"))
        return None
    return header.split("Signed in: ", 1)[1].split(" (", 1)[0]


async def login_code(api: Api, token: str | None = None) -> str:
    """A one-time login code, as `modeldeck serve` makes for the link it prints."""
    async with api.database.write() as db:
        owner = await find_token(db, token or api.backend.admin_token)
        assert owner is not None
        return await create_login_code(db, owner)


async def write_with_session(api: Api, csrf: str) -> httpx.Response:
    return await api.client.post("/api/models/gpt-4o/default", headers={"X-CSRF-Token": csrf})


async def test_signing_in_sets_a_secure_http_only_same_site_strict_cookie(api: Api) -> None:
    form = await get_page(api, "/login?next=/audit")
    assert tag(form.find("input", attrs={"name": "next"}))["value"] == "/audit"
    assert tag(form.find("input", attrs={"name": "token"}))["type"] == "password"
    response = await api.client.post(
        "/login", data={"token": api.backend.admin_token, "next": "/audit"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/audit"
    cookie = session_cookie(response)
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/"
    assert cookie["secure"] is True  # by default, even over plain http
    assert cookie["max-age"] == str(12 * 3600)
    api.client.cookies.clear()
    api.client.cookies.set(SESSION_COOKIE, cookie.value)
    assert signed_in_as(await get_page(api, "/")) == "test-admin"


async def test_the_cookie_holds_a_random_session_id_never_the_token(api: Api) -> None:
    ids = []
    for _ in range(2):
        api.client.cookies.clear()  # two browsers
        ids.append(await start_session(api.client, api.backend.admin_token))
    assert ids[0] != ids[1]
    for session_id in ids:
        assert api.backend.admin_token not in session_id
        assert len(session_id) >= 40
    # The database keeps only what cannot be turned back into a cookie.
    async with api.database.read() as db:
        rows = (await db.execute(select(ConsoleSessionRow))).scalars().all()
    stored = " ".join(f"{row.session_hash} {row.token_id}" for row in rows)
    assert len(rows) >= 2
    assert not any(session_id in stored for session_id in ids)


async def test_plain_http_development_can_turn_the_secure_flag_off(api: Api) -> None:
    app = create_app(settings_for(api.backend.url, cookie_secure=False), database=api.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/login", data={"token": api.backend.admin_token})
        assert response.status_code == 303
        assert not session_cookie(response)["secure"]
        # The jar now sends the cookie over plain http by itself.
        assert signed_in_as(parse(await client.get("/"))) == "test-admin"


async def test_a_wrong_token_is_refused_without_a_cookie(api: Api) -> None:
    response = await api.client.post("/login", data={"token": "mdk_not-a-token"})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    page = parse(response)
    assert "not valid" in text(page.find(role="alert"))
    assert tag(page.find("input", attrs={"name": "token"})).get("value") in (None, "")


async def test_a_login_link_opened_from_another_site_does_not_sign_in(api: Api) -> None:
    cross_site = {"Sec-Fetch-Site": "cross-site", "Referer": "https://evil.example/"}
    response = await api.client.get(
        "/login", params={"token": api.backend.admin_token}, headers=cross_site
    )
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    assert tag(parse(response).find("input", attrs={"name": "token"}))["type"] == "password"
    code = await login_code(api)
    response = await api.client.get("/login", params={"code": code}, headers=cross_site)
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    assert response.headers["referrer-policy"] == "same-origin"  # the code goes nowhere else
    assert signed_in_as(await get_page(api, "/")) is None


async def test_a_one_time_login_code_signs_in_once_by_a_button(api: Api) -> None:
    code = await login_code(api)
    page = await get_page(api, f"/login?code={code}&next=/audit")
    form = tag(page.find("form", id="code-form"))
    assert form["method"] == "post" and form["action"] == "/login"
    assert tag(form.find("input", attrs={"name": "code"}))["value"] == code
    assert text(page.find(id="code-owner")) == "test-admin"
    # Showing the page used nothing up; the button's POST signs in.
    response = await api.client.post("/login", data={"code": code, "next": "/audit"})
    assert response.status_code == 303
    assert response.headers["location"] == "/audit"
    api.client.cookies.clear()
    api.client.cookies.set(SESSION_COOKIE, session_cookie(response).value)
    assert signed_in_as(await get_page(api, "/")) == "test-admin"

    api.client.cookies.clear()
    again = await api.client.post("/login", data={"code": code})
    assert again.status_code == 401
    assert "set-cookie" not in again.headers
    assert "used already" in text(parse(again).find(role="alert"))
    reopened = await api.client.get(f"/login?code={code}")
    assert reopened.status_code == 401
    assert parse(reopened).find("form", id="code-form") is None


async def test_a_login_code_raced_by_two_browsers_signs_in_only_one(committing_api: Api) -> None:
    api = committing_api
    async with api.database.write() as db:
        token = await create_token(db, name="raced-admin", role="admin")
    code = await login_code(api, token)
    try:
        answers = await asyncio.gather(
            *(api.client.post("/login", data={"code": code}) for _ in range(4))
        )
        assert sorted(answer.status_code for answer in answers) == [303, 401, 401, 401]
    finally:
        async with api.database.write() as db:
            row = await find_token(db, token)
            assert row is not None
            await db.delete(row)  # and with it the session it started


async def test_a_login_code_expires_after_ten_minutes(api: Api) -> None:
    code = await login_code(api)
    with clock.moved(timedelta(minutes=11)):
        response = await api.client.post("/login", data={"code": code})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers


async def test_a_login_code_posted_from_another_site_is_refused_and_not_used_up(api: Api) -> None:
    code = await login_code(api)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = await api.client.post("/login", data={"code": code}, headers=headers)
        assert refused.status_code == 403, headers
        assert "set-cookie" not in refused.headers
    response = await api.client.post(
        "/login",
        data={"code": code},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 303


async def test_signing_in_only_returns_to_pages_of_this_site(api: Api) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = await api.client.post(
            "/login", data={"token": api.backend.admin_token, "next": target}
        )
        assert response.headers["location"] == "/", target


async def test_a_form_posted_from_another_site_cannot_sign_in(api: Api) -> None:
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},
    ):
        response = await api.client.post(
            "/login", data={"token": api.backend.admin_token}, headers=headers
        )
        assert response.status_code == 403, headers
        assert "set-cookie" not in response.headers
        assert "another site sent it" in text(parse(response).find("main"))


async def test_signing_out_ends_the_session_on_the_server(api: Api) -> None:
    csrf = await sign_in(api)
    old_cookie = api.client.cookies[SESSION_COOKIE]
    refused = await api.client.post("/logout", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    response = await api.client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    cookie = session_cookie(response)
    assert cookie.value == ""
    assert cookie["max-age"] == "0"
    assert signed_in_as(parse(await api.client.get("/"))) is None
    # The old cookie, sent again, is refused: the session is gone, not only the cookie.
    api.client.cookies.set(SESSION_COOKIE, old_cookie)
    assert signed_in_as(parse(await api.client.get("/"))) is None
    assert (await write_with_session(api, csrf)).status_code == 401


async def test_signing_in_again_replaces_the_browsers_previous_session(api: Api) -> None:
    await sign_in(api)
    first = api.client.cookies[SESSION_COOKIE]
    response = await api.client.post("/login", data={"token": api.backend.reader_token})
    assert response.status_code == 303
    second = session_cookie(response).value
    assert second != first
    api.client.cookies.clear()
    api.client.cookies.set(SESSION_COOKIE, first)
    assert signed_in_as(await get_page(api, "/")) is None
    api.client.cookies.set(SESSION_COOKIE, second)
    assert signed_in_as(await get_page(api, "/")) == "test-reader"


async def test_a_session_expires_after_the_session_lifetime(api: Api) -> None:
    csrf = await sign_in(api)
    with clock.moved(timedelta(hours=11, minutes=59)):
        assert signed_in_as(await get_page(api, "/")) == "test-admin"
    with clock.moved(timedelta(hours=12, minutes=1)):
        assert signed_in_as(await get_page(api, "/")) is None
        assert (await write_with_session(api, csrf)).status_code == 401


async def test_the_session_lifetime_is_a_setting(api: Api) -> None:
    app = create_app(settings_for(api.backend.url, session_ttl_hours=1), database=api.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/login", data={"token": api.backend.admin_token})
        assert session_cookie(response)["max-age"] == "3600"
        await start_session(client, api.backend.admin_token)
        assert signed_in_as(parse(await client.get("/"))) == "test-admin"
        with clock.moved(timedelta(hours=1, minutes=1)):
            assert signed_in_as(parse(await client.get("/"))) is None


async def test_a_session_works_on_every_instance_and_ends_on_every_instance(api: Api) -> None:
    csrf = await sign_in(api)
    other = create_app(settings_for(api.backend.url), database=api.database)
    transport = httpx.ASGITransport(app=other)
    cookies = {SESSION_COOKIE: api.client.cookies[SESSION_COOKIE]}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=cookies
    ) as client:
        assert signed_in_as(parse(await client.get("/"))) == "test-admin"
        signed_out = await client.post("/logout", data={"csrf_token": csrf})
        assert signed_out.status_code == 303
    assert signed_in_as(await get_page(api, "/")) is None


async def test_a_session_ends_when_its_token_is_deleted(api: Api) -> None:
    async with api.database.write() as db:
        token = await create_token(db, name="doomed-admin", role="admin")
    csrf = await sign_in(api, token)
    assert signed_in_as(await get_page(api, "/")) == "doomed-admin"
    async with api.database.write() as db:
        row = await find_token(db, token)
        assert row is not None
        await db.delete(row)
    assert signed_in_as(await get_page(api, "/")) is None
    assert (await write_with_session(api, csrf)).status_code == 401
    # A made-up cookie is no session either.
    api.client.cookies.set(SESSION_COOKIE, "mdk_made_up")
    assert signed_in_as(await get_page(api, "/")) is None
    assert (await write_with_session(api, csrf_token_for("mdk_made_up"))).status_code == 401
    # A stale session has no say over forms either: the simulator still answers.
    assert (await api.client.post("/simulate", data=workload())).status_code == 200


async def test_a_session_ends_when_its_token_is_revoked(api: Api) -> None:
    async with api.database.write() as db:
        token = await create_token(db, name="revoked-admin", role="admin")
        row = await find_token(db, token)
        assert row is not None
    csrf = await sign_in(api, token)
    assert signed_in_as(await get_page(api, "/")) == "revoked-admin"
    revoked = await api.client.post(f"/api/auth/tokens/{row.id}/revoke", headers=api.admin)
    assert revoked.status_code == 200, revoked.text
    assert signed_in_as(await get_page(api, "/")) is None
    assert (await write_with_session(api, csrf)).status_code == 401


async def test_changes_with_the_session_cookie_need_the_csrf_header(api: Api) -> None:
    csrf = await sign_in(api)
    body = {
        "name": "csrf-model",
        "provider": "openai",
        "context_window": 10,
        "max_output_tokens": 5,
    }
    for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": csrf_token_for("other")}):
        refused = await api.client.post("/api/models", json=body, headers=headers)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["detail"] == "missing or wrong CSRF token"
    created = await api.client.post("/api/models", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    deleted = await api.client.delete(f"/api/models/{created.json()['id']}")
    assert deleted.status_code == 403
    deleted = await api.client.delete(
        f"/api/models/{created.json()['id']}", headers={"X-CSRF-Token": csrf}
    )
    assert deleted.status_code == 204
    # Reads need no CSRF token, and bearer tokens are unaffected by the cookie rules.
    assert (await api.client.get("/api/models/gpt-4o")).status_code == 200
    api.client.cookies.clear()
    bearer = await api.client.post("/api/models", json=body, headers=api.admin)
    assert bearer.status_code == 201


async def test_a_reader_session_may_not_change_models(api: Api) -> None:
    csrf = await sign_in(api, api.backend.reader_token)
    response = await api.client.post("/api/models/gpt-4o/default", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403
    assert "may read but not change" in response.json()["detail"]


# ---- the model page and the audit page ----------------------------------------------------


async def test_the_model_page_shows_the_record_price_history_and_audit_trail(api: Api) -> None:
    created = await api.create(
        name="page-model", pricing={"input": "1", "output": "2"}, parameters_b=17.5
    )
    patched = await api.client.patch(
        f"/api/models/{created['id']}",
        json={"pricing": {"input": "3", "output": "4"}},
        headers=api.admin,
    )
    assert patched.status_code == 200, patched.text
    page = await get_page(api, "/models/page-model")
    assert text(page.find("h1")) == "page-model"
    facts = {text(term): text(term.find_next_sibling("dd")) for term in page.select("dl.card dt")}
    assert facts["Complexity factor"] == "0.1"
    assert facts["Context window"] == "128,000 tokens"
    assert facts["Input"] == "3"
    assert facts["Version"] == "2"
    assert facts["Stored API key"] == "no"

    history = tag(page.find("table", id="price-history"))
    periods = [cells(row) for row in tag(history.tbody).find_all("tr")]
    assert [(period[2], period[5]) for period in periods] == [("3", "4"), ("1", "2")]
    assert "current" in periods[0][0]
    chart = tag(page.find("svg", id="price-chart"))
    assert {str(path["class"][1]) for path in chart.find_all("path")} == {
        "series-input",
        "series-output",
    }
    assert "input 1" in text(chart.find("desc"))

    entries = page.select("ol.audit > li")
    assert [text(entry.find(class_="badge")) for entry in entries] == ["update", "create"]
    changed = {
        str(row["data-field"]): (
            [text(line) for line in tag(row.find("td", class_="before")).select(".line")],
            [text(line) for line in tag(row.find("td", class_="after")).select(".line")],
        )
        for row in entries[0].select("table.changes tbody tr")
    }
    # A price is shown as a price, whole; the bookkeeping of every write is left out.
    before, after = changed["pricing"]
    assert before[0] == "input 1, output 2 (USD per 1M tokens)"
    assert after[0] == "input 3, output 4 (USD per 1M tokens)"
    assert after[1].startswith("from ")
    assert not {"version", "updated_at", "pricing.input"} & set(changed)


async def test_the_model_page_shows_windows_tiers_and_one_hour_cache_writes(api: Api) -> None:
    await api.create(
        name="varied-model",
        pricing={
            "input": "0.15",
            "output": "0.6",
            "cache_write": "0.2",
            "cache_write_1h": "0.3",
            "windows": [
                {"start": "01:00", "end": "04:00", "name": "peak", "input": 0.3, "output": 1.2}
            ],
            "service_tiers": {"batch": {"input": "0.075", "output": "0.3"}},
        },
    )
    page = await get_page(api, "/models/varied-model")
    facts = {text(term): text(term.find_next_sibling("dd")) for term in page.select("dl.card dt")}
    assert facts["1-hour cache write"] == "0.3"
    assert facts["Time of day (UTC)"].startswith("01:00\u201304:00 peak: in 0.3, out 1.2")
    assert facts["Service tiers"] == "batch: in 0.075, out 0.3"


async def test_a_model_name_with_a_slash_has_its_page(api: Api) -> None:
    await api.create(name="team/slashed-model")
    page = await get_page(api, "/models/team/slashed-model")
    assert text(page.find("h1")) == "team/slashed-model"


async def test_an_unknown_model_page_is_a_404_page(api: Api) -> None:
    page = await get_page(api, "/models/no-such-model", status=404)
    assert "no-such-model" in text(page.find("main"))


async def test_a_deleted_model_keeps_its_audit_trail_page(api: Api) -> None:
    created = await api.create(name="gone-model")
    await api.client.delete(f"/api/models/{created['id']}", headers=api.admin)
    page = await get_page(api, "/models/gone-model")
    assert "deleted" in text(page.find(class_="notice"))
    assert [text(badge) for badge in page.select("ol.audit .badge")] == ["delete", "create"]


async def test_the_audit_page_lists_recent_changes_newest_first(api: Api) -> None:
    first = await api.create(name="audit-first")
    await api.create(name="audit-second")
    await api.client.post(
        "/api/models/audit-first/clone", json={"name": "audit-third"}, headers=api.admin
    )
    page = await get_page(api, "/audit")
    entries = page.select("ol.audit > li")
    heads = [(text(entry.find("a")), text(entry.find(class_="badge"))) for entry in entries[:3]]
    assert heads == [
        ("audit-third", "clone"),
        ("audit-second", "create"),
        ("audit-first", "create"),
    ]
    assert tag(entries[2].find("a"))["href"] == "/models/audit-first"
    revisions = [int(text(entry.find(class_="muted")).rsplit(" ", 1)[1]) for entry in entries]
    assert revisions == sorted(revisions, reverse=True)
    assert first["name"] == "audit-first"
    assert tag(page.find("a", rel="next"))["href"] == "/audit?offset=50"


# ---- the simulator -------------------------------------------------------------------------


def workload(**fields: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "workload": "tokens",
        "input_tokens": "2000",
        "output_tokens": "500",
        "reasoning_tokens": "0",
        "requests": "1000",
        "cached_share": "0.5",
        "at": "",
        "per": "all",
    }
    form.update(fields)
    return form


def simulate_url(**fields: Any) -> str:
    return "/simulate?" + urlencode(workload(**fields), doseq=True)


def ranking(page: BeautifulSoup) -> list[Tag]:
    return list(tag(tag(page.find("table", id="ranking")).tbody).find_all("tr"))


def row_name(row: Tag) -> str:
    return text(row.find("th")).removesuffix(" custom")


def money_value(cell: str) -> Decimal:
    return Decimal(cell.lstrip("$").replace(",", ""))


RANKING_COLUMNS = ("rank", "compare", "model", "provider", "context", "input", "output")
TOTAL = 8  # the column of the total cost


async def listed(api: Api) -> list[dict[str, Any]]:
    return list((await api.client.get("/api/models?limit=10000")).json()["data"])


def free(model: dict[str, Any]) -> bool:
    pricing = model["pricing"]
    return pricing["input"] == 0 and pricing["output"] == 0 and not pricing.get("per_request")


def ranked_by_default(models: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the Simulator prices unless told otherwise: priced, not retired, not free."""
    return [
        model
        for model in models
        if model["pricing"] is not None and model["status"] != "retired" and not free(model)
    ]


async def test_the_simulator_page_asks_for_a_workload(api: Api) -> None:
    await sign_in(api)
    page = await get_page(api, "/simulate")
    form = tag(page.find("form", id="simulate-form"))
    assert form["method"] == "get"  # the address holds the question
    assert form.find("input", attrs={"name": "csrf_token"}) is None  # never in an address
    for control in form.find_all(["input", "textarea", "select"]):
        if control.get("type") not in ("hidden", "radio"):
            assert labelled(form, control), control
    assert tag(form.find("button", id="download-csv"))["formaction"] == "/simulate.csv"
    assert page.find(id="ranking") is None


async def test_the_simulator_ranks_fitting_models_cheapest_first_and_misfits_last(
    api: Api,
) -> None:
    page = await get_page(
        api,
        simulate_url(
            custom_name=["tiny-context", "free-ish"],
            custom_input=["0.0001", "0"],
            custom_output=["0.0001", "0"],
            custom_cached_input=["", ""],
            custom_context_window=["100", ""],
            custom_max_output_tokens=["", ""],
        ),
    )
    rows = ranking(page)
    expected = ranked_by_default(await listed(api))
    assert len(rows) == len(expected) + 2
    names = [row_name(row) for row in rows]
    assert names[0] == "free-ish"  # custom rows are priced even when free
    assert names[-1] == "tiny-context"  # the cheapest after free-ish, but it does not fit
    misfit = rows[-1]
    assert "does not fit" in text(misfit) and "exceeds the context window" in text(misfit)
    fitting = [row for row in rows if "misfit" not in (row.get("class") or [])]
    totals = [money_value(cells(row)[TOTAL]) for row in fitting]
    assert totals == sorted(totals)
    assert next(text(cell) for cell in rows[0].find_all("td")) == "1"
    # The chart shows the cheapest 20, in the same order, labels whole.
    bars = page.select("#cost-chart li.bar")
    assert len(bars) == 20
    assert [text(bar.select_one(".bar-name")) for bar in bars] == names[:20]


async def test_free_and_retired_models_are_left_out_unless_ticked(api: Api) -> None:
    gone = await api.create(
        name="gone-model", retires_on=(clock.today() - timedelta(days=1)).isoformat()
    )
    await api.create(name="going-model", retires_on=(clock.today() + timedelta(days=9)).isoformat())
    await api.create(name="free-model", pricing={"input": "0", "output": "0"})
    names = [row_name(row) for row in ranking(await get_page(api, simulate_url()))]
    assert "going-model" in names
    assert "gone-model" not in names and "free-model" not in names
    page = await get_page(api, simulate_url(include_retired="on", include_free="on"))
    names = [row_name(row) for row in ranking(page)]
    assert {"going-model", "gone-model", "free-model"} <= set(names)
    assert tag(page.find("input", id="sim-include_retired")).get("checked") is not None
    assert tag(page.find("input", id="sim-include_free")).get("checked") is not None
    retired_only = await get_page(api, simulate_url(status="retired"))
    assert gone["name"] in [row_name(row) for row in ranking(retired_only)]


async def test_the_filters_choose_the_models(api: Api) -> None:
    mine = await api.create(
        name="mine-model", tags=["team:search"], context_window=300000, max_output_tokens=1000
    )
    models = {model["name"]: model for model in await listed(api)}
    checks: list[tuple[dict[str, Any], Any]] = [
        ({"provider": "anthropic"}, lambda model: model["provider"] == "anthropic"),
        ({"vendor": "openai"}, lambda model: "vendor:openai" in model["tags"]),
        ({"mine": "on"}, lambda model: not model["is_system"]),
        ({"min_context": "250k"}, lambda model: model["context_window"] >= 250_000),
        ({"max_input_price": "0.5"}, lambda model: model["pricing"]["input"] <= 0.5),
        ({"max_output_price": "1"}, lambda model: model["pricing"]["output"] <= 1),
        ({"tags": "team:search"}, lambda model: "team:search" in model["tags"]),
        ({"status": "deprecated"}, lambda model: model["status"] == "deprecated"),
    ]
    for fields, keeps in checks:
        page = await get_page(api, simulate_url(**fields))
        shown = {row_name(row) for row in ranking(page)} if page.find(id="ranking") else set()
        expected = {model["name"] for model in ranked_by_default(list(models.values()))}
        if fields.get("status") == "deprecated":
            expected = {model["name"] for model in models.values() if model["pricing"]}
            expected = {name for name in expected if not free(models[name])}
        assert shown == {name for name in expected if keeps(models[name])}, fields
    assert mine["name"] in {
        row_name(row) for row in ranking(await get_page(api, simulate_url(mine="on")))
    }


async def test_models_without_a_required_capability_rank_last_saying_so(api: Api) -> None:
    page = await get_page(api, simulate_url(requires=["vision", "tools"]))
    rows = ranking(page)
    models = {model["name"]: model for model in await listed(api)}
    lacking = [
        row_name(row)
        for row in rows
        if not (
            models[row_name(row)]["capabilities"]["vision"]
            and models[row_name(row)]["capabilities"]["tools"]
        )
    ]
    assert lacking, "the catalog has models without vision"
    assert [row_name(row) for row in rows[-len(lacking) :]] == lacking
    for row in rows[-len(lacking) :]:
        assert "lacks" in text(row)
    boxes = {str(box["value"]) for box in page.find_all("input", attrs={"name": "requires"})}
    assert {"vision", "tools"} <= boxes
    ticked = {
        str(box["value"])
        for box in page.find_all("input", attrs={"name": "requires"})
        if box.get("checked") is not None
    }
    assert ticked == {"vision", "tools"}


async def test_simulator_errors_sit_next_to_their_fields_and_keep_what_was_typed(
    api: Api,
) -> None:
    response = await api.client.get(
        simulate_url(
            cached_share="2",
            output_tokens="lots",
            min_context="wide",
            custom_name=["mine"],
            custom_input=["-1"],
            custom_output=["1"],
        )
    )
    assert response.status_code == 422
    page = parse(response)
    assert tag(page.find("input", id="sim-cached_share"))["aria-invalid"] == "true"
    assert "less than or equal to 1" in text(page.find(id="sim-cached_share-error"))
    assert text(page.find(id="sim-output_tokens-error"))
    assert text(page.find(id="sim-min_context-error"))
    assert tag(page.find("input", id="sim-output_tokens"))["value"] == "lots"
    assert "must not be negative" in text(page.find(id="custom-input-0-error"))
    assert tag(page.find("input", id="custom-input-0"))["value"] == "-1"
    assert tag(page.find("input", id="custom-name-0"))["value"] == "mine"
    assert page.find(id="ranking") is None


async def test_the_simulator_counts_the_tokens_of_a_sample_text(api: Api) -> None:
    page = await get_page(
        api, simulate_url(workload="text", input_tokens="", text="Hello there! " * 50)
    )
    gpt = next(row for row in ranking(page) if row_name(row) == "gpt-4o")
    assert "o200k_base" in text(gpt)
    empty = await api.client.get(simulate_url(workload="text", text=" "))
    assert "paste a sample text" in text(parse(empty).find(id="sim-text-error"))


async def test_the_posted_form_needs_the_csrf_token_and_the_address_needs_none(api: Api) -> None:
    csrf = await sign_in(api)
    assert (await api.client.post("/simulate", data=workload())).status_code == 403
    assert (await api.client.post("/simulate.csv", data=workload())).status_code == 403
    posted = await api.client.post("/simulate", data=workload(csrf_token=csrf))
    assert posted.status_code == 200
    # Reading a result writes nothing: the address alone answers, signed in or not.
    assert (await api.client.get(simulate_url())).status_code == 200
    assert (await api.client.get("/simulate.csv?" + urlencode(workload()))).status_code == 200
    got = [row_name(row) for row in ranking(parse(await api.client.get(simulate_url())))]
    assert [row_name(row) for row in ranking(parse(posted))] == got


async def test_the_csv_of_an_address_has_every_row_and_the_workload(api: Api) -> None:
    names = ['=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-2", 'comma, "quoted"', IMG_NAME]
    query = workload(
        custom_name=names,
        custom_input=["0.5"] * len(names),
        custom_output=["1"] * len(names),
        per="50",
    )
    response = await api.client.get("/simulate.csv?" + urlencode(query, doseq=True))
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len(table) == len(ranked_by_default(await listed(api))) + len(names)  # every page
    assert [row["rank"] for row in table] == [str(rank) for rank in range(1, len(table) + 1)]
    assert {row["requests"] for row in table} == {"1000"}
    assert {(row["input_tokens"], row["output_tokens"]) for row in table} == {("2000", "500")}
    assert {row["cached_input_tokens"] for row in table} == {"1000"}
    custom = {row["model"] for row in table if row["custom"] == "true"}
    assert custom == {
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'@SUM(A1)",
        "'-2",
        'comma, "quoted"',
        IMG_NAME,
    }
    totals = [Decimal(row["total_cost"]) for row in table if row["fits"] == "true"]
    assert totals == sorted(totals)
    posted = await api.client.post("/simulate.csv", data=query)
    assert posted.text == response.text


async def test_the_chart_shows_the_top_n_on_the_scale_asked(api: Api) -> None:
    page = await get_page(api, simulate_url(top="5", scale="log"))
    assert len(page.select("#cost-chart li.bar")) == 5
    assert "logarithmic" in text(page.find(id="cost-chart-title"))
    assert tag(page.find(id="scale-log")).get("aria-current") == "true"
    widths = [float(str(rect["width"]).rstrip("%")) for rect in page.select("#cost-chart rect")]
    assert widths == sorted(widths) and widths[0] > 0 and widths[-1] <= 100
    linear = await get_page(api, simulate_url(top="500"))
    assert len(linear.select("#cost-chart li.bar")) == 100  # at most 100 bars


async def test_the_ranking_sorts_by_a_column_and_pages(api: Api) -> None:
    page = await get_page(api, simulate_url(sort="-context_window"))
    windows = [int(cells(row)[4].replace(",", "")) for row in ranking(page)]
    assert windows == sorted(windows, reverse=True)
    header = next(th for th in page.select("#ranking thead th") if "Context window" in text(th))
    assert header["aria-sort"] == "descending"
    assert "sort=context_window" in str(tag(header.find("a"))["href"])
    paged = await get_page(api, simulate_url(per="50"))
    assert len(ranking(paged)) == 50
    following = str(tag(paged.find("a", rel="next"))["href"])
    second = await get_page(api, following)
    assert next(text(row.find("td")) for row in ranking(second)) == "51"


async def test_two_to_four_models_are_compared_side_by_side(api: Api) -> None:
    page = await get_page(api, simulate_url(compare=["gpt-4o", "claude-sonnet-4-6", "gpt-4o-mini"]))
    table = tag(page.find("table", id="compare-table"))
    heads = [text(th) for th in tag(table.thead).find_all("th")][1:]
    assert heads == ["gpt-4o", "claude-sonnet-4-6", "gpt-4o-mini"]
    rows = {text(row.find("th")): cells(row)[1:] for row in tag(table.tbody).find_all("tr")}
    gpt = (await api.client.get("/api/models/gpt-4o")).json()
    assert rows["Input / 1M"][0] == f"${Decimal(str(gpt['pricing']['input'])):.2f}"
    assert rows["Context window"][0] == f"{gpt['context_window']:,}"
    assert set(rows) >= {"Provider", "Output / 1M", "Max output", "Capabilities", "Total"}
    ticked = {
        str(box["value"])
        for box in page.select("#ranking input[name=compare]")
        if box.get("checked") is not None
    }
    assert ticked == {"gpt-4o", "claude-sonnet-4-6", "gpt-4o-mini"}


async def test_the_share_link_gives_the_same_result(api: Api) -> None:
    page = await get_page(api, simulate_url(provider="openai", top="7", scale="log", per="50"))
    link = str(tag(page.find("a", id="share-link"))["href"])
    again = await get_page(api, link)
    assert [row_name(row) for row in ranking(again)] == [row_name(row) for row in ranking(page)]
    assert len(again.select("#cost-chart li.bar")) == 7


def test_csv_cells_never_start_a_formula() -> None:
    for dangerous in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"):
        assert csv_cell(dangerous).startswith("'")
    assert csv_cell("gpt-4o") == "gpt-4o"
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true"


# ---- static files --------------------------------------------------------------------------


async def test_static_files_are_versioned_and_cached(api: Api) -> None:
    page = await get_page(api, "/")
    stylesheet = str(tag(page.find("link", rel="stylesheet"))["href"])
    response = await api.client.get(stylesheet)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "immutable" in response.headers["cache-control"]
    script = await api.client.get(str(tag(page.find("script"))["src"]))
    assert script.headers["content-type"].startswith("text/javascript")
    assert (await api.client.get("/static/../app.py")).status_code == 404
    assert (await api.client.get("/static/nothing.css")).status_code == 404
