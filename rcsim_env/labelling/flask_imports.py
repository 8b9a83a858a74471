"""The one place the labelling page imports Flask and werkzeug; without them it raises FlaskNotInstalledError.

The page's modules (:mod:`~rcsim_env.labelling.api`, :mod:`~rcsim_env.labelling.pages`,
:mod:`~rcsim_env.labelling.server`) take their Flask names from here, so importing any
of them without the ``rcsim[label]`` extra says what to install instead of showing a
bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

from rcsim_env.labelling.needs_flask import flask_not_installed, is_flask_module

try:
    from flask import (
        Blueprint,
        Flask,
        Response,
        g,
        jsonify,
        make_response,
        redirect,
        render_template,
        request,
    )
    from werkzeug.exceptions import HTTPException
    from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
except ModuleNotFoundError as missing:
    if not is_flask_module(missing.name):
        raise
    raise flask_not_installed(missing) from missing

__all__ = [
    "BaseWSGIServer",
    "Blueprint",
    "Flask",
    "HTTPException",
    "Response",
    "WSGIRequestHandler",
    "g",
    "jsonify",
    "make_response",
    "make_server",
    "redirect",
    "render_template",
    "request",
]
