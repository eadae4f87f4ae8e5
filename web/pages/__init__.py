"""The console's pages: each module here exposes ``routes()``, and all are served.

A new page is a new module (and its templates under ``templates/web/``); nothing else needs
to change. Modules are loaded in name order; routes must not overlap.
"""

import importlib
import pkgutil

from aiohttp import web


def routes() -> list[web.RouteDef]:
    found: list[web.RouteDef] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        page = importlib.import_module(f"{__name__}.{module.name}")
        found.extend(page.routes())
    return found
