"""Test a deployment from the server: its stored key decrypted here, never shown or logged.

The one call the server makes out: it reaches only addresses the operator allows, reads only
the environment variables the operator allows, and every word it answers passes one scrubber.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from modeldeck.crypto import KeyVault, KeyVaultError
from modeldeck.db import Database
from modeldeck.deployments.policy import OutboundPolicy
from modeldeck.models import repository
from modeldeck.problems import FieldError, invalid

# Seconds a test may take at most, whatever the model's own timeouts say.
TIMEOUT_CAP_S = 20.0


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
    policy: OutboundPolicy,
    *,
    environ: Mapping[str, str] = os.environ,
    timeout_cap: float = TIMEOUT_CAP_S,
) -> dict[str, Any]:
    """One tiny chat completion through a pool of this one record, with the server's keys.

    Raises a 422 `Problem` when the key would come from a variable the policy does not allow.
    """
    # The client (and the openai SDK, about a second to import) loads on the first test,
    # not when the server starts.
    from modeldeck.api_keys import Scrubber
    from modeldeck.client.pool import ClientPool
    from modeldeck.client.probe import Ping
    from modeldeck.client.schemas import Model
    from modeldeck.deployments.transport import guarded_http_client

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
    variable = model.deployment.api_key_env
    if key is None and variable:
        refusal = policy.key_env_refusal(variable)
        if refusal is not None:
            raise invalid([FieldError("deployment.api_key_env", refusal)])
    allowed = policy.allowed_environ(environ)
    scrub = Scrubber([key, allowed.get(variable) if variable else None])
    pool = ClientPool.from_models(
        [model],
        key_resolver=lambda _: key,
        environ=allowed,
        http_client=guarded_http_client(policy),
    )
    try:
        ping = await pool.ping(model.name, timeout_cap=timeout_cap)
    finally:
        await pool.close()
    return scrub.answer(ping.as_dict())
