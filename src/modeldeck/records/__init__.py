"""Public model records as the server and the client both read them: pure, no server imports.

`import modeldeck.client` loads this package, never FastAPI, SQLAlchemy or a database driver.
"""
