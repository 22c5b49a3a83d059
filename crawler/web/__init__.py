"""The web face: the HTTP API (``api``), Atom feeds (``feeds``), the UI pages (``pages``), all
in one FastAPI app (``app.create_app``) behind API tokens (``auth``), served by uvicorn
(``server``). Like the CLI, nothing else imports it (``crawler.cli`` passes the service a web
companion)."""
