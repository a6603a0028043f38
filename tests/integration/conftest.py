"""Fixtures shared by integration modules."""

from __future__ import annotations

import pytest

from tests.integration.activation_world import build_activation_world


@pytest.fixture(scope="session")
def activation_world(tmp_path_factory) -> dict:
    """The activation world (tests/integration/activation_world.py), built once per session."""
    return build_activation_world(tmp_path_factory.mktemp("activation_world"))
