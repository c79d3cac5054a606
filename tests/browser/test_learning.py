"""Learning in a real browser: an applicant applies, a reviewer scores, the manager accepts; a
learner takes the export-readiness course, passes the quiz, receives the certificate, and a
visitor verifies it from the QR link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from playwright.sync_api import Browser, Page, expect

from ewtp.learning.models import Application, Certificate, Lesson, Quiz
from ewtp.learning.tests import factories as f
from tests.browser.conftest import screenshot

PASSWORD = "password-12345"  # the factories' password


@contextmanager
def _person(browser: Browser, live_server, email: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    """A separate browser (own cookies) logged in as `email`."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[method=post] button[type=submit] >> nth=-1")
    expect(page.locator('[data-testid="logout"]')).to_be_visible()
    try:
        yield page
    finally:
        context.close()


def test_apply_review_and_accept(page: Page, browser: Browser, live_server) -> None:  # type: ignore[no-untyped-def]
    manager = f.user("manager@example.org", "Esther Manager")
    programme = f.selective_programme(
        f.provider(manager), eligible_countries=["RW", "KE"], minimum_age=18, maximum_age=35
    )
    cohort = f.cohort(programme, capacity=24, starts_on=date(2027, 3, 1), name="Class of 2027")
    f.add_reviewer(programme, f.user("reviewer@example.org", "Rita Reviewer"))
    f.user("founder@example.org", "Claudine Mukamana")

    with _person(browser, live_server, "founder@example.org") as applicant:
        applicant.goto(f"/learn/programmes/{programme.slug}/")
        with applicant.expect_navigation():
            applicant.click('[data-testid="apply"]')
        applicant.select_option("select[name=country]", "RW")
        applicant.fill("input[name=birth_date]", "1998-05-14")
        applicant.select_option("select[name=business_stage]", "early_revenue")
        applicant.fill("input[name=business_name]", "Gahaya Weavers")
        applicant.fill("textarea[name=q_pitch]", "Agaseke baskets for shops in Europe, all year.")
        applicant.select_option("select[name=q_sector]", "crafts")
        applicant.fill("input[name=q_employees]", "65")
        screenshot(applicant, "learning-application-form")
        with applicant.expect_navigation():
            applicant.click('[data-testid="submit-application"]')
        expect(applicant.locator('[data-testid="application-status"]')).to_contain_text("Submitted")

    application = Application.objects.get()
    assert application.answers["employees"] == "65"
    cohort_url = f"/learn/training/cohorts/{cohort.public_id}/"

    with _person(browser, live_server, "manager@example.org") as boss:
        boss.goto(cohort_url)
        with boss.expect_navigation():
            boss.click('[data-testid="assign-reviewers"]')

        with _person(browser, live_server, "reviewer@example.org") as reviewer:
            reviewer.goto("/learn/reviews/")
            with reviewer.expect_navigation():
                reviewer.click('[data-testid="score"]')
            expect(reviewer.locator("main")).to_contain_text("Agaseke baskets")
            reviewer.fill("input[name=score_impact]", "5")
            reviewer.fill("input[name=score_feasibility]", "4")
            reviewer.fill("textarea[name=comment]", "Strong team, clear buyers.")
            screenshot(reviewer, "learning-review-form")
            with reviewer.expect_navigation():
                reviewer.click('[data-testid="submit-review"]')
            expect(reviewer.locator('[data-testid="assignments"]')).to_contain_text("Submitted")

        boss.goto(cohort_url)
        row = boss.locator('[data-testid="application-row"]')
        expect(row).to_contain_text("Claudine Mukamana")
        expect(row).to_contain_text("93.33")  # (2*5 + 4) / 15
        boss.click('[data-testid="accept"]')  # htmx: the ranking is redrawn in place
        expect(row).to_contain_text("Accepted")
        expect(boss.locator('[data-testid="seats"]')).to_contain_text("1 of 24")
        screenshot(boss, "learning-decision-page")

    application.refresh_from_db()
    assert application.status == "accepted"


