"""The decision pages, server-rendered: a decision's trace, the scorecard, trades and run comparison."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
