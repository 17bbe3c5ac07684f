"""The clerks' web console: server-rendered pages in Chinese over the case core.

The web layer calls the case core (pipeline.cases) and its queries only; it
never writes a state itself. Modules: app (the factory, security headers, the
secret key), auth (sign-in, sessions), errors (the error tree as Chinese pages
or JSON), queue (cases waiting for a person), case (one case and its actions).
"""

from pipeline.web.app import create_app

__all__ = ["create_app"]
