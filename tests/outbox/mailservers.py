"""E-mail backends for tests: a mail server that is down, one that refuses the address (for good
or for now), and one that records what it was given from several senders at once."""

import smtplib
import threading

from django.core.mail.backends.base import BaseEmailBackend


class DownBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


class RefusingBackend(BaseEmailBackend):
    """Answers RCPT TO with 550, as a server does for a mailbox that does not exist."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused(
            {to: (550, b"5.1.1 Recipient address rejected: User unknown") for m in email_messages for to in m.to}
        )


class GreylistingBackend(BaseEmailBackend):
    """Answers RCPT TO with 450, as a greylisting server does the first time it sees a sender."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused(
            {to: (450, b"4.2.0 Greylisted, please try again later") for m in email_messages for to in m.to}
        )


class RecordingBackend(BaseEmailBackend):
    """Keeps the subject of every message it takes, whichever thread hands it over. The first
    message of each sender waits until the other sender is sending too (`meet`, a Barrier of
    two), so the two are known to have been at work at the same moment."""

    sent: list[str] = []
    meet: threading.Barrier | None = None
    met_alone = False  # a sender waited in vain: the other never sent anything at the same time
    _lock = threading.Lock()
    _local = threading.local()

    def send_messages(self, email_messages):
        if self.meet is not None and not getattr(self._local, "met", False):
            self._local.met = True
            try:
                self.meet.wait()
            except threading.BrokenBarrierError:
                RecordingBackend.met_alone = True
        with self._lock:
            self.sent.extend(message.subject for message in email_messages)
        return len(email_messages)
