"""Judging a protection: metrics, per-region verdicts, the attacker suite and the report schema."""
