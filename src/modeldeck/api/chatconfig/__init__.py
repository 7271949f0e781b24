"""The chat-service contract of seed 004 (`/api/config/models`), mapped onto registry models."""
