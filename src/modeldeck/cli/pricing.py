"""`modeldeck cost` and `modeldeck simulate`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from modeldeck.cli.connection import DatabaseUrl, Token, Url, registry
from modeldeck.cli.models import Json, _read_json, read_text
from modeldeck.cli.output import money, out, print_json, run, table
from modeldeck.pricing.usage import USAGE_FORMATS

UsageFormatOption = Enum(  # type: ignore[misc]
    "UsageFormatOption", {name: name for name in USAGE_FORMATS}, type=str
)


@run("cost")
async def cost_command(
    model: Annotated[str, typer.Argument(help="Model name or id.")],
    input_tokens: Annotated[
        int, typer.Option("--input", help="Prompt tokens, cached included.")
    ] = 0,
    output_tokens: Annotated[
        int, typer.Option("--output", help="Completion tokens, reasoning included.")
    ] = 0,
    cached: Annotated[int, typer.Option(help="Of the input, tokens read from cache.")] = 0,
    cache_write: Annotated[int, typer.Option(help="Of the input, tokens written to cache.")] = 0,
    cache_write_1h: Annotated[
        int, typer.Option("--cache-write-1h", help="Of the cache writes, those to a 1-hour cache.")
    ] = 0,
    reasoning: Annotated[int, typer.Option(help="Of the output, reasoning tokens.")] = 0,
    requests: Annotated[int, typer.Option(help="How many such requests.")] = 1,
    at: Annotated[str | None, typer.Option(help="Price at this date (ISO 8601).")] = None,
    usage: Annotated[
        str | None,
        typer.Option(
            help="A usage JSON file, as any provider returns it (OpenAI, Anthropic, Gemini, "
            "Bedrock, Mistral) or a whole response with its usage; - for stdin."
        ),
    ] = None,
    usage_format: Annotated[
        UsageFormatOption | None,
        typer.Option(
            metavar="<format>",
            help="The format of --usage when its keys do not tell (they usually do): "
            + ", ".join(USAGE_FORMATS)
            + ".",
        ),
    ] = None,
    service_tier: Annotated[
        str | None,
        typer.Option(help="Price at this service tier's rates: batch, flex, priority, …"),
    ] = None,
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The exact cost of a call on a model, line by line."""
    if usage_format is not None and not usage:
        raise typer.BadParameter("needs --usage", param_hint="--usage-format")
    given: dict[str, Any] = (
        _read_json(usage)
        if usage
        else {
            "input_tokens": input_tokens,
            "cached_input_tokens": cached,
            "cache_write_tokens": cache_write,
            "cache_write_1h_tokens": cache_write_1h,
            "output_tokens": output_tokens,
            "reasoning_tokens": reasoning,
        }
    )
    async with registry(url, token, database_url) as models:
        result = await models.cost(
            model,
            given,
            at=at,
            requests=requests,
            usage_format=usage_format.value if usage_format else None,
            service_tier=service_tier,
        )
    if json_output:
        print_json(result)
        return
    table(
        f"{result.model}: {money(result.total)} {result.currency}",
        ["component", "tokens", "rate per 1M", "amount"],
        (
            [line.component, f"{line.tokens:,}", money(line.rate), money(line.amount)]
            for line in result.lines
        ),
    )
    if result.service_tier != "standard":
        out.print(f"{result.service_tier} rates applied")
    if result.window is not None:
        named = f" ({result.window.name})" if result.window.name else ""
        out.print(f"time-of-day rates {result.window.start}-{result.window.end} UTC{named} applied")
    if result.tier is not None:
        out.print(f"tier above {result.tier.above_input_tokens:,} input tokens applied")


@run("simulate")
async def simulate_command(
    requests: Annotated[int, typer.Option(help="Requests in the period.")] = 1,
    input_tokens: Annotated[
        int | None, typer.Option("--input", help="Input tokens per request.")
    ] = None,
    text_file: Annotated[
        Path | None, typer.Option(help="A sample prompt to count per model instead of --input.")
    ] = None,
    output_tokens: Annotated[int, typer.Option("--output", help="Output tokens per request.")] = 0,
    reasoning: Annotated[int, typer.Option(help="Of the output, reasoning tokens.")] = 0,
    cached_share: Annotated[float, typer.Option(help="Share of input read from cache, 0-1.")] = 0.0,
    at: Annotated[str | None, typer.Option(help="Prices at this date (ISO 8601).")] = None,
    service_tier: Annotated[
        str | None,
        typer.Option(
            help="Price at this service tier (batch, flex, …); models without it are left out."
        ),
    ] = None,
    time_of_day: Annotated[
        str | None,
        typer.Option(
            metavar="HH:MM",
            help="Make every request at this UTC time (default: spread over the day); matters "
            "for prices with time-of-day windows.",
        ),
    ] = None,
    model: Annotated[list[str] | None, typer.Option(help="Only these models (repeat).")] = None,
    custom: Annotated[
        list[str] | None,
        typer.Option(help="A what-if price row NAME=INPUT/OUTPUT per 1M tokens (repeat)."),
    ] = None,
    include_retired: Annotated[
        bool,
        typer.Option("--include-retired", help="Also price retired models (left out by default)."),
    ] = False,
    top: Annotated[int, typer.Option(help="Rows to show in the table.")] = 20,
    json_output: Json = False,
    url: Url = None,
    token: Token = None,
    database_url: DatabaseUrl = None,
) -> None:
    """A workload priced on every priced model that is not retired, cheapest first."""
    workload: dict[str, Any] = {
        "requests": requests,
        "output_tokens": output_tokens,
        "reasoning_tokens": reasoning,
        "cached_share": cached_share,
    }
    if text_file is not None:
        workload["text"] = read_text(text_file)
    if input_tokens is not None:
        workload["input_tokens"] = input_tokens
    if at:
        workload["at"] = at
    if service_tier:
        workload["service_tier"] = service_tier
    if time_of_day:
        workload["time_of_day"] = time_of_day
    if model:
        workload["models"] = model
    if custom:
        workload["custom_prices"] = [_custom(item) for item in custom]
    if include_retired:
        workload["include_retired"] = True
    async with registry(url, token, database_url) as models:
        rows = await models.simulate(**workload)
    if json_output:
        print_json(rows)
        return
    table(
        f"{len(rows)} rows, {requests:,} requests",
        ["model", "per request", "total", "weighted tokens", "fits"],
        (
            [
                row.model + (" (custom)" if row.custom else ""),
                money(row.cost_per_request),
                money(row.total_cost),
                row.weighted_tokens,
                "yes" if row.fits else "no: " + "; ".join(row.fit_problems),
            ]
            for row in rows[:top]
        ),
    )
    if service_tier:
        out.print(f"{service_tier} rates; models without them are left out")


def _custom(text: str) -> dict[str, Any]:
    name, separator, prices = text.partition("=")
    input_price, slash, output_price = prices.partition("/")
    if not separator or not slash or not name:
        raise ValueError(f"--custom {text!r} must look like NAME=INPUT/OUTPUT, e.g. ours=0.2/0.6")
    return {"name": name, "pricing": {"input": input_price, "output": output_price}}
