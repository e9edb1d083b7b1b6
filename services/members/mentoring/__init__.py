"""Mentoring of the members service: verified alumni offer to mentor, students and new
graduates ask up to three of them in turn, a yes starts a mentorship whose meetings the pair
log, and the office sees how the programme goes. ``rules.py`` holds the rules (pure), so far:
the offer and the request, who may take part, the explainable score and recommendations, the
request cascade, meetings and feedback, capacity, and the office's figures (issue 14)."""
