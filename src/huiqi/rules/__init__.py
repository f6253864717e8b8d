"""The rules engine: policy files as data, a safe expression language, three-valued evaluation.

Nothing here imports the workflow, storage or web packages.
"""

from huiqi.rules.engine import STATUSES, MatchReport, Result, evaluate
from huiqi.rules.errors import InputError, PolicyError, Problem, ProfileError
from huiqi.rules.loader import DEFAULT_POLICY_DIR, load_policies
from huiqi.rules.model import PolicySet
from huiqi.rules.profile import Profile, parse_profile, read_profile_file

__all__ = [
    "DEFAULT_POLICY_DIR",
    "InputError",
    "MatchReport",
    "PolicyError",
    "PolicySet",
    "Problem",
    "Profile",
    "ProfileError",
    "Result",
    "STATUSES",
    "evaluate",
    "load_policies",
    "parse_profile",
    "read_profile_file",
]
