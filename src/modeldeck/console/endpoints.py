"""Console pages (DESIGN §9): server-rendered over the snapshot and the same services as the API.

Reads are rendered here; every change goes through the JSON API (`static/console.js`), so the
rules and their errors have one code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from modeldeck import clock
from modeldeck.api.auth import (
    SESSION_COOKIE,
    authentication_failed,
    refuse_if_limited,
)
from modeldeck.api.web import SECURITY_HEADERS
from modeldeck.audit import repository as audit_repository
from modeldeck.auth import sessions
from modeldeck.auth.tables import ApiTokenRow
from modeldeck.auth.tokens import find_token
from modeldeck.console import audit_view, charts, model_filters, session, simulation
from modeldeck.console.model_rows import CAPABILITIES, RENDERED_ROWS, row_view
from modeldeck.console.render import STATIC_FILES, page
from modeldeck.models import aliases as alias_service
from modeldeck.models.schemas import PROVIDERS, SYSTEM_WRITABLE
from modeldeck.models.snapshot import RegistryCache, Snapshot
from modeldeck.problems import Problem
from modeldeck.records import query as model_query
from modeldeck.records.model import ModelPublic

router = APIRouter(include_in_schema=False)

LIST_PARAMETERS = (
    "q",
    "provider",
    "priced",
    "enabled",
    "system",
    "status",
    "sort",
    "limit",
    "offset",
)
PAGE_SIZES = (25, 50, 100, 250, 1000)
AUDIT_PAGE = 50


@dataclass(frozen=True)
class Column:
    """A column of the Models table: `sort` is its order (None: none); `shown` by default.

    The name and the actions are always shown; the visitor may hide or show the others.
    """

    key: str
    header: str
    sort: str | None
    shown: bool = True


COLUMNS = (
    Column("name", "Name", "name"),
    Column("origin", "Vendor / host", None),
    Column("provider", "API", "provider", shown=False),
    Column("parameters", "Parameters", "parameters_b", shown=False),
    Column("context", "Context", "context_window"),
    Column("max_output", "Max output", "max_output_tokens"),
    Column("complexity", "Complexity", "complexity_factor", shown=False),
    Column("price", "Price / 1M tokens", "input_price"),
    Column("capabilities", "Capabilities", None),
    Column("status", "Status", "status"),
)
SORTS = (
    ("name", "Name, A to Z"),
    ("-name", "Name, Z to A"),
    ("input_price", "Input price, cheapest first"),
    ("-input_price", "Input price, dearest first"),
    ("output_price", "Output price, cheapest first"),
    ("-context_window", "Context, largest first"),
    ("context_window", "Context, smallest first"),
    ("-max_output_tokens", "Max output, largest first"),
    ("-parameters_b", "Parameters, largest first"),
    ("provider", "API"),
    ("status", "Status"),
    ("-updated_at", "Recently changed"),
)


async def _snapshot(request: Request) -> Snapshot:
    cache: RegistryCache = request.app.state.registry_cache
    return await cache.current()


async def _reader(request: Request) -> tuple[session.Session, Response | None]:
    """The visitor's session, or the redirect to sign in when reads need a token."""
    visitor = await session.current_session(request)
    if not visitor.signed_in and request.app.state.settings.read_token_required:
        return visitor, session.sign_in_redirect(request)
    return visitor, None


def _common(request: Request, visitor: session.Session, section: str) -> dict[str, Any]:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {"visitor": visitor, "section": section, "here": here}


@router.get("/static/{name}")
async def static_file(request: Request, name: str) -> Response:
    found = STATIC_FILES.get(name)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    versioned = request.query_params.get("v") == found.version
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable" if versioned else "no-cache",
        "ETag": f'"{found.version}"',
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


