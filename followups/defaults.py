"""The follow-up scripts and the letter a fresh install ships (migration 0002 writes them);
marketing edits them in the browser afterwards."""

REFERRAL_QUESTION = {
    "key": "referral",
    "text": "Who else could use the same help? Write each person in Referrals below (a name and a phone or e-mail).",
    "kind": "text",
}

SCRIPTS = [
    {
        "name": "After the sale: were the needs met?",
        "trigger": "closed_won",
        "delay_days": 3,
        "assignee_rule": "owner",
        "questions": [
            {"key": "needs_met", "text": "Did we meet the needs you came to us with?", "kind": "yes_no"},
            {
                "key": "more_info",
                "text": "Is there anything more you would like to know about what you bought, or how to get "
                "the most from it?",
                "kind": "text",
            },
            REFERRAL_QUESTION,
        ],
    },
    {
        "name": "After a visit with no sale",
        "trigger": "closed_unclosed",
        "delay_days": 2,
        "assignee_rule": "owner",
        "questions": [
            {"key": "needs_met", "text": "Did our visit answer your questions?", "kind": "yes_no"},
            {"key": "more_info", "text": "What more information would help you decide?", "kind": "text"},
            REFERRAL_QUESTION,
        ],
    },
    {
        "name": "A month after the sale: advocacy and referrals",
        "trigger": "after_sale",
        "delay_days": 30,
        "assignee_rule": "csr_pool",
        "questions": [
            {"key": "needs_met", "text": "A month on, are you happy with it?", "kind": "yes_no"},
            {"key": "review", "text": "Would you write a short review, or be a reference for us?", "kind": "text"},
            REFERRAL_QUESTION,
        ],
    },
]

LETTER = {
    "name": "Unclosed prospect: still thinking it over?",
    "subject": "{{ first_name }}, still thinking it over?",
    "body": (
        "Dear {{ first_name }},\n\n"
        "Thank you for the time you gave us when we met. We know a decision like this takes thought, "
        "so there is no rush: when you are ready, we are here, and we will pick up where we left off.\n\n"
        "Call us, or answer this letter, and mention {{ response_code }}: it tells us who you are "
        "and what we talked about.\n\n"
        "Kind regards,\n{{ salesperson }}"
    ),
    "unclosed_days": 30,
    "resend_after_days": 90,
}
