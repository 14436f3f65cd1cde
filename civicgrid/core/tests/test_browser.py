"""The real browser: pages render in Chinese (with a CJK font, not boxes) and switch to English."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_and_admin_login_in_chinese_then_english(live_server: Any, page: Any, screenshot: Any) -> None:
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "基层治理综合平台"
    screenshot(page, "01-home-zh")
    # With no CJK font every ideograph renders as the same empty box: draw two and compare pixels.
    differ = page.evaluate(
        """() => {
            const draw = (ch) => { const c = document.createElement('canvas'); c.width = c.height = 48;
                const g = c.getContext('2d'); g.font = '40px sans-serif'; g.fillText(ch, 2, 40);
                return Array.from(g.getImageData(0, 0, 48, 48).data).join(','); };
            return draw('治') !== draw('理') && draw('治') !== draw('\\uE000');
        }"""
    )
    assert differ, "Chinese renders as boxes: install fonts-noto-cjk"

    page.goto(live_server.url + "/admin/login/")
    assert "登录" in page.content()
    screenshot(page, "02-admin-login-zh")

    page.goto(live_server.url + "/")
    with page.expect_navigation():  # the switch posts the form and redirects back
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "03-home-en")
