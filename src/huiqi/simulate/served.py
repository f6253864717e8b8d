"""The populations a long-lived process (the web app) serves to the simulation page: the files of
``Settings.population`` (``HUIQI_POPULATION``), each made resident once — a Parquet file read into
DuckDB memory with ``resident.load``, a ``.duckdb`` file opened read-only with ``open_resident`` —
at its first use, then kept for the life of the process. Runs over one population take turns
(one DuckDB connection, whose temp tables a run creates and drops).

Importing this module is cheap: DuckDB, ibis and the compiler are imported at the first load.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

BY_COLUMNS = ("enterprise__registered_district", "enterprise__town")  # the page's groupings, kept when loaded


class PopulationUnavailable(Exception):
    """No population to run over (none configured, the file missing or unreadable): bilingual, shown
    on the page as a notice — not an input error of the user's."""

    def __init__(self, message_zh: str, message_en: str, field: str = "population") -> None:
        self.message_zh, self.message_en, self.field = message_zh, message_en, field
        super().__init__(f"{message_zh} / {message_en}")


@dataclass
class Served:
    """One configured population file and, once loaded, its resident population."""

    path: Path
    resident: Any = None  # resident.Resident
    policies: Any = None  # the policy set it was loaded for (a Parquet file: reloaded when they read more)
    loaded_at: float = 0.0
    load_seconds: float = 0.0
    loads: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_database(self) -> bool:
        return self.path.suffix.lower() in (".duckdb", ".db")


class Populations:
    """The configured populations by file name; each loaded lazily, once per process."""

    def __init__(self, paths: tuple[Path, ...] | list[Path] = ()) -> None:
        self._served = {Path(p).name: Served(Path(p)) for p in paths}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return list(self._served)

    def configured(self) -> bool:
        return bool(self._served)

    def entry(self, name: str | None = None) -> Served:
        """The population called ``name`` (the first configured one when None)."""
        if not self._served:
            raise PopulationUnavailable(
                "尚未配置测算用的企业人口数据：请设置 HUIQI_POPULATION（Parquet 文件，或 huiqi simulate load 写出的 "
                ".duckdb 文件）后重启服务",
                "no enterprise population is configured for simulations: set HUIQI_POPULATION (a Parquet file, or a "
                ".duckdb file written by huiqi simulate load) and restart the server",
            )
        if not name:
            return next(iter(self._served.values()))
        if name not in self._served:
            raise PopulationUnavailable(
                f"没有名为 {name} 的人口数据；可选：{'、'.join(self._served)}",
                f"no population called {name}; choose one of: {', '.join(self._served)}",
            )
        return self._served[name]

    def check(self, name: str | None = None) -> Served:
        """The entry, its file present (not loading it); else PopulationUnavailable."""
        served = self.entry(name)
        if served.resident is None and not served.path.exists():
            raise PopulationUnavailable(
                f"测算用的企业人口数据文件不存在：{served.path}（HUIQI_POPULATION）",
                f"the population file for simulations does not exist: {served.path} (HUIQI_POPULATION)",
            )
        return served

    def peek(self, name: str | None = None) -> Served | None:
        """The entry if configured, never loading it (for describing it on the page)."""
        try:
            return self.entry(name)
        except PopulationUnavailable:
            return None

    @contextmanager
    def use(self, policies: Any, name: str | None = None) -> Iterator[Served]:
        """The population, resident (loaded now if this is its first use), held for one run."""
        served = self.entry(name)
        with served.lock:
            self._ensure(served, policies)
            yield served

    def _ensure(self, served: Served, policies: Any) -> None:
        if served.resident is not None and (served.is_database or not self._reads_more(served, policies)):
            return
        self.check(served.name)
        from huiqi.rules.errors import InputError
        from huiqi.simulate import resident as RS

        t0 = time.perf_counter()
        try:
            if served.is_database:
                res = RS.open_resident(served.path)
            else:
                res = RS.load(policies, served.path, by=BY_COLUMNS)
        except InputError as exc:  # not a population file, a column missing or mistyped
            raise PopulationUnavailable(
                "企业人口数据无法载入：" + "；".join(p.message_zh for p in exc.problems),
                "the population cannot be loaded: " + "; ".join(p.message_en for p in exc.problems),
            ) from None
        except Exception as exc:  # noqa: BLE001 - an unreadable file: the page says so, never a 500
            raise PopulationUnavailable(
                f"企业人口数据无法读取：{served.path}（{type(exc).__name__}）",
                f"the population file cannot be read: {served.path} ({type(exc).__name__}: {exc})",
            ) from None
        if served.resident is not None:
            try:
                served.resident.con.con.close()
            except Exception:  # noqa: BLE001 - the old connection is dropped either way
                pass
        served.resident, served.policies = res, policies
        served.loads += 1
        served.loaded_at, served.load_seconds = time.time(), time.perf_counter() - t0

    @staticmethod
    def _reads_more(served: Served, policies: Any) -> bool:
        """Whether ``policies`` (a policy version published since the load) read a column the
        in-memory population was loaded without: then it is loaded again from its Parquet file."""
        if policies is served.policies:
            return False
        from huiqi.simulate import resident as RS
        from huiqi.simulate.population import population_schema

        try:
            wanted = RS.needed_columns(policies, population_schema(served.path), BY_COLUMNS)
        except Exception:  # noqa: BLE001 - the file went away: keep what is loaded
            return False
        served.policies = policies
        return bool(set(wanted) - set(served.resident.schema.names))
