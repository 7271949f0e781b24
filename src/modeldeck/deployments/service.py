"""Test a deployment from the server: its stored key decrypted here, never shown or logged."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from modeldeck.crypto import KeyVault, KeyVaultError
from modeldeck.db import Database
from modeldeck.models import repository

# Seconds a test may take at most, whatever the model's own timeouts say.
TIMEOUT_CAP_S = 20.0
# The server's own settings (its secret key, admin token, database URL) are never a provider key.
SERVER_SETTINGS_PREFIX = "MODELDECK_"


def provider_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables a record's `api_key_env` may name here: all but the server's settings."""
    return {
        name: value
        for name, value in environ.items()
        if not name.upper().startswith(SERVER_SETTINGS_PREFIX)
    }


async def stored_key(database: Database, vault: KeyVault, model_id: str) -> str | None:
    """The model's stored API key in plain text; None when it has none."""
    async with database.read() as session:
        row = await repository.get_by_ref(session, model_id)
    if row is None or row.api_key_ciphertext is None:
        return None
    return vault.decrypt(row.api_key_ciphertext)


async def check_deployment(
    record: Mapping[str, Any],
    database: Database,
    vault: KeyVault,
    *,
    environ: Mapping[str, str] = os.environ,
    timeout_cap: float = TIMEOUT_CAP_S,
) -> dict[str, Any]:
    """One tiny chat completion through a pool of this one record, with the server's keys."""
    # The client (and the openai SDK, about a second to import) loads on the first test,
    # not when the server starts.
    from modeldeck.client.pool import ClientPool
    from modeldeck.client.probe import Ping
    from modeldeck.client.schemas import Model

    model = Model.model_validate(record)
    try:
        key = await stored_key(database, vault, model.id) if model.deployment.has_api_key else None
    except KeyVaultError as error:  # its message names the setting, never the key
        failed = Ping(
            False,
            model.name,
            model.deployment_name,
            error=f"The stored API key cannot be read: {error}.",
            kind="missing_key",
        )
        return failed.as_dict()
    pool = ClientPool.from_models(
        [model], key_resolver=lambda _: key, environ=provider_environ(environ)
    )
    try:
        return (await pool.ping(model.name, timeout_cap=timeout_cap)).as_dict()
    finally:
        await pool.close()
