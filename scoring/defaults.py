"""The rule set a fresh install ships with (seeds 002 and 003). Marketing tunes it from here."""

# A customer's referral (followups.services.complete) is a warm start: someone who trusts us
# vouched for us. Shipped since issue 17; installs published before get it through migration
# leads/0014_referral_rule, as a new version of their own rules.
REFERRAL_RULE = {"key": "referral", "label": "Referred by a customer", "kind": "referral", "points": 40, "cap": 40}

DEFAULT_DEFINITION = {
    "rules": [
        {"key": "inbound_call", "label": "Called us with an inquiry", "kind": "call_inbound", "points": 50, "cap": 50},
        {"key": "web_form", "label": "Filled in a web form", "kind": "form", "points": 30, "cap": 40},
        {"key": "meeting", "label": "Met with us", "kind": "meeting", "points": 15, "cap": 30},
        {"key": "outbound_call", "label": "Took our call", "kind": "call_outbound", "points": 5, "cap": 10},
        {"key": "email_open", "label": "Opened an e-mail", "kind": "email_open", "points": 2, "cap": 10},
        {"key": "email_click", "label": "Clicked through an e-mail", "kind": "email_click", "points": 5, "cap": 15},
        {"key": "email_forward", "label": "Forwarded an e-mail", "kind": "email_forward", "points": 5, "cap": 10},
        {"key": "qr_scan", "label": "Scanned a QR code", "kind": "qr_scan", "points": 5, "cap": 15},
        {"key": "web_visit", "label": "Visited the website", "kind": "web_visit", "points": 2, "cap": 10},
        {
            "key": "return_visit",
            "label": "Came back to the website",
            "kind": "web_visit",
            "points": 5,
            "cap": 10,
            "when": {"return_visit": True},
        },
        REFERRAL_RULE,  # last, where migration leads/0014 adds it to rules published before
    ],
    "questions": [
        {
            "key": "timeline",
            "text": "When are you planning to buy?",
            "options": [
                {"key": "this_month", "label": "Within a month", "points": 20},
                {"key": "this_quarter", "label": "Within three months", "points": 10},
                {"key": "this_year", "label": "This year", "points": 3},
                {"key": "just_looking", "label": "Just looking", "points": -10},
            ],
        },
        {
            "key": "decision_maker",
            "text": "Are you the one who makes the decision?",
            "options": [
                {"key": "yes", "label": "Yes", "points": 10},
                {"key": "shared", "label": "Together with someone", "points": 5},
                {"key": "no", "label": "No", "points": -5},
            ],
        },
        {
            "key": "budget",
            "text": "Is there a budget set aside?",
            "options": [
                {"key": "approved", "label": "Yes, approved", "points": 15},
                {"key": "planning", "label": "Being planned", "points": 5},
                {"key": "none", "label": "No budget", "points": -10},
            ],
        },
        {
            "key": "system_age",
            "text": "How old is the current system?",
            "options": [
                {"key": "over_15", "label": "Over 15 years", "points": 10},
                {"key": "5_to_15", "label": "5 to 15 years", "points": 5},
                {"key": "under_5", "label": "Under 5 years", "points": -5},
                {"key": "none", "label": "There is none yet", "points": 5},
            ],
        },
    ],
    "profile": [
        {
            "key": "owner_title",
            "label": "Title of a decision maker",
            "field": "title",
            "values": ["owner", "president", "director", "manager", "ceo"],
            "match": "contains",
            "points": 5,
        },
        {
            "key": "size_fit",
            "label": "Company size of our best customers",
            "field": "size_band",
            "values": ["10-49", "50-249"],
            "points": 5,
        },
    ],
    "decay": {"after_days": 14, "points_per_week": 5, "max_points": 30},
    "thresholds": {"hot": 70, "warm": 40, "sales_ready": 60},
}
