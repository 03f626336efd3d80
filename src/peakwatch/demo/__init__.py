"""`peakwatch demo`: a simulated AI paper-trading runner built on the producer SDK."""

from peakwatch.demo.runner import main, run_demo

__all__ = ["main", "run_demo"]
