"""The subsidy lifecycle on a database: rounds → applications → reviews → notice → decisions → payments.

One package per domain, each with ``models.py`` (SQLAlchemy tables) and ``service.py``
(functions with keyword-only arguments). ``states.py`` holds the state machines as data;
``errors.py`` the bilingual errors every service raises. See ``docs/workflow.md``.
"""
