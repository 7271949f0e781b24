"""The web console (DESIGN §9): server-rendered pages over the same services as the API."""
