"""HTTP routes of the awards service (a skeleton: features arrive with their issues)."""
from shared.web.inputs import Blueprint

blp = Blueprint("awards", __name__, url_prefix="/api/v1/awards", description="Annual Alumni awards: cycles, nominations, scores and the engagement ledger.")
