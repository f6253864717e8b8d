"""The JSON API (``/api/v1``): FastAPI routers per domain over the rules engine and the workflow services.

``create_app`` in :mod:`huiqi.api.app` builds the whole web application (API and pages).
"""

from huiqi.api.app import create_app
from huiqi.api.settings import Settings

__all__ = ["Settings", "create_app"]
