"""Provider API keys at rest: Fernet with one or more keys, so keys can be rotated."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet


class KeyVaultError(Exception):
    pass


class KeyVault:
    """Encrypts with the first of `MODELDECK_SECRET_KEY`'s keys and decrypts with any of them."""

    def __init__(self, secret_keys: str | None) -> None:
        keys = [key.strip() for key in (secret_keys or "").split(",") if key.strip()]
        self._fernet: MultiFernet | None = None
        if not keys:
            return
        from cryptography.fernet import Fernet, MultiFernet  # only when keys are configured

        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except ValueError:
            raise KeyVaultError(
                "MODELDECK_SECRET_KEY must hold Fernet keys (32 url-safe base64 bytes), "
                "comma-separated; make one with `modeldeck secrets generate-key`"
            ) from None

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    def encrypt(self, plaintext: str) -> str:
        if self._fernet is None:
            raise KeyVaultError("storing an API key needs MODELDECK_SECRET_KEY to be set")
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        if self._fernet is None:
            raise KeyVaultError("reading a stored API key needs MODELDECK_SECRET_KEY")
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise KeyVaultError("no key in MODELDECK_SECRET_KEY decrypts this API key") from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt with the first (newest) key."""
        if self._fernet is None:
            raise KeyVaultError("rotating needs MODELDECK_SECRET_KEY")
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise KeyVaultError("no key in MODELDECK_SECRET_KEY decrypts this API key") from None

    @staticmethod
    def generate_key() -> str:
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()
