"""huiqi 惠企 — subsidy policies as executable rules."""

__version__ = "0.1.0"
