"""docs/validators.md is the generated reference of every built-in validator and its params."""

from __future__ import annotations

from pathlib import Path

from litellm_router_ext.cascade import BUILTINS
from litellm_router_ext.cascade.reference import VALIDATORS, reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "validators.md"


def test_the_reference_covers_every_builtin_validator_and_param() -> None:
    assert list(VALIDATORS) == list(dict.fromkeys([*VALIDATORS, *BUILTINS]))  # no built-in left out
    text = reference()
    for name, (_, params) in VALIDATORS.items():
        assert f"## `{name}`" in text
        for field, info in params.model_fields.items():
            assert f"| `{info.alias or field}` |" in text


def test_docs_validators_md_is_the_generated_reference() -> None:
    # After changing a validator's params: python -m litellm_router_ext.cascade.reference > docs/validators.md
    assert DOC.read_text(encoding="utf-8") == reference()
