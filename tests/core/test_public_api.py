"""The public API is exactly ``__all__``: adding or removing a name is a deliberate, reviewed change."""

from __future__ import annotations

import subprocess
import sys

import litellm_router_ext

EXPECTED = {
    "AllTiersFailedError", "ArtifactError", "Attempt", "CascadeConfig", "ConfigError", "DatasetError", "Decision",
    "RequestError", "RequestView", "RouterConfig", "RouterExtError", "RouterFile", "ScorerConfig", "TierConfig",
    "TierPolicy", "TierProfile", "UnknownRouterError", "Verdict", "__version__", "decision_of", "install",
    "load_config", "uninstall",
}


def test_all_is_the_public_api() -> None:
    assert set(litellm_router_ext.__all__) == EXPECTED
    for name in EXPECTED:
        assert hasattr(litellm_router_ext, name), name


def test_errors_share_one_base_and_config_errors_are_value_errors() -> None:
    from litellm_router_ext import errors

    for name in ("ConfigError", "DatasetError", "ArtifactError", "RequestError", "UnknownRouterError",
                 "AllTiersFailedError"):
        assert issubclass(getattr(errors, name), errors.RouterExtError)
    assert issubclass(errors.ConfigError, ValueError)


def test_importing_the_package_does_not_import_litellm() -> None:
    code = "import sys, litellm_router_ext; print('litellm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
