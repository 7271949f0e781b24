"""What the client answers from when the server is unreachable: its last list, or the catalog."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from modeldeck import clock, serialization
from modeldeck.catalog.builtin import load_builtin
from modeldeck.client.schemas import Model
from modeldeck.records.fields import complexity_factor

# Catalog models get stable ids offline: the same name always maps to the same id.
CATALOG_NAMESPACE = uuid.UUID("5b0c8f0e-8d36-4f4e-9a53-6d6f64656c64")
SNAPSHOT_FORMAT = 1


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/modeldeck`, else `~/.cache/modeldeck`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "modeldeck"


@dataclass(frozen=True)
class SavedList:
    """The body of a full `GET /api/models` as the server sent it, and its ETag."""

    etag: str | None
    saved_at: datetime
    document: dict[str, Any]

    @property
    def records(self) -> list[dict[str, Any]]:
        data = self.document.get("data")
        return data if isinstance(data, list) else []

    @property
    def revision(self) -> int:
        return int(self.document.get("revision") or 0)


class SnapshotFile:
    """One file per server and list (named by a hash of its URL), replaced atomically on every
    save: `models-<hash>.json` (the full model list), `aliases-<hash>.json` (the aliases)."""

    def __init__(
        self,
        cache_dir: Path,
        base_url: str,
        kind: str = "models",
        record_type: type[BaseModel] = Model,
    ) -> None:
        digest = hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:20]
        self.path = cache_dir / f"{kind}-{digest}.json"
        self.base_url = base_url
        self.kind = kind
        self.record_type = record_type

    def load(self) -> SavedList | None:
        """The saved list, or None when there is none or it cannot be read."""
        try:
            raw = self.path.read_bytes()
            stored = serialization.loads(raw)
            if not isinstance(stored, dict) or stored.get("format") != SNAPSHOT_FORMAT:
                return None
            document = stored["list"]
            if not isinstance(document, dict) or not isinstance(document.get("data"), list):
                return None
            saved = SavedList(
                etag=stored.get("etag"),
                saved_at=datetime.fromisoformat(str(stored["saved_at"]).replace("Z", "+00:00")),
                document=document,
            )
            # A file that parses but holds bad records must not crash a read later on.
            _ = saved.revision
            for record in saved.records:
                self.record_type.model_validate(record)
            return saved
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, etag: str | None, body: bytes) -> None:
        """Write `{format, base_url, etag, saved_at, list: <body>}`; failing only loses a cache."""
        header = serialization.dumps(
            {
                "format": SNAPSHOT_FORMAT,
                "base_url": self.base_url,
                "etag": etag,
                "saved_at": serialization.isoformat_z(clock.now()),
            }
        ).encode()
        content = header[:-1] + b',"list":' + body + b"}"
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=self.path.parent, prefix=f".{self.kind}-", suffix=".tmp"
            )
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(content)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _catalog_date(version: str) -> datetime | None:
    try:
        return datetime.fromisoformat(version).replace(tzinfo=UTC)
    except ValueError:
        return None


@cache
def catalog_records() -> tuple[dict[str, Any], ...]:
    """The built-in catalog as public records (DESIGN §2), as a fresh server would show it."""
    catalog = load_builtin()
    moment = _catalog_date(catalog.version)
    default = catalog.default_model.lower()
    records = []
    for model in catalog.models:
        record = model.model_dump(mode="python", exclude={"deployment": {"api_key"}})
        record["deployment"]["has_api_key"] = False
        if model.pricing is not None and record["pricing"]["effective_from"] is None:
            record["pricing"]["effective_from"] = moment
        record.update(
            id=str(uuid.uuid5(CATALOG_NAMESPACE, model.name.lower())),
            complexity_factor=complexity_factor(model.parameters_b),
            is_system=True,
            is_default=model.name.lower() == default,
            version=1,
            created_at=moment,
            updated_at=moment,
        )
        records.append(record)
    return tuple(records)
