"""Run every figure and print it with its anchor and their ratio."""

from __future__ import annotations

from bench import registry


def main() -> None:
    print("figure                                           ours        anchor      ratio  target")
    name, ours, bare = registry.list_throughput()
    print(
        f"{name:<48} {ours:>8.0f}/s  {bare:>8.0f}/s  {ours / bare:5.2f}x  >= 0.70x bare Starlette"
    )
    name, ours, bare = registry.cold_start()
    print(
        f"{name:<48} {ours:>9.2f}s {bare:>9.2f}s  {ours / bare:5.2f}x  <= 2 s "
        f"({'met' if ours <= 2 else 'missed'}); anchor: bare Starlette start"
    )


if __name__ == "__main__":
    main()
