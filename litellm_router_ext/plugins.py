"""Load third-party objects (scorers, validators) named by a dotted path in a config.

Accepts ``package.module:name`` (preferred; ``name`` may be dotted, e.g. ``Class.method``) and
``package.module.name``. Every failure becomes one ``ConfigError`` naming the key and the fix. A module may also sit
beside the config file that names it, as the LiteLLM proxy finds it: whoever builds a config's scorers and
validators from a file does so inside ``importable_beside(file)``.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import ConfigError

_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*(:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*)?$")
_FORMAT = "'package.module:name' (or 'package.module.name')"


@contextlib.contextmanager
def importable_beside(config: str | Path | None) -> Iterator[None]:
    """Modules in the folder of the config file at ``config`` (and in the working directory) are importable while
    this lasts, as the proxy and ``check`` find them; then ``sys.path`` is as it was (the modules imported stay
    loaded). ``None``, a config given as an object: nothing is added."""
    folders = [] if config is None else [str(Path(config).resolve().parent), str(Path.cwd())]
    added = [f for f in dict.fromkeys(folders) if f not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for folder in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(folder)


def load_object(dotted: str, *, key: str) -> Any:
    """Import ``dotted`` and return the object it names; ``ConfigError`` (naming ``key``) when it cannot.

    Typed ``Any``: what a user's path names is only known to the caller, which checks it.
    """
    if not isinstance(dotted, str) or not _PATH.match(dotted.strip()):
        raise ConfigError(f"not an importable path; write it as {_FORMAT}", key=key, value=dotted)
    dotted = dotted.strip()
    if ":" in dotted:
        module_name, _, attr_path = dotted.partition(":")
        module = _import(module_name, dotted, key)
        if module is None:
            raise _not_found(module_name, dotted, key)
    else:
        parts = dotted.split(".")
        if len(parts) < 2:
            raise ConfigError(
                f"a bare module name names no object; write it as {_FORMAT}", key=key, value=dotted
            )
        module = None
        # The longest importable prefix is the module; the rest are attributes.
        for cut in range(len(parts) - 1, 0, -1):
            module_name, attr_path = ".".join(parts[:cut]), ".".join(parts[cut:])
            module = _import(module_name, dotted, key)
            if module is not None:
                break
        if module is None:
            raise _not_found(parts[0], dotted, key)
    obj: Any = module
    walked = module_name
    for attr in attr_path.split("."):
        if not hasattr(obj, attr):
            public = sorted(n for n in dir(obj) if not n.startswith("_"))[:12]
            raise ConfigError(
                f"'{walked}' has no attribute '{attr}'", key=key, value=dotted, allowed=public or None
            )
        obj = getattr(obj, attr)
        walked += f".{attr}"
    return obj


def _import(module_name: str, dotted: str, key: str) -> ModuleType | None:
    """The module, or ``None`` when that module itself does not exist."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None
        raise _dependency_error(exc, module_name, dotted, key) from None
    except Exception as exc:  # the user's module failed while importing
        raise ConfigError(
            f"importing '{module_name}' raised {type(exc).__name__}: {exc}; fix that module",
            key=key,
            value=dotted,
        ) from None


def _not_found(module_name: str, dotted: str, key: str) -> ConfigError:
    return ConfigError(
        f"module '{module_name}' is not importable; install its package, put it on PYTHONPATH, or put it next to "
        f"the config file",
        key=key,
        value=dotted,
    )


def _dependency_error(exc: ModuleNotFoundError, module_name: str, dotted: str, key: str) -> ConfigError:
    return ConfigError(
        f"module '{module_name}' needs '{exc.name}', which is not installed; pip install it",
        key=key,
        value=dotted,
    )
