"""The retrain script reproduces the shipped risk model byte for byte from the dataset."""

from __future__ import annotations

import hashlib

from asoto.safety import train
from asoto.safety.classifier import MODEL_PATH


def test_retrain_reproduces_the_shipped_model() -> None:
    retrained = train.train()
    assert hashlib.sha256(retrained).hexdigest() == hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()
