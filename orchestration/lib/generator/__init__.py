"""Synthetic, deterministic inbox generator that writes exactly docs/input_contract.md, dirt
included, plus the ground truth under <out>/_truth. Entry points: generate() and the CLI
(python -m orchestration.lib.generator)."""

from __future__ import annotations

from .core import GenerationReport, generate

__all__ = ["GenerationReport", "generate"]
