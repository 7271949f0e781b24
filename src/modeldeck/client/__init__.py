"""The Python client: `Registry`, `AsyncRegistry` and `ClientPool` (DESIGN §7)."""
