"""The log_feedback flow: AI feedback on a reflection log, with human review of risky logs."""

from asoto.graphs.log_feedback.graph import builder

__all__ = ["builder"]
