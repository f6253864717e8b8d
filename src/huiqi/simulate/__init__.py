"""Population-scale simulation: the engine's rules compiled to ibis, run over a whole population.

``compile`` turns the loaded policy model into ibis expressions (DuckDB by default, PySpark when
one machine is not enough); ``population`` generates and checks population tables; ``run``
executes and summarises (over a Parquet file or a ``resident`` population loaded once into
DuckDB); ``reform`` changes parameters or expressions of the loaded model;
``charts`` draws the budget. See docs/simulation.md.

Arrows point one way: ``huiqi.simulate`` imports ``huiqi.rules``, never the reverse.
"""
