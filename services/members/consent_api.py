"""HTTP routes: The consent ledger: consent per channel and category, with its history."""
from flask_smorest import Blueprint

blp = Blueprint("members_consent", __name__, url_prefix="/api/v1/members", description="The consent ledger: consent per channel and category, with its history.")
