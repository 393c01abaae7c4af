"""The ``learned`` scorer: a trained difficulty predictor (default: the artifact shipped in the package).

Config: ``{name: learned, params: {artifact: path/to/difficulty.npz}}`` (``load_config`` reads a relative path
from the config file's folder); without ``artifact`` it uses
``litellm_router_ext/data/learned/difficulty.npz``, trained on the RouteLLM GSM8K/MMLU/MT-Bench and
LLMRouter outcome sets, with LiteLLM's complexity heuristic blended in as a prior (``difficulty.manifest.json``
lists data, date, features, the prior and cross-validated APGR). Loading reads plain arrays only; scoring is
pure Python (about 85 microseconds median).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..learned.filecache import cached_by_file
from ..learned.model import DifficultyModel
from ..types import RequestView

DEFAULT_ARTIFACT = "difficulty.npz"


def default_artifact_path() -> Path:
    return Path(str(resources.files("litellm_router_ext") / "data" / "learned" / DEFAULT_ARTIFACT))


@cached_by_file(maxsize=8)
def _load(path: str) -> DifficultyModel:
    return DifficultyModel.load(path)


class LearnedScorer:
    """Difficulty = the predicted need for a stronger tier, as a quantile of the training prompts."""

    name = "learned"

    def __init__(self, artifact: str | Path | None = None) -> None:
        path = Path(artifact).expanduser() if artifact is not None else default_artifact_path()
        self.artifact = path
        self.model = _load(str(path.resolve()))

    @property
    def manifest(self) -> dict[str, object]:
        return self.model.manifest

    def score(self, request: RequestView) -> float:
        return self.model.score(request.text)

    def score_text(self, text: str) -> float:
        return self.model.score(text)
