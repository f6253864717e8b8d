"""The settings of the web app are the program's settings: :mod:`huiqi.config` (kept importable here)."""

from huiqi.config import Settings, get_settings, set_settings

__all__ = ["Settings", "get_settings", "set_settings"]
