"""peakwatch: a watch-only operator dashboard for AI-driven trading runners."""

__version__ = "0.1.0"
