"""Reaching a model's deployment from the server: `POST /api/models/{ref}/test`."""
