"""Readers that turn artifact bytes into records, at a cost bounded by what they return."""
