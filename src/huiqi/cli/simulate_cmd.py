"""``huiqi simulate``: generate a synthetic population; run every programme over it (DuckDB or Spark)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Population-scale simulation / 政策测算（全量企业模拟）", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@app.command("generate")
def generate(
    n: int = typer.Option(..., "--n", help="number of enterprises / 企业数"),
    out: Path = typer.Option(..., "--out", help="Parquet file to write"),
    seed: int = typer.Option(0, "--seed", help="random seed (same seed → same population)"),
    policies: Optional[Path] = typer.Option(None, "--policies", "-p", envvar="HUIQI_POLICY_DIR"),
) -> None:
    """Write a synthetic, reproducible population (docs/simulation.md lists the distributions)."""
    from huiqi.rules import load_policies
    from huiqi.simulate.population import write_population

    if n <= 0:
        err.print("[bold red]错误 / error[/] --n: 应为正整数 / must be a positive number")
        raise typer.Exit(2)
    ps = load_policies(policies)
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("生成 / generating", total=n)
        rows = write_population(ps.vocabulary, n, out, seed=seed, progress=lambda done: bar.update(task, completed=done))
    err.print(f"✓ {n} 家企业 / enterprises, {rows} 行 / rows → {out}")


@app.command("cluster")
def cluster(
    population: Path = typer.Argument(..., help="population Parquet file"),
    out: Path = typer.Option(..., "--out", help="Parquet file to write"),
) -> None:
    """Rewrite a population file clustered by claim kind (as generate writes it): the same rows, read ~2× faster."""
    from huiqi.simulate.population import cluster_file

    rows = cluster_file(population, out)  # a bad file: InputError, reported by huiqi.cli.main.run (exit 2)
    err.print(f"✓ {rows} 行 / rows → {out}")


@app.command("load")
def load_cmd(
    population: Path = typer.Argument(..., help="population Parquet file"),
    out: Path = typer.Option(..., "--out", help="DuckDB database file to write (.duckdb)"),
    by: str = typer.Option("enterprise__registered_district", "--by", help="group-by column to keep"),
    policies: Optional[Path] = typer.Option(None, "--policies", "-p", envvar="HUIQI_POLICY_DIR"),
) -> None:
    """Load a population once into a DuckDB file (only the columns the rules read, enums as codes);
    `huiqi simulate run OUT.duckdb` then runs any date, subset or reform without decoding Parquet."""
    import time

    from huiqi.simulate import resident as RS
    from huiqi.simulate.policy_cache import load_cached

    if not RS.is_database(out):
        err.print("[bold red]错误 / error[/] --out: 应以 .duckdb 结尾 / must end in .duckdb")
        raise typer.Exit(2)
    from huiqi.simulate import run as R

    t0 = time.perf_counter()
    ps = load_cached(policies)
    res = RS.load(ps, population, database=out, by=[by] if by else [])
    err.print(f"✓ {res.enterprises} 家企业 / enterprises, {res.rows} 行 / rows, {len(res.schema)} 列 / columns → {out} ({time.perf_counter() - t0:.1f}s)")
    t0 = time.perf_counter()
    R.prepare_plan(ps, res, on=dt.date.today(), by=by or None)  # the SQL of later runs, built once now
    err.print(f"✓ SQL 已预编译 / SQL built for later runs ({time.perf_counter() - t0:.1f}s)")


@app.command("run")
def run_cmd(
    population: Path = typer.Argument(..., help="population Parquet file, or a .duckdb file from `huiqi simulate load`"),
    on: Optional[str] = typer.Option(None, "--on", help="evaluation date YYYY-MM-DD (default today)"),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (embedded) or spark (local mode here)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    reform: Optional[Path] = typer.Option(None, "--reform", help="reform YAML file (docs/simulation.md)"),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="programme.param=value or programme.path=expression"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the per-programme × district table (.parquet or .csv)"),
    chart: Optional[Path] = typer.Option(None, "--chart", help="write an SVG chart of the budget by programme"),
    by: str = typer.Option("enterprise__registered_district", "--by", help="group-by column"),
    batch: Optional[int] = typer.Option(None, "--batch", help="enterprises per batch (bounds memory; default: all at once)"),
    programme: Optional[list[str]] = typer.Option(None, "--programme", help="only these programme ids"),
    policies: Optional[Path] = typer.Option(None, "--policies", "-p", envvar="HUIQI_POLICY_DIR"),
) -> None:
    """Per programme: eligible and needs-info counts, total ceiling, total after caps; per district."""
    from rich.progress import Progress

    from huiqi.simulate import reform as RF
    from huiqi.simulate import scenario as S
    from huiqi.simulate.policy_cache import load_cached

    day = S.parse_date(on)  # a bad date, engine, programme or change: InputError, exit 2 (huiqi.cli.main.run)
    base = load_cached(policies)  # a pickle keyed by the policy files' hash: ~0.1 s instead of parsing
    changes = RF.read_changes(reform, set_ or [])
    with Progress(console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def tick(name: str, i: int, n: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(f"{name} ({engine})", total=None)
            bar.update(tasks[name], completed=i, total=n)

        outcome = S.simulate(
            base, population, on=day, engine=engine, by=by, batch=batch, programmes=programme, changes=changes,
            progress=tick,
        )
    from huiqi.cli.main import exit_at_once

    if engine == "duckdb":  # read-only, its files closed when written; Spark's JVM is shut down as usual
        exit_at_once()
    summaries = {"baseline": outcome.baseline}
    if outcome.reform is not None:
        summaries["reform"] = outcome.reform
    rows = outcome.comparison
    if out:
        _write_table(summaries, out)
    if chart:
        from huiqi.simulate.charts import budget_svg

        if "reform" in summaries:
            budget_svg(rows, chart, series=("baseline_after_caps", "reform_after_caps"), labels=("基线 baseline", "改革 reform"))
        else:
            budget_svg([{"programme": r["programme"], "after_caps": r["baseline_after_caps"]} for r in rows], chart)
    if as_json:
        data = {"baseline": summaries["baseline"].to_dict(), "comparison": [{k: str(v) if not isinstance(v, (int, str)) or isinstance(v, bool) else v for k, v in r.items()} for r in rows]}
        if "reform" in summaries:
            data["reform"] = summaries["reform"].to_dict()
            data["changes"] = [c.describe() for c in changes]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    s = summaries["baseline"]
    t = Table(title=f"{population} — {s.enterprises} 家企业 / enterprises, {s.rows} 行 / rows, {day}, {engine}, {s.seconds:.2f}s")
    cols = ["programme", "eligible", "needs_info", "ceiling", "after_caps"]
    if "reform" in summaries:
        cols = ["programme", "eligible", "reform_eligible", "baseline_after_caps", "reform_after_caps", "difference"]
    for c in cols:
        t.add_column(c, justify="left" if c == "programme" else "right")
    for r in rows:
        t.add_row(*[str(r.get(c if c != "ceiling" else "baseline_ceiling", r.get("baseline_" + c, ""))) for c in cols])
    console.print(t)


def _write_table(summaries: dict, out: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    tables = []
    for name, s in summaries.items():
        tables.append(s.table.append_column("scenario", pa.array([name] * s.table.num_rows, pa.string())))
    table = pa.concat_tables(tables)
    if out.suffix.lower() == ".csv":
        pcsv.write_csv(table, str(out))
    else:
        pq.write_table(table, str(out))
