"""Ambassadors of the members service: verified alumni and students apply, the office appoints
them for a term with regions and languages, prospective students find the listed ones through
a public finder and ask them questions (confirmed by email first), the office assigns them
contacts with a reply target, they log their activities, and the office reads a report
(issue 15). ``rules.py`` holds the rules (pure); ``store.py`` all of their MongoDB access."""
