"""Precision, recall and F1, shared by the pair and attribution scorers (0.0 where undefined)."""

from __future__ import annotations


def precision(true_positives: int, false_positives: int) -> float:
    found = true_positives + false_positives
    return true_positives / found if found else 0.0


def recall(true_positives: int, false_negatives: int) -> float:
    expected = true_positives + false_negatives
    return true_positives / expected if expected else 0.0


def f1(precision_value: float, recall_value: float) -> float:
    total = precision_value + recall_value
    return 2 * precision_value * recall_value / total if total else 0.0
