"""Demo history: a year of orders, parcels, declarations, bookings and two more graduates.

Idempotent: nothing is added once the history's postings are on the books.
"""

from __future__ import annotations

import time
from typing import TextIO

from ewtp.accounts.models import User
from ewtp.insights import demo_history as history
from ewtp.ledger.models import Posting

HISTORY_ORDERS = 3000
HISTORY_BOOKINGS = 400
# Sellers who also finished the export readiness course (Huye's owner did in learning.demo).
GRADUATES = ["tea@demo.ewtp.rw", "chili@demo.ewtp.rw"]


def _graduate(email: str) -> bool:
    from ewtp.learning.models import Certificate, Course, Lesson, Quiz
    from ewtp.learning.services import courses, enrolments

    learner = User.objects.filter(email=email).first()
    export = Course.objects.filter(slug="export-readiness").first()
    if learner is None or export is None:
        return False
    if Certificate.objects.filter(holder=learner, course=export).exists():
        return False
    enrolments.enrolment_create(learner=learner, course=export)
    for lesson in Lesson.objects.filter(module__course=export):
        courses.lesson_complete(learner=learner, lesson=lesson)
    for quiz in Quiz.objects.filter(module__course=export):
        correct = {
            question.pk: [c.pk for c in question.choices.all() if c.is_correct]
            for question in quiz.questions.all()
        }
        courses.quiz_submit(learner=learner, quiz=quiz, selected=correct)
    return Certificate.objects.filter(holder=learner, course=export).exists()


def load(stdout: TextIO) -> None:
    graduates = sum(_graduate(email) for email in GRADUATES)
    if Posting.objects.filter(kind="history.order").exists():
        stdout.write("insights: demo history in place\n")
        return
    started = time.monotonic()
    orders = history.orders_generate(HISTORY_ORDERS)
    bookings = history.bookings_generate(HISTORY_BOOKINGS)
    stdout.write(
        f"insights: {orders} orders and {bookings} bookings of demo history, "
        f"{graduates} graduates added ({time.monotonic() - started:.1f} s)\n"
    )
