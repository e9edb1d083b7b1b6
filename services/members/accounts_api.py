"""HTTP routes: Accounts: password login, access and refresh tokens, logout, password reset, throttling."""
from flask_smorest import Blueprint

blp = Blueprint("members_accounts", __name__, url_prefix="/api/v1/members/auth", description="Accounts: password login, access and refresh tokens, logout, password reset, throttling.")
