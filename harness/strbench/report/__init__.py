"""Reporting: the terminal summary of a record, leaderboards, re-scoring and plots."""