def test_learner_earns_a_certificate_and_a_visitor_verifies_it(
    page: Page,
    browser: Browser,
    live_server,  # type: ignore[no-untyped-def]
) -> None:
    trainer = f.user("trainer@example.org", "Trainer")
    programme = f.programme(f.provider(trainer), title="Sellers' Export Academy")
    course = f.course(
        programme,
        lessons=2,
        pass_mark=100,
        max_attempts=3,
        title="Export readiness",
        slug="export-readiness",
        marks_export_ready=True,
    )
    first = Lesson.objects.filter(module__course=course).first()
    first.title = "What an HS code is"
    first.body = "The first **six digits** are the same everywhere.\n\n| digits | level |\n|---|---|\n| 09 | chapter |"
    first.save()
    f.user("aline@example.org", "Aline Uwase")
    quiz = Quiz.objects.get(module__course=course)

    with _person(browser, live_server, "aline@example.org") as learner:
        learner.goto("/learn/")
        with learner.expect_navigation():
            learner.click("text=Export readiness")
        with learner.expect_navigation():
            learner.click('[data-testid="enrol"]')
        expect(learner.locator("h1")).to_have_text("What an HS code is")
        screenshot(learner, "learning-lesson")
        for _lesson in range(2):
            with learner.expect_navigation():
                learner.click('[data-testid="mark-done"]')
        expect(learner.locator("h1")).to_have_text("Quiz")

        # A first try with one answer wrong: not passed, the learner stays and tries again.
        learner.check("label:has-text('B') >> input")
        learner.check("label:has-text('X') >> input")
        with learner.expect_navigation():
            learner.click('[data-testid="submit-quiz"]')
        expect(learner.locator('[data-testid="not-passed"]')).to_be_visible()
        with learner.expect_navigation():
            learner.click('[data-testid="retry"]')
        learner.check("label:has-text('B') >> input")
        learner.check("label:has-text('X') >> input")
        learner.check("label:has-text('Z') >> input")
        screenshot(learner, "learning-quiz")
        with learner.expect_navigation():
            learner.click('[data-testid="submit-quiz"]')
        expect(learner.locator('[data-testid="passed"]')).to_be_visible()
        screenshot(learner, "learning-quiz-result")

        with learner.expect_navigation():
            learner.click('[data-testid="certificate-link"]')
        expect(learner.locator('[data-testid="verdict"]')).to_contain_text("Valid certificate")
        screenshot(learner, "learning-certificate")
        qr_link = learner.locator('[data-testid="qr-link"]').get_attribute("href")
        pdf = learner.request.get(learner.locator('[data-testid="pdf"]').get_attribute("href"))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"

        learner.goto("/learn/dashboard/")
        expect(learner.locator('[data-testid="certificates"]')).to_contain_text("Export readiness")
        screenshot(learner, "learning-dashboard")

    certificate = Certificate.objects.get()
    assert quiz.attempts.count() == 2
    assert qr_link == f"{live_server.url}/learn/certificates/{certificate.code}/"

    # A visitor, not logged in, follows the QR code's link.
    page.goto(qr_link)
    expect(page.locator('[data-testid="verdict"]')).to_contain_text("Valid certificate")
    expect(page.locator('[data-testid="holder"]')).to_have_text("Aline Uwase")
    expect(page.locator('[data-testid="code"]')).to_have_text(certificate.code)
    expect(page.locator('[data-testid="login"]')).to_be_visible()
    screenshot(page, "learning-verification-visitor")

    # A forged code (check character changed) is told apart from a typo-free unknown one.
    forged = certificate.code[:-1] + ("0" if certificate.code[-1] != "0" else "1")
    page.goto(f"/learn/certificates/{forged}/")
    expect(page.locator('[data-testid="verdict"]')).to_contain_text(re.compile("not a valid"))


def test_the_programme_page_shows_the_rubric(page: Page) -> None:
    import shutil
    from pathlib import Path

    from ewtp.learning.models import RubricCriterion

    programme = f.selective_programme(
        f.provider(f.user("manager@example.org", "Esther Manager")),
        eligible_countries=["RW", "KE"],
        description="Twelve weeks to take a Rwandan business to buyers abroad.",
    )
    f.cohort(programme, capacity=24, starts_on=date(2027, 3, 1), name="Class of 2027")
    RubricCriterion.objects.filter(key="impact").update(
        description="Jobs and income the business creates around it"
    )
    RubricCriterion.objects.filter(key="feasibility").update(
        description="A plan, a team and the money to carry it out"
    )
    page.goto(f"/learn/programmes/{programme.slug}/")
    rubric = page.locator('[data-testid="rubric"]')
    expect(rubric.locator('[data-testid="criterion-impact"]')).to_contain_text("Impact")
    expect(rubric.locator('[data-testid="criterion-impact"]')).to_contain_text("×2")  # noqa: RUF001
    expect(rubric.locator('[data-testid="criterion-feasibility"]')).to_contain_text("×1")  # noqa: RUF001
    path = screenshot(page, "learning-rubric")
    images = Path(__file__).resolve().parents[2] / "docs" / "images"
    shutil.copyfile(path, images / "learning-rubric.png")
