"""HTTP routes: GDPR: a member's data export and erasure."""
from flask_smorest import Blueprint

blp = Blueprint("members_privacy", __name__, url_prefix="/api/v1/members", description="GDPR: a member's data export and erasure.")
