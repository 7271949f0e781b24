"""The built-in catalog shipped inside the package (built by scripts/build_catalog.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from modeldeck.models.schemas import ModelWrite


@dataclass(frozen=True)
class Catalog:
    version: str
    default_model: str
    models: tuple[ModelWrite, ...]


def parse_catalog(text: str) -> Catalog:
    document = json.loads(text)
    models = tuple(ModelWrite.model_validate(record) for record in document["models"])
    names = {model.name.lower() for model in models}
    if document["default_model"].lower() not in names:
        raise ValueError(f"default_model {document['default_model']!r} is not in the catalog")
    return Catalog(document["catalog_version"], document["default_model"], models)


@cache
def load_builtin() -> Catalog:
    text = resources.files("modeldeck.catalog").joinpath("builtin.json").read_text("utf-8")
    return parse_catalog(text)