@router.get("/")
async def models_page(request: Request) -> Response:
    visitor, redirect = await _reader(request)
    if redirect:
        return redirect
    multi = {key: request.query_params.getlist(key) for key in request.query_params}
    # The view's parameters, to keep in its links; `cap` may repeat.
    params: dict[str, Any] = {
        key: values if key == "cap" else values[-1]
        for key, values in multi.items()
        if key in LIST_PARAMETERS or key in model_filters.PARAMETERS
    }
    problem: Problem | None = None
    try:
        query = model_query.ModelQuery.parse(
            {key: value for key, value in params.items() if key in LIST_PARAMETERS}
        )
        filters = model_filters.ModelFilters.parse(multi)
    except Problem as error:
        problem, params = error, {}
        query, filters = model_query.ModelQuery(), model_filters.ModelFilters()
    snapshot = await _snapshot(request)
    models, count = model_query.run(filters.apply(snapshot), query)
    default = snapshot.default()
    return page(
        "models.html",
        status=200 if problem is None else 422,
        **_common(request, visitor, "models"),
        rows=RENDERED_ROWS.rows(snapshot, models, visitor.can_write),
        count=count,
        total=len(snapshot.models),
        query=query,
        filters=filters,
        params=params,
        problem=problem,
        providers=PROVIDERS,
        origins=model_filters.ORIGINS.choices(snapshot),
        context_steps=model_filters.CONTEXT_STEPS,
        page_sizes=PAGE_SIZES,
        columns=COLUMNS,
        sorts=SORTS,
        capabilities=CAPABILITIES,
        system_writable=sorted(SYSTEM_WRITABLE),
        default_name=default["name"] if default else None,
    )


@router.get("/models/{ref:path}")
async def model_page(request: Request, ref: str) -> Response:
    visitor, redirect = await _reader(request)
    if redirect:
        return redirect
    snapshot = await _snapshot(request)
    found = snapshot.find(ref)
    # The page shows one record: read as the public type, so its fields are checked (the
    # Models table formats the snapshot's dicts directly, `row_view`, for its many rows).
    model = None if found is None else ModelPublic.model_validate(found)
    async with request.app.state.database.read() as db:
        entries, total = await audit_repository.entries_for_model(
            db, model.id if model else ref, limit=200, offset=0
        )
    if model is None and total == 0:
        return page("not_found.html", status=404, **_common(request, visitor, "models"), what=ref)
    history = snapshot.price_history.get(model.id, []) if model else []
    return page(
        "model.html",
        **_common(request, visitor, "models"),
        model=model,
        row=row_view(found) if found else None,
        name=model.name if model else entries[0].model_name,
        history=list(reversed(history)),
        chart=charts.price_steps(history, now := clock.now()),
        now=now,
        entries=[audit_view.entry_view(entry) for entry in entries],
        total=total,
        providers=PROVIDERS,
        default_name=default["name"] if (default := snapshot.default()) else None,
        capabilities=CAPABILITIES,
        system_writable=sorted(SYSTEM_WRITABLE),
    )


@router.get("/aliases")
async def aliases_page(request: Request) -> Response:
    """Every alias with its targets and fallbacks; admins add, edit and delete them here
    (through `/api/aliases`, by `static/aliases.js`)."""
    visitor, redirect = await _reader(request)
    if redirect:
        return redirect
    async with request.app.state.database.read() as db:
        aliases = await alias_service.list_aliases(db)
    snapshot = await _snapshot(request)
    done = {key: _text(request.query_params.get(key))[:64] for key in ("saved", "deleted")}
    return page(
        "aliases.html",
        **_common(request, visitor, "aliases"),
        aliases=aliases,
        model_names=sorted((model["name"] for model in snapshot.models), key=str.lower),
        done=done,
        target_rows=4,
        fallback_rows=3,
    )


AUDIT_PARAMETERS = ("model", "actor", "action", "from", "to")


def _audit_filter(params: dict[str, str]) -> tuple[audit_repository.AuditFilter, list[str]]:
    """The Audit page's filters from its address; a day that does not parse is left out."""
    problems = []
    days: dict[str, datetime | None] = {}
    for key in ("from", "to"):
        text = params.get(key, "").strip()
        days[key] = None
        if text:
            try:
                day = date.fromisoformat(text)
                days[key] = datetime(day.year, day.month, day.day, tzinfo=UTC)
            except ValueError:
                problems.append(f"“{text}” is not a day (YYYY-MM-DD); the {key} date is ignored.")
    until = days["to"] + timedelta(days=1) if days["to"] is not None else None
    where = audit_repository.AuditFilter(
        model=params.get("model", "").strip() or None,
        actor=params.get("actor") or None,
        action=params.get("action") or None,
        since=days["from"],
        until=until,
    )
    return where, problems


