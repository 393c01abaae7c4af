"""Load third-party objects (scorers, validators) named by a dotted path in a config.

Accepts ``package.module:name`` (preferred; ``name`` may be dotted, e.g. ``Class.method``) and
``package.module.name``. Every failure becomes one ``ConfigError`` naming the key and the fix.
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from typing import Any

from .errors import ConfigError

_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*(:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*)?$")
_FORMAT = "'package.module:name' (or 'package.module.name')"


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
        f"module '{module_name}' is not importable; install its package or put it on PYTHONPATH "
        f"(next to the config file also works for the proxy)",
        key=key,
        value=dotted,
    )


def _dependency_error(exc: ModuleNotFoundError, module_name: str, dotted: str, key: str) -> ConfigError:
    return ConfigError(
        f"module '{module_name}' needs '{exc.name}', which is not installed; pip install it",
        key=key,
        value=dotted,
    )
