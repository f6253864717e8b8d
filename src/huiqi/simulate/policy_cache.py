"""Policies for the simulation CLI from a pickled, hash-keyed cache: 0.55 s of YAML parsing and checks
become a pickle load, per process, for an unchanged policy directory.

The key is the SHA-256 of every file under the policy directory (names and bytes) and of the rule
model's and loader's own source (``huiqi/rules/*.py``): an edited policy, vocabulary, source text or
loader is a new key. Kept next to the SQL cache (``HUIQI_SQL_CACHE``; ``off`` disables both). A
cache that cannot be read or written is ignored (the policies are loaded as usual).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from huiqi.rules import model as M


def _key(directory: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in directory.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(f.relative_to(directory)).encode("utf-8") + b"\0")
        h.update(f.read_bytes() + b"\0")
    rules = Path(M.__file__).parent
    for f in sorted(rules.glob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:32]


def load_cached(directory: str | Path | None = None) -> M.PolicySet:
    from huiqi.rules import load_policies
    from huiqi.rules.loader import DEFAULT_POLICY_DIR

    from huiqi.simulate.watched import cache_root

    root = cache_root()
    d = Path(directory) if directory else DEFAULT_POLICY_DIR
    if root is None or not d.is_dir():
        return load_policies(directory)
    path = root / f"policies-{_key(d)}.pickle"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    ps = load_policies(directory)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(ps, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass
    return ps