@router.get("/audit")
async def audit_page(request: Request) -> Response:
    visitor, redirect = await _reader(request)
    if redirect:
        return redirect
    try:
        offset = max(0, int(request.query_params.get("offset", "0")))
    except ValueError:
        offset = 0
    params = {key: value for key, value in request.query_params.items() if key in AUDIT_PARAMETERS}
    where, problems = _audit_filter(params)
    async with request.app.state.database.read() as db:
        entries, total = await audit_repository.recent_entries(
            db, limit=AUDIT_PAGE, offset=offset, where=where
        )
        actors, actions = await audit_repository.actors_and_actions(db)
    return page(
        "audit.html",
        **_common(request, visitor, "audit"),
        entries=[audit_view.entry_view(entry) for entry in entries],
        total=total,
        offset=offset,
        limit=AUDIT_PAGE,
        params=params,
        filtered=bool(params),
        problems=problems,
        actors=actors,
        actions=actions,
    )


def _simulation_page(
    request: Request,
    visitor: session.Session,
    form: simulation.SimulationForm,
    outcome: simulation.Outcome | None,
    snapshot: Snapshot,
) -> Response:
    shown = outcome is not None and not outcome.failed
    return page(
        "simulate.html",
        status=422 if outcome is not None and outcome.failed else 200,
        **_common(request, visitor, "simulate"),
        form=form,
        outcome=outcome,
        results=simulation.results(form, outcome, snapshot) if shown and outcome else None,
        choices=simulation.choices(snapshot),
        page_sizes=simulation.PAGE_SIZES,
        today=clock.today().isoformat(),
    )


def _submitted(pairs: Any) -> simulation.SimulationForm:
    lists: dict[str, list[str]] = {}
    for key, value in pairs:
        lists.setdefault(key, []).append(_text(value))
    return simulation.SimulationForm.parse(lists)


@router.get("/simulate")
async def simulate_page(request: Request) -> Response:
    """The Simulator; a query (what its form sends, or a shared link) is run and shown."""
    visitor, redirect = await _reader(request)
    if redirect:
        return redirect
    snapshot = await _snapshot(request)
    if not request.query_params:
        return _simulation_page(request, visitor, simulation.SimulationForm(), None, snapshot)
    form = _submitted(request.query_params.multi_items())
    return _simulation_page(request, visitor, form, simulation.run(form, snapshot), snapshot)


async def _posted_simulation(
    request: Request,
) -> tuple[session.Session, simulation.SimulationForm, Response | None]:
    """A posted Simulator form (a sample text too long for a link): from this console only."""
    visitor, redirect = await _reader(request)
    submitted = await request.form()
    if not session.same_origin(request) or not session.form_csrf_ok(
        request, visitor, _text(submitted.get("csrf_token"))
    ):
        return visitor, simulation.SimulationForm(), _forbidden(request, visitor)
    if redirect:
        return visitor, simulation.SimulationForm(), redirect
    return visitor, _submitted(submitted.multi_items()), None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@router.post("/simulate")
async def run_simulation(request: Request) -> Response:
    visitor, form, refused = await _posted_simulation(request)
    if refused:
        return refused
    snapshot = await _snapshot(request)
    return _simulation_page(request, visitor, form, simulation.run(form, snapshot), snapshot)


