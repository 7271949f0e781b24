"""The HTTP layer: routers, request plumbing, answers and the OpenAPI document.

Everything here sits on top of the registry's packages (models, pricing, changes, audit,
auth, catalog, deployments) and nothing below imports it; `modeldeck.app` assembles it.
"""
