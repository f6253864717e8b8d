"""Every workflow table, imported so that ``Base.metadata`` (and Alembic) sees them all."""

from huiqi.audit import AuditEntry, AuditHead
from huiqi.workflow.applications.models import Application
from huiqi.workflow.awards.models import Award, AwardExtension
from huiqi.workflow.changes.models import ChangeRequest, ProgressReport, Revocation
from huiqi.workflow.credit.models import CreditOverride, CreditRecord
from huiqi.workflow.decisions.models import CapCharge, CapLedger, Decision
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.imports.models import ImportRun
from huiqi.workflow.matching.models import MatchResult
from huiqi.workflow.materials.models import MaterialFile
from huiqi.workflow.notices.models import NoticeBatch, Objection
from huiqi.workflow.notifications.models import Deadline, DispatchCursor, Notification, NotificationPref
from huiqi.workflow.records.models import EnterpriseFact
from huiqi.workflow.payments.models import Instalment, Payment, PaymentBatch, PaymentBatchItem, Receivable
from huiqi.workflow.reviews.models import ExpertAssignment, ReviewOpinion
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import ExpertTie, LoginFailure, User, UserSession

__all__ = [
    "Application", "AuditEntry", "AuditHead", "Award", "AwardExtension", "CapCharge", "CapLedger", "ChangeRequest", "CreditOverride", "CreditRecord", "Decision", "Enterprise",
    "ExpertAssignment", "ExpertTie", "ImportRun", "Instalment", "MaterialFile", "NoticeBatch", "Objection", "Payment",
    "PaymentBatch", "PaymentBatchItem", "ProgressReport", "Receivable", "Revocation", "ReviewOpinion", "Round", "User",
    "EnterpriseFact", "MatchResult", "Notification", "NotificationPref", "Deadline", "DispatchCursor",
    "LoginFailure", "UserSession",
]
