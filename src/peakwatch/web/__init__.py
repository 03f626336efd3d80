"""The web layer: FastAPI app, guards, JSON API, pages and the live stream."""

from peakwatch.web.app import create_app

__all__ = ["create_app"]
