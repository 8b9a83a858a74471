"""The labelling page itself, as a Flask blueprint: ``GET /``, ``GET /healthz`` and the static files.

The page (``templates/index.html``) carries no sentence: its script (``static/label.js``)
fetches pairs from the API and sets them with ``textContent``, never as HTML.
"""

from __future__ import annotations

from pathlib import Path

from rcsim_env.labelling.flask_imports import (
    Blueprint,
    Response,
    g,
    make_response,
    redirect,
    render_template,
    request,
)
from rcsim_env.labelling.guidelines import STS_GUIDELINES
from rcsim_env.labelling.security import PageSecurity

PACKAGE_DIR = Path(__file__).resolve().parent
BLUEPRINT_NAME = "pages"
# Endpoints anyone may reach without the host, token and session checks.
OPEN_ENDPOINTS = (f"{BLUEPRINT_NAME}.static", f"{BLUEPRINT_NAME}.healthz")


def create_pages(security: PageSecurity, title: str, live: bool) -> Blueprint:
    """The blueprint of the page, the health check and ``/static/...``.

    Args:
        security: opens the visitor's session (the app must :meth:`~PageSecurity.install` it).
        title: the page title.
        live: a human oracle is attached (the page waits for the agent's pairs).

    Returns:
        A new blueprint named ``pages`` (one per app); its :data:`OPEN_ENDPOINTS` skip the checks.
    """
    pages = Blueprint(
        BLUEPRINT_NAME,
        __name__,
        static_folder=str(PACKAGE_DIR / "static"),
        static_url_path="/static",
        template_folder=str(PACKAGE_DIR / "templates"),
    )

    @pages.get("/healthz")
    def healthz():
        return Response("ok\n", mimetype="text/plain")

    @pages.get("/")
    def index():
        session = security.open_session(g.visit)
        if security.token is not None and "token" in request.args:
            response = redirect("/", code=303)  # drop the token from the address bar and history
            response.headers["Cache-Control"] = "no-store"
            return response
        page = render_template(
            "index.html",
            title=title,
            csrf_token=session.csrf_token,
            guidelines=STS_GUIDELINES,
            live=live,
        )
        return make_response(page)

    return pages
