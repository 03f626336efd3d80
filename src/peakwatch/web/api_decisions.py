"""The decisions API: a run's decisions and their traces, scorecards and trades, as JSON."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api")
