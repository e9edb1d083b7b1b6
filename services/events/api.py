"""HTTP routes of the events service (a skeleton: features arrive with their issues)."""
from flask_smorest import Blueprint

blp = Blueprint("events", __name__, url_prefix="/api/v1/events", description="Events, registrations, waitlists, check-ins and reminders.")
