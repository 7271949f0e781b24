"""What `modeldeck serve` does before it listens: migrate, seed, make sure an admin can sign in."""

from __future__ import annotations

from dataclasses import dataclass, field

from modeldeck import migrate
from modeldeck.auth import sessions, tokens
from modeldeck.catalog.seed import SEED_ACTOR, seed_catalog
from modeldeck.crypto import KeyVault
from modeldeck.db import Database
from modeldeck.models.service import WriteContext
from modeldeck.settings import Settings

FIRST_ADMIN_NAME = "first-admin"


@dataclass
class Prepared:
    seeded: list[str] = field(default_factory=list)
    new_admin_token: str | None = None
    # A one-time code for the console login link printed beside the new token.
    login_code: str | None = None


async def prepare(settings: Settings, database: Database) -> Prepared:
    """Bring the database to head, seed the catalog once, and ensure an admin token exists."""
    prepared = Prepared()
    await migrate.bring_to_head(database)
    vault = KeyVault(settings.secret_key.get_secret_value() if settings.secret_key else None)
    async with database.write() as session:
        prepared.seeded = await seed_catalog(session, WriteContext(actor=SEED_ACTOR, vault=vault))
    async with database.write() as session:
        if settings.admin_token is not None:
            await tokens.ensure_environment_token(session, settings.admin_token.get_secret_value())
        elif not await tokens.has_admin(session):
            prepared.new_admin_token = await tokens.create_token(
                session, name=FIRST_ADMIN_NAME, role="admin"
            )
            admin = await tokens.find_token(session, prepared.new_admin_token)
            assert admin is not None
            prepared.login_code = await sessions.create_login_code(session, admin)
    return prepared
