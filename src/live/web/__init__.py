"""Runbook entry point package: `uvicorn src.live.web.app:app`."""
