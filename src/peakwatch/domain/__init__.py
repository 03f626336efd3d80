"""What the operator sees, derived from sources: pure functions of records and `as_of`."""
