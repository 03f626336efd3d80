"""Runbook entry point package: `uvicorn src.live.web.app:app` (Peak_Trade's 10d Option 2)."""