async def _csv(
    request: Request, visitor: session.Session, form: simulation.SimulationForm
) -> Response:
    snapshot = await _snapshot(request)
    outcome = simulation.run(form, snapshot)
    if outcome.failed:
        return _simulation_page(request, visitor, form, outcome, snapshot)
    filename = f"modeldeck-simulation-{clock.today():%Y%m%d}.csv"
    return Response(
        simulation.to_csv(outcome.rows, outcome.asked),
        media_type="text/csv; charset=utf-8",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@router.get("/simulate.csv")
async def simulation_csv(request: Request) -> Response:
    """The ranking of the same query as `GET /simulate`, every row, with the workload."""
    visitor, redirect = await _reader(request)
    if redirect:
        return redirect
    return await _csv(request, visitor, _submitted(request.query_params.multi_items()))


@router.post("/simulate.csv")
async def posted_simulation_csv(request: Request) -> Response:
    visitor, form, refused = await _posted_simulation(request)
    if refused:
        return refused
    return await _csv(request, visitor, form)


CSRF_REFUSED = (
    "The form was not sent from this console session (missing or wrong CSRF token). "
    "Reload the page and try again."
)
CROSS_SITE_SIGN_IN = (
    "The sign-in was not sent from this console's own sign-in page (another site sent it). "
    "Open the sign-in page of this console and sign in there."
)


def _forbidden(request: Request, visitor: session.Session, reason: str = CSRF_REFUSED) -> Response:
    return page("forbidden.html", status=403, **_common(request, visitor, ""), reason=reason)


def _login_page(
    request: Request,
    target: str,
    error: str | None = None,
    status: int = 200,
    code: str | None = None,
    code_owner: ApiTokenRow | None = None,
) -> Response:
    # Referrer-Policy stays same-origin: a login link's code goes to no other site, and with
    # no-referrer Chromium would post the form with `Origin: null`, which is refused.
    return page(
        "login.html",
        status=status,
        **_common(request, session.Session(), "login"),
        target=session.local_path(target),
        error=error,
        code=code,
        code_owner=code_owner,
    )


SIGN_IN_REFUSED = (
    "That token is not valid. Use a token printed by `modeldeck serve` or made with "
    "`modeldeck token create`."
)
CODE_REFUSED = (
    "That login link has expired or was used already (a link works once, for 10 minutes). "
    "Sign in with the admin token instead."
)


@router.get("/login")
async def login_page(request: Request) -> Response:
    """The sign-in form; a login link's code only shows whom it signs in as, and a button.

    Nothing here signs in: a GET can be sent by any site (login CSRF).
    """
    target = request.query_params.get("next", "/")
    code = request.query_params.get("code")
    if code is None:
        return _login_page(request, target)
    async with request.app.state.database.read() as db:
        owner = await sessions.code_owner(db, code)
    if owner is None:
        return _login_page(request, target, CODE_REFUSED, status=401)
    return _login_page(request, target, code=code, code_owner=owner)


@router.post("/login")
async def sign_in(request: Request) -> Response:
    """Sign in with a token typed into the form, or with a login link's one-time code."""
    submitted = await request.form()
    target = _text(submitted.get("next")) or "/"
    if not session.same_origin(request):
        return _forbidden(request, session.Session(), CROSS_SITE_SIGN_IN)
    refuse_if_limited(request)  # guessing tokens or codes here is limited like the API's
    code = _text(submitted.get("code")).strip()
    token = _text(submitted.get("token")).strip()
    session_id: str | None = None
    # One transaction: a code is used up only by the session it starts.
    async with request.app.state.database.write() as db:
        if code:
            owner = await sessions.redeem_login_code(db, code)
        else:
            owner = await find_token(db, token) if token else None  # never a revoked one
        if owner is not None:
            # Signing in again replaces this browser's session rather than leaving it behind.
            previous = request.cookies.get(SESSION_COOKIE)
            if previous:
                await sessions.end_session(db, previous)
            session_id = await sessions.start_session(db, owner, session.lifetime(request))
    if session_id is None:
        authentication_failed(request, "wrong login code" if code else "wrong token at sign-in")
        return _login_page(request, target, CODE_REFUSED if code else SIGN_IN_REFUSED, status=401)
    return session.signed_in(request, session_id, target)


@router.post("/logout")
async def sign_out(request: Request) -> Response:
    submitted = await request.form()
    visitor = await session.current_session(request)
    if not session.same_origin(request) or not session.form_csrf_ok(
        request, visitor, _text(submitted.get("csrf_token"))
    ):
        return _forbidden(request, visitor)
    return await session.signed_out(request)
