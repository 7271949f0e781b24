"""HTTP for prices, cost, simulation and token counting (DESIGN §3-§4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from modeldeck import clock
from modeldeck.api import answers
from modeldeck.api.auth import Caller, require_admin, require_reader
from modeldeck.api.web import (
    ExactJSONResponse,
    body_schema,
    if_match_version,
    json_body,
    write_session,
)
from modeldeck.models import repository as model_repository
from modeldeck.models import service as model_service
from modeldeck.models.public import history_public
from modeldeck.models.schemas import PricingWrite
from modeldeck.models.snapshot import RegistryCache, Snapshot
from modeldeck.pricing.engine import STANDARD, CostError, Usage, cost, period_at
from modeldeck.pricing.schemas import CostRequest, SimulateRequest, TokensRequest
from modeldeck.pricing.simulator import simulate
from modeldeck.problems import FieldError, Problem, invalid, not_found
from modeldeck.records.fields import RATE_FIELDS
from modeldeck.tokenizer.counting import TextTooLarge, count_tokens

router = APIRouter(tags=["pricing"])

WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
Admin = Annotated[Caller, Depends(require_admin)]
Reader = Annotated[Caller | None, Depends(require_reader)]
Body = Annotated[Any, Depends(json_body)]

COST_EXAMPLE = {
    "model": "claude-sonnet-4-5",
    "usage": {
        "input_tokens": 21,
        "cache_read_input_tokens": 188086,
        "cache_creation_input_tokens": 0,
        "output_tokens": 393,
    },
}
SIMULATE_EXAMPLE = {
    "requests": 100000,
    "input_tokens": 1500,
    "output_tokens": 400,
    "cached_share": 0.5,
    "custom_prices": [{"name": "self-hosted", "pricing": {"input": 0.2, "output": 0.6}}],
}


async def _snapshot(request: Request) -> Snapshot:
    cache: RegistryCache = request.app.state.registry_cache
    return await cache.current()


def _model(snapshot: Snapshot, ref: str) -> dict[str, Any]:
    model = snapshot.find(ref)
    if model is None:
        raise not_found(f"Model {ref!r}")
    return model


def _cost_problem(error: CostError) -> Problem:
    return invalid([FieldError(error.field, error.message)])


@router.get(
    "/api/models/{ref:path}/prices",
    summary="Price history of a model, oldest first",
    operation_id="listPricePeriods",
    response_class=Response,
    responses={200: {"model": answers.PriceHistory}},
)
async def list_prices(request: Request, ref: str, _: Reader) -> Response:
    snapshot = await _snapshot(request)
    model = _model(snapshot, ref)
    async with request.app.state.database.read() as session:
        row = await model_repository.get_by_ref(session, model["id"])
    if row is None:
        raise not_found(f"Model {ref!r}")
    history = history_public(row.price_periods, clock.now())
    return ExactJSONResponse({"data": history, "count": len(history), "model": model["name"]})


@router.post(
    "/api/models/{ref:path}/prices",
    status_code=201,
    summary="Add a price period (backdated or future-dated)",
    operation_id="addPricePeriod",
    response_class=Response,
    responses={201: {"model": answers.AddedPricePeriod}, 409: {}, 412: {}},
    openapi_extra=body_schema(
        "PricingWrite", {"input": 2, "output": 8, "effective_from": "2026-01-01T00:00:00Z"}
    ),
)
async def add_price(
    request: Request, ref: str, caller: Admin, session: WriteSession, body: Body
) -> Response:
    pricing = model_service.parse_request(PricingWrite, body)
    ctx = model_service.WriteContext(actor=caller.actor, vault=request.app.state.vault)
    added = await model_service.add_price_period(
        session, ctx, ref, pricing, if_match=if_match_version(request)
    )
    return ExactJSONResponse(
        added, status_code=201, headers={"ETag": f'"{added["model"]["version"]}"'}
    )


@router.post(
    "/api/cost",
    summary="The exact cost of one usage on one model, explained",
    operation_id="priceUsage",
    response_class=Response,
    responses={200: {"model": answers.CostAnswer}, 404: {"description": "No such model"}},
    openapi_extra=body_schema("CostRequest", COST_EXAMPLE),
)
async def price_usage(request: Request, _: Reader, body: Body) -> Response:
    asked = model_service.parse_request(CostRequest, body)
    snapshot = await _snapshot(request)
    model = _model(snapshot, asked.model)
    history = snapshot.price_history.get(model["id"], [])
    try:
        usage = Usage.parse(asked.usage, asked.usage_format, responses=False)
    except CostError as error:
        raise _cost_problem(error) from None
    pricing: Mapping[str, Any] | None
    period: Mapping[str, Any] | None
    if asked.at is None:
        pricing = model["pricing"]
        period = next((item for item in history if item["current"]), None)
    else:
        period = period_at(history, asked.at)
        if period is None and history:
            first = history[0]["effective_from"].isoformat()
            raise invalid([FieldError("at", f"is before the first price period ({first})")])
        # A model that was never priced is unpriced at every date, not "before" anything.
        pricing = period if period is not None and period["priced"] else None
    if pricing is None:
        raise Problem(
            422,
            "Unpriced model",
            f"Model {model['name']!r} has no price"
            + (" at that date" if asked.at else "")
            + "; add one with POST /api/models/{ref}/prices.",
            slug="unpriced",
            errors=[FieldError("model", "has no price")],
        )
    try:
        breakdown = cost(
            pricing,
            usage,
            requests=asked.requests,
            at=asked.at,
            service_tier=asked.service_tier,
        )
    except CostError as error:
        raise _cost_problem(error) from None
    result = breakdown.as_dict()
    result.pop("price_sheet")
    applied = breakdown.applied_rates()
    return ExactJSONResponse(
        {
            "model": {"id": model["id"], "name": model["name"]},
            "usage": usage.as_dict(),
            **result,
            "price_period": {
                "effective_from": period["effective_from"] if period else None,
                "effective_until": period["effective_until"] if period else None,
                "source": period["source"] if period else None,
                "rates": {key: getattr(applied, key) for key in RATE_FIELDS},
            },
        }
    )


@router.post(
    "/api/simulate",
    summary="A workload priced on every priced model that is not retired (and custom prices), "
    "cheapest first",
    operation_id="simulate",
    response_class=Response,
    responses={200: {"model": answers.SimulationAnswer}},
    openapi_extra=body_schema("SimulateRequest", SIMULATE_EXAMPLE),
)
async def simulate_workload(request: Request, _: Reader, body: Body) -> Response:
    asked = model_service.parse_request(SimulateRequest, body)
    if (asked.input_tokens is None) == (asked.text is None):
        both = asked.input_tokens is not None
        raise invalid(
            [
                FieldError(
                    "input_tokens",
                    "give either input_tokens or a sample text, not both"
                    if both
                    else "is required unless a sample text is given",
                )
            ]
        )
    snapshot = await _snapshot(request)
    models = snapshot.models
    if asked.models is not None:
        wanted: dict[str, dict[str, Any]] = {}  # one row per model, however often it is named
        for index, ref in enumerate(asked.models):
            model = snapshot.find(ref)
            if model is None:
                raise invalid([FieldError(f"models[{index}]", f"no model is named {ref!r}")])
            wanted.setdefault(model["id"], model)
        models = list(wanted.values())
    counted: dict[str, tuple[int, str, bool]] = {}

    def count(model: Mapping[str, Any] | None) -> tuple[int, str, bool]:
        assert asked.text is not None
        key = _tokenizer_key(model)
        if key not in counted:
            result = count_tokens(asked.text, model)
            counted[key] = (result.tokens, result.tokenizer, result.exact)
        return counted[key]

    try:
        rows, not_offered = simulate(
            models, snapshot.price_history, asked, count, named=asked.models is not None
        )
    except CostError as error:
        raise _cost_problem(error) from None
    return ExactJSONResponse(
        {
            "data": rows,
            "count": len(rows),
            "requests": asked.requests,
            "at": asked.at,
            "service_tier": asked.service_tier or STANDARD,
            "not_offered": not_offered,
            "revision": snapshot.revision,
        }
    )


def _tokenizer_key(model: Mapping[str, Any] | None) -> str:
    from modeldeck.tokenizer.counting import tokenizer_for

    return tokenizer_for(dict(model) if model is not None else None)


@router.post(
    "/api/tokens",
    summary="Count the tokens of a text for a model, offline",
    operation_id="countTokens",
    response_class=Response,
    responses={200: {"model": answers.TokenCountAnswer}, 404: {"description": "No such model"}},
    openapi_extra=body_schema("TokensRequest", {"model": "gpt-4o", "text": "Hello, world!"}),
)
async def tokens(request: Request, _: Reader, body: Body) -> Response:
    asked = model_service.parse_request(TokensRequest, body)
    model: Mapping[str, Any] | None = None
    if asked.model is not None:
        model = _model(await _snapshot(request), asked.model)
    try:
        result = count_tokens(asked.text, model)
    except TextTooLarge as error:
        raise invalid([FieldError("text", str(error))]) from None
    return ExactJSONResponse(
        {
            "model": model["name"] if model else None,
            "tokens": result.tokens,
            "tokenizer": result.tokenizer,
            "exact": result.exact,
            "chars": result.chars,
        }
    )
