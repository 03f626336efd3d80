"""Runbook entry point package: `uvicorn src.webui.app:app`."""
