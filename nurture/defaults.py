"""The sequence a fresh install ships (migration 0002 writes it): the customer handed back to
marketing after the sale (seed 004): thanks, were the needs met, a referral request with the
customer's own referral link (the forward form: whoever fills it in comes in as a `referral` lead
with the customer as referrer, which the scoreboard's referral rate counts), and the seasonal
tune-up reminder. Marketing edits it in the browser afterwards."""

WEEKDAY_MORNINGS = {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from_hour": 9, "to_hour": 12}

CUSTOMER_SEQUENCE = {
    "name": "After the sale: thanks, referrals, the tune-up",
    "description": "Every new customer, from the day after the sale: kept warm for the next season.",
    "trigger": "customer",
    "trigger_days": 1,
    "status": "active",
    "steps": [
        {
            "key": "s1",
            "kind": "email",
            "subject": "Thank you, {{ first_name }}",
            "text": "Dear {{ first_name }},\n\nThank you for choosing {{ salesperson }} and us. If anything about "
            "what you bought is not as you expected, just reply: we will put it right.\n\n{{ salesperson }}",
            "offer": None,
        },
        {"key": "s2", "kind": "wait", "days": 14, **WEEKDAY_MORNINGS},
        {
            "key": "s3",
            "kind": "email",
            "subject": "{{ first_name }}, did we meet your needs?",
            "text": "Dear {{ first_name }},\n\nTwo weeks on: did we meet the needs you came to us with? Is there "
            "anything more you would like to know about getting the most from it? Reply to this e-mail, or call "
            "us.\n\n{{ salesperson }}",
            "offer": None,
        },
        {"key": "s4", "kind": "wait", "days": 30, **WEEKDAY_MORNINGS},
        {
            "key": "s5",
            "kind": "email",
            "subject": "Who else could use the same help?",
            "text": "Dear {{ first_name }},\n\nMost of our customers come to us because someone they trust sent "
            "them. If you know someone who could use the same help, pass this on: {{ referral_link }}\n\n"
            "They leave their name and we get in touch; nothing else happens.\n\n{{ salesperson }}",
            "offer": None,
        },
        {"key": "s6", "kind": "wait", "days": 150, **WEEKDAY_MORNINGS},
        {
            "key": "s7",
            "kind": "email",
            "subject": "Time for the seasonal tune-up, {{ first_name }}",
            "text": "Dear {{ first_name }},\n\nThe season is turning: a tune-up now keeps what you bought running "
            "well and catches small problems before they are big ones. A maintenance agreement does it every "
            "season for you. Reply or call us to book a visit.\n\n{{ salesperson }}",
            "offer": None,
        },
    ],
    "next_key": 8,
}
