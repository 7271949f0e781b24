"""The value rules of DESIGN §2-§3 as properties of `ModelWrite` and `PricingWrite`."""

from __future__ import annotations

import math
import string
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from modeldeck.models.schemas import MAX_CONTEXT, ModelWrite, PricingWrite
from modeldeck.records.fields import complexity_factor

NAME_CHARACTERS = string.ascii_letters + string.digits + "._-:/@"
MONEY_FIELDS = ["input", "output", "cached_input", "cache_write", "reasoning", "per_request"]

bounded = settings(max_examples=200, deadline=None)


def model_write(**overrides: Any) -> dict[str, Any]:
    """A valid body for `ModelWrite`, with keyword overrides."""
    body: dict[str, Any] = {
        "name": "gpt-4o",
        "provider": "openai",
        "context_window": 128_000,
        "max_output_tokens": 16_384,
        "pricing": {"input": "2.5", "output": "10"},
    }
    return body | overrides


def refused_fields(body: dict[str, Any]) -> set[tuple[Any, ...]]:
    """The locations `ModelWrite` names when it refuses `body` (fails when it accepts it)."""
    with pytest.raises(ValidationError) as refusal:
        ModelWrite.model_validate(body)
    return {tuple(error["loc"]) for error in refusal.value.errors()}


prices = st.integers(min_value=0, max_value=12).flatmap(
    lambda places: st.decimals(
        min_value=0, max_value=10_000, places=places, allow_nan=False, allow_infinity=False
    )
)
negative_prices = st.decimals(
    max_value=Decimal("-1e-12"), places=12, allow_nan=False, allow_infinity=False
)
too_high_prices = st.decimals(
    min_value=Decimal("10000.000000000001"), allow_nan=False, allow_infinity=False
)
non_finite_prices = st.sampled_from(
    [
        math.nan,
        math.inf,
        -math.inf,
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        "NaN",
        "Infinity",
        "-Infinity",
    ]
)


@bounded
@given(price=prices, field=st.sampled_from(MONEY_FIELDS), as_text=st.booleans())
def test_a_finite_price_from_0_to_10000_with_up_to_12_places_round_trips_exactly(
    price: Decimal, field: str, as_text: bool
) -> None:
    pricing = {"input": "1", "output": "1", field: str(price) if as_text else price}
    written = ModelWrite.model_validate(model_write(pricing=pricing)).pricing
    assert written is not None
    assert getattr(written, field) == price
    assert getattr(PricingWrite.model_validate(pricing), field) == price


@bounded
@given(
    price=negative_prices | too_high_prices | non_finite_prices,
    field=st.sampled_from(MONEY_FIELDS),
)
def test_a_negative_non_finite_or_absurd_price_is_refused_naming_the_field(
    price: Any, field: str
) -> None:
    pricing = {"input": "1", "output": "1", field: price}
    assert ("pricing", field) in refused_fields(model_write(pricing=pricing))


@bounded
@given(st.from_regex(r"[A-Za-z0-9._\-:/@]{1,128}", fullmatch=True))
def test_a_name_of_1_to_128_allowed_characters_is_accepted(name: str) -> None:
    assert ModelWrite.model_validate(model_write(name=name)).name == name


@bounded
@given(
    prefix=st.text(alphabet=NAME_CHARACTERS, max_size=60),
    outsider=st.characters().filter(lambda character: character not in NAME_CHARACTERS),
    suffix=st.text(alphabet=NAME_CHARACTERS, max_size=60),
)
@example(prefix="gpt-4o", outsider="\n", suffix="")  # `$` in a regex also matches before "\n"
@example(prefix="gpt", outsider=" ", suffix="4o")
def test_a_name_with_any_other_character_is_refused(
    prefix: str, outsider: str, suffix: str
) -> None:
    assert ("name",) in refused_fields(model_write(name=prefix + outsider + suffix))


@bounded
@given(st.text(alphabet=NAME_CHARACTERS, min_size=129, max_size=400) | st.just(""))
def test_a_name_that_is_empty_or_longer_than_128_is_refused(name: str) -> None:
    assert ("name",) in refused_fields(model_write(name=name))


@bounded
@given(st.floats(min_value=0, max_value=1e6, allow_nan=False, exclude_min=True))
def test_the_complexity_factor_is_the_size_relative_to_175_billion(parameters_b: float) -> None:
    assert complexity_factor(parameters_b) == round(parameters_b / 175, 6)


def test_an_unknown_size_has_no_complexity_factor() -> None:
    assert complexity_factor(None) is None


@bounded
@given(st.data())
def test_max_output_tokens_above_the_context_window_is_always_refused(data: st.DataObject) -> None:
    context_window = data.draw(st.integers(min_value=1, max_value=MAX_CONTEXT - 1))
    max_output_tokens = data.draw(st.integers(min_value=context_window + 1, max_value=MAX_CONTEXT))
    body = model_write(context_window=context_window, max_output_tokens=max_output_tokens)
    assert refused_fields(body) == {("max_output_tokens",)}


@bounded
@given(st.data())
def test_max_output_tokens_up_to_the_context_window_is_accepted(data: st.DataObject) -> None:
    context_window = data.draw(st.integers(min_value=1, max_value=MAX_CONTEXT))
    max_output_tokens = data.draw(st.integers(min_value=1, max_value=context_window))
    body = model_write(context_window=context_window, max_output_tokens=max_output_tokens)
    assert ModelWrite.model_validate(body).max_output_tokens == max_output_tokens
