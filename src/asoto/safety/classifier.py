"""The trained risk classifier, as shipped: a JSON model read into numpy, no pickle.

It scores the whole text and each of its sentences and keeps the highest risk, so one risky
sentence buried in an ordinary log is not diluted by the rest. The model file is written by
``asoto.safety.train`` (``python -m asoto.safety.train``), byte-for-byte the same from the same
dataset; its threshold was chosen on cross-validation of the training split for recall.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from asoto.safety.features import TfidfTable, encoder_text, lexicon_matrix
from asoto.safety.normalize import sentences

MODEL_PATH = Path(__file__).resolve().parent / "model" / "risk_model.json.gz"
MAX_WINDOWS = 200


class SentenceEncoder(Protocol):
    dim: int

    def embed_sync(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Verdict:
    probability: float  # the highest risk over the text and its sentences
    window: str  # where it was found
    categories: dict[str, float]  # category probabilities of that window


def windows(text: str) -> list[str]:
    """The whole text, then each sentence: what the classifier scores. (Pairs of neighbouring
    sentences were tried: +0.002 cross-validated recall for 1.5× the latency; left out.)"""
    return list(dict.fromkeys([text.strip(), *sentences(text, limit=MAX_WINDOWS)]))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


class RiskClassifier:
    def __init__(self, model: dict[str, Any], encoder: SentenceEncoder) -> None:
        self.version: str = model["version"]
        self.threshold: float = model["threshold"]
        self.encoder_weight: float = model["encoder_weight"]
        self.tables = [
            TfidfTable(t["analyzer"], {term: i for i, term in enumerate(t["terms"])}, np.asarray(t["idf"]))
            for t in model["tables"]
        ]
        self._coef = np.asarray(model["binary"]["coef"], dtype=np.float64)
        self._intercept = float(model["binary"]["intercept"])
        self._cat_coef = np.asarray(model["categories"]["coef"], dtype=np.float64)
        self._cat_intercept = np.asarray(model["categories"]["intercept"], dtype=np.float64)
        self._cat_names: list[str] = model["categories"]["names"]
        self._encoder = encoder
        if encoder.dim != model["encoder_dim"]:
            raise ValueError(f"the risk model needs a {model['encoder_dim']}-d sentence encoder")

    @classmethod
    def load(cls, encoder: SentenceEncoder, path: Path = MODEL_PATH) -> RiskClassifier:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return cls(json.load(handle), encoder)

    def _dense(self, texts: list[str]) -> np.ndarray:
        encoded = np.asarray(self._encoder.embed_sync([encoder_text(t) for t in texts]), dtype=np.float64)
        return np.hstack([encoded * self.encoder_weight, lexicon_matrix(texts)])

    def score_sync(self, text: str) -> Verdict:
        parts = windows(text)
        dense = self._dense(parts)
        logits = np.full(len(parts), self._intercept)
        offset = 0
        for table in self.tables:
            coef = self._coef[offset : offset + len(table.idf)]
            for i, (cols, vals) in enumerate(table.rows(parts)):
                logits[i] += float(vals @ coef[cols])
            offset += len(table.idf)
        logits += dense @ self._coef[offset:]
        probs = _sigmoid(logits)
        top = int(np.argmax(probs))
        cats = _softmax(dense[top] @ self._cat_coef.T + self._cat_intercept)
        return Verdict(
            probability=float(probs[top]),
            window=parts[top],
            categories={name: float(p) for name, p in zip(self._cat_names, cats, strict=True)},
        )

    async def score(self, text: str) -> Verdict:
        return await asyncio.to_thread(self.score_sync, text)
