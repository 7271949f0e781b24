"""Run the figures and print each with its anchor and their ratio.

`python -m bench` runs them all; `python -m bench reads_under_writes pricing` only those named
(`cold_start` is also part of `registry`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench import (
    catalog,
    changes,
    console,
    offline,
    pool,
    pricing,
    reads_under_writes,
    registry,
    simulator,
)


def registry_figures() -> None:
    name, ours, bare = registry.list_throughput()
    print(
        f"{name:<48} {ours:>8.0f}/s  {bare:>8.0f}/s  {ours / bare:5.2f}x  >= 0.70x bare Starlette"
    )
    cold_start_figures()


def cold_start_figures() -> None:
    for figure in registry.cold_start():
        ours, bare = figure.ours, figure.bare
        print(
            f"{figure.name:<48} {ours:>9.2f}s {bare:>9.2f}s  {ours / bare:5.2f}x  <= 1 s "
            f"({'met' if ours <= 1 else 'missed'}); anchor: bare Starlette start"
        )
        print(
            f"{'  then the first GET /api/models':<48} {figure.first_request * 1000:>8.1f}ms "
            f"{figure.bare_first_request * 1000:>8.1f}ms  "
            f"{figure.first_request / figure.bare_first_request:5.1f}x  anchor: its first GET"
        )


def pricing_figures() -> None:
    for name, ours, litellm_rate in pricing.cost_against_litellm():
        print(
            f"{name:<48} {ours:>10.0f}  {litellm_rate:>10.0f}  {ours / litellm_rate:5.1f}x  "
            ">= 25x litellm.cost_per_token"
        )
    for name, ours, litellm_rate, genai_rate in pricing.cost_with_variants():
        print(
            f"{name:<48} {ours:>10.0f}  {litellm_rate:>10.0f}  {ours / litellm_rate:5.1f}x  "
            f">= 25x litellm.cost_per_token; {ours / genai_rate:5.1f}x genai_prices.calc_price "
            f"({genai_rate:,.0f}/s)"
        )
    name, ours, anchor = pricing.simulate_median()
    print(
        f"{name:<48} {ours:>9.1f}ms {anchor:>9.1f}ms {ours / anchor:5.1f}x  <= 50 ms "
        f"({'met' if ours <= 50 else 'missed'}); anchor: serialising the answer"
    )
    name, ours, anchor = pricing.token_rate()
    print(
        f"{name:<48} {ours:>9.1f}  {anchor:>9.1f}   {ours / anchor:5.2f}x  >= 5 MB/s "
        f"({'met' if ours >= 5 else 'missed'}); anchor: tiktoken encode_ordinary"
    )


def changes_figures() -> None:
    name, median, p99, anchor = changes.propagation()
    print(
        f"{name:<48} {median:>7.1f}ms p50 {p99:>7.1f}ms p99  {anchor / p99:5.0f}x faster than the "
        f"anchor ({anchor / 1000:.0f} s); p99 <= 100 ms ({'met' if p99 <= 100 else 'missed'})"
    )


def catalog_figures() -> None:
    models, vendors, dated, periods = catalog.builtin_contents()
    print(
        f"{'built-in catalog':<48} {models} models, {vendors} vendors, {dated} with more than one "
        f"price period ({periods} periods)"
    )
    for name, ours, anchor in catalog.litellm_import():
        target = catalog.TARGETS["sqlite" if "sqlite" in name else "postgresql"]
        print(
            f"{name:<48} {ours:>8.2f}s  {anchor:>8.2f}s  {ours / anchor:5.1f}x  <= {target:g} s "
            f"({'met' if ours <= target else 'missed'}); anchor: bare executemany of the rows"
        )


def pool_figures() -> None:
    name, ours, anchor = pool.lookups()
    print(
        f"{name:<48} {ours:>8.0f}/s  {anchor:>8.0f}/s  {ours / anchor:5.2f}x  >= 2,000,000/s "
        f"({'met' if ours >= 2e6 else 'missed'}); anchor: dict.get"
    )


def offline_figures() -> None:
    name, first, median, anchor = offline.black_holed_reads()
    print(
        f"{name:<48} {median * 1000:>7.1f}us {anchor * 1e6:>7.0f}ns  {median / anchor:5.0f}x  "
        f"median <= 1 ms ({'met' if median <= 1 else 'missed'}); anchor: a dict read; "
        f"the first read paid {first:.0f} ms (the timeout)"
    )
    name, median, p99 = offline.sync_pool_propagation()
    print(
        f"{name:<48} {median:>7.1f}ms p50 {p99:>7.1f}ms p99  p99 <= 100 ms "
        f"({'met' if p99 <= 100 else 'missed'}); compare `changes` (async, SSE) in the same run"
    )


def console_figures() -> None:
    name, ours, anchor = console.models_page_render()
    print(
        f"{name:<48} {ours:>8.1f}ms  {anchor:>7.1f}ms  {ours / anchor:5.1f}x  <= 50 ms "
        f"({'met' if ours <= 50 else 'missed'})"
    )
    name, ours, anchor = console.models_page_ready()
    print(
        f"{name:<48} {ours:>9.2f}s {anchor:>8.2f}s  {ours / anchor:5.2f}x  <= 1 s "
        f"({'met' if ours <= 1 else 'missed'}); anchor: the same page served statically"
    )
    name, ours, anchor = console.catalog_vendor_page_ready()
    print(
        f"{name:<48} {ours:>9.2f}s {anchor:>8.2f}s  {ours / anchor:5.2f}x  <= 0.5 s "
        f"({'met' if ours <= 0.5 else 'missed'}); anchor: the same page served statically"
    )


def simulator_figures() -> None:
    name, ours, anchor = simulator.submit_to_painted()
    print(
        f"{name:<48} {ours:>9.2f}s {anchor:>8.2f}s  {ours / anchor:5.2f}x  <= 1 s "
        f"({'met' if ours <= 1 else 'missed'}); anchor: the same results page served statically"
    )


FIGURES: dict[str, Callable[[], None]] = {
    "registry": registry_figures,
    "cold_start": cold_start_figures,
    "pricing": pricing_figures,
    "changes": changes_figures,
    "catalog": catalog_figures,
    "pool": pool_figures,
    "console": console_figures,
    "simulator": simulator_figures,
    "offline": offline_figures,
    "reads_under_writes": reads_under_writes.report,
}


def main(names: list[str]) -> None:
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        sys.exit(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    print("figure                                           ours        anchor      ratio  target")
    for name in names or list(FIGURES):
        FIGURES[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
