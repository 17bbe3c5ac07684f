"""The check: each person on a letter against the lists its kind of query consults."""

from pipeline.checking.check import check_people, outcome_from_json, outcome_to_json

__all__ = ["check_people", "outcome_from_json", "outcome_to_json"]
