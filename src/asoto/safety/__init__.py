"""The safety gate: decides whether a text must reach a person before any AI answer is shown.

Three layers, any one of which holds a text (``docs/architecture.md``, "Risk gate"):
a lexicon floor (``lexicon``), a trained classifier (``classifier``, trained by ``train`` on
the dataset in ``asoto/evals/datasets/risk``), and, with a real provider, an LLM assessment
that may add reasons but never clear them and fails closed (``agents.risk_assessor``).
"""

from asoto.safety.categories import CATEGORIES, RISK_UNAVAILABLE
from asoto.safety.gate import RiskGate, RiskResult

__all__ = ["CATEGORIES", "RISK_UNAVAILABLE", "RiskGate", "RiskResult"]
