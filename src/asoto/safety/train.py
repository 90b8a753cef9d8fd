"""Trains the risk classifier from the dataset's training split, reproducibly.

``python -m asoto.safety.train`` reads ``train.jsonl`` only (never the frozen test split),
fits the model and writes ``asoto/safety/model/risk_model.json.gz``. Everything is
deterministic (fixed fold assignment, lbfgs, no shuffling, coefficients rounded, gzip without
a timestamp), so the same dataset gives the same bytes; a test retrains and compares.

How it learns:
- training units are the hand-written texts and their spelling variants, and each sentence of
  the ordinary and hard-negative ones as its own negative unit (the classifier scores
  sentences at run time). Buried texts and long ordinary logs are not trained on (see
  ``MIXED_VARIANTS``);
- one logistic regression (balanced classes) over character and word TF-IDF, the sentence
  encoder and the lexicon features decides risk; a second, over the dense features only,
  names the category;
- the threshold is chosen on 5-fold group cross-validation of the training split, scored
  the way the gate runs (lexicon floor OR classifier over the text and its sentences), for
  recall: the highest one whose out-of-fold recall reaches ``TARGET_RECALL``.

Needs scikit-learn (the ``dev`` extra); serving does not.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from asoto.safety import lexicon
from asoto.safety.classifier import MODEL_PATH
from asoto.safety.dataset import DATASET_DIR, Item, load
from asoto.safety.features import char_ngrams, encoder_text, lexicon_matrix, word_ngrams
from asoto.safety.normalize import sentences

# The threshold is chosen for recall ("when in doubt, hold"): the highest one whose cross-validated
# recall (floor OR classifier) reaches this. False positives are reported, not optimised.
TARGET_RECALL = 0.985
C_BINARY = 8.0
C_CATEGORY = 4.0
ENCODER_WEIGHT = 1.0
MIN_DF = 2
FOLDS = 5
DECIMALS = 4
# Variants that mix several source texts (a text buried in ordinary sentences, long ordinary logs)
# are scored, never trained on: their sentences are units already, and training on them would leak
# one fold's sentences into another's cross-validation.
MIXED_VARIANTS = ("buried", "long_log")


def training_units(items: list[Item]) -> tuple[list[str], list[int], list[str]]:
    texts, labels, categories = [], [], []
    for item in items:
        if item.variant in MIXED_VARIANTS:
            continue
        texts.append(item.text)
        labels.append(int(item.risky))
        categories.append(item.label)
        if not item.risky:
            for sentence in sentences(item.text):
                if sentence != item.text.strip():
                    texts.append(sentence)
                    labels.append(0)
                    categories.append("none")
    return texts, labels, categories


class _Encoder:
    """The offline sentence encoder with a cache: cross-validation encodes each text once."""

    def __init__(self) -> None:
        from asoto.agents.embeddings import OfflineEmbedder

        self._embedder = OfflineEmbedder(cache_size=0)
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        keys = [encoder_text(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if missing:
            vectors = self._embedder.embed_sync(missing)
            self._cache.update(zip(missing, np.asarray(vectors, dtype=np.float64), strict=True))
        return np.vstack([self._cache[k] for k in keys])


def _fit(texts: list[str], labels: list[int], categories: list[str], encode: _Encoder) -> dict[str, Any]:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizers = [
        ("char", TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=MIN_DF)),
        ("word", TfidfVectorizer(analyzer=word_ngrams, sublinear_tf=True, min_df=MIN_DF)),
    ]
    sparse = [v.fit_transform(texts) for _, v in vectorizers]
    dense = np.hstack([encode(texts) * ENCODER_WEIGHT, lexicon_matrix(texts)])
    features = hstack([*sparse, csr_matrix(dense)]).tocsr()
    binary = LogisticRegression(C=C_BINARY, class_weight="balanced", max_iter=10_000).fit(features, labels)
    risky = [i for i, label in enumerate(labels) if label]
    names = sorted({categories[i] for i in risky})
    category = LogisticRegression(C=C_CATEGORY, max_iter=10_000).fit(dense[risky], [categories[i] for i in risky])
    assert list(category.classes_) == names
    return {
        "tables": [
            {
                "analyzer": name,
                "terms": [t for t, _ in sorted(v.vocabulary_.items(), key=lambda kv: kv[1])],
                "idf": v.idf_,
            }
            for name, v in vectorizers
        ],
        "binary": {"coef": binary.coef_[0], "intercept": float(binary.intercept_[0])},
        "categories": {"names": names, "coef": category.coef_, "intercept": category.intercept_},
    }


def _rounded(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.round(value, DECIMALS).tolist()
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _scorer(fitted: dict[str, Any], encode: _Encoder) -> Any:
    from asoto.safety.classifier import RiskClassifier

    class Fixed:
        dim = 512

        @staticmethod
        def embed_sync(texts: list[str]) -> np.ndarray:
            return encode(texts)  # encode() cleans again: clean() is idempotent

    model = {"version": "cv", "threshold": 0.5, "encoder_weight": ENCODER_WEIGHT, "encoder_dim": 512}
    return RiskClassifier({**model, **_rounded(fitted)}, Fixed())


def choose_threshold(items: list[Item], encode: _Encoder) -> tuple[float, dict[str, float]]:
    """The highest threshold whose out-of-fold recall (floor OR classifier) reaches the target."""
    groups = sorted({i.group for i in items})
    fold_of = {g: n % FOLDS for n, g in enumerate(sorted(groups, key=lambda g: hashlib.sha256(g.encode()).digest()))}
    scores = np.zeros(len(items))
    for fold in range(FOLDS):
        train = [i for i in items if fold_of[i.group] != fold]
        scorer = _scorer(_fit(*training_units(train), encode), encode)
        for n, item in enumerate(items):
            if fold_of[item.group] == fold:
                scores[n] = scorer.score_sync(item.text).probability
    floor = np.array([bool(lexicon.floor_hits(i.text)) for i in items])
    risky = np.array([i.risky for i in items])
    kinds = np.array([i.kind for i in items])
    threshold = 0.0
    for candidate in sorted(set(np.round(scores[risky], DECIMALS)), reverse=True):
        held = floor | (scores >= candidate)
        if held[risky].mean() >= TARGET_RECALL:
            threshold = float(candidate)
            break
    held = floor | (scores >= threshold)
    report = {
        "cv_recall": float(held[risky].mean()),
        "cv_fp_everyday": float(held[kinds == "everyday"].mean()),
        "cv_fp_hard_negative": float(held[kinds == "hard_negative"].mean()),
    }
    return threshold, report


def train(dataset: Path = DATASET_DIR) -> bytes:
    items = load("train", dataset)
    encode = _Encoder()
    threshold, report = choose_threshold(items, encode)
    fitted = _fit(*training_units(items), encode)
    train_bytes = (dataset / "train.jsonl").read_bytes()
    model = {
        "version": "risk-" + hashlib.sha256(train_bytes).hexdigest()[:12],
        "trained_on": {"file": "train.jsonl", "sha256": hashlib.sha256(train_bytes).hexdigest(), "items": len(items)},
        "threshold": threshold,
        "target_recall": TARGET_RECALL,
        "cross_validation": report,
        "encoder": "offline:use-multilingual-v3",
        "encoder_dim": 512,
        "encoder_weight": ENCODER_WEIGHT,
        "lexicon_features": list(lexicon.FEATURE_NAMES),
        **fitted,
    }
    text = json.dumps(_rounded(model), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as handle:
        handle.write(text.encode("utf-8"))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    out = Path(args[0]) if args else MODEL_PATH
    started = time.perf_counter()
    data = train()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    model = json.loads(gzip.decompress(data))
    print(
        f"wrote {out} ({len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}) in "
        f"{time.perf_counter() - started:.0f} s; threshold {model['threshold']}; "
        f"cross-validation {model['cross_validation']}"
    )


if __name__ == "__main__":
    main()
