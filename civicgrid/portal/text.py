"""Wording similarity for duplicate detection: jieba tokens plus character bigrams (short Chinese reports
split unevenly — "路/灯不亮" against "路灯/不亮" — and bigrams bridge that), filler dropped, Jaccard overlap.

jieba loads its dictionary (about a second) on first use; later calls are fast and cached.
"""

from __future__ import annotations

import functools
import logging
import re

import jieba

jieba.setLogLevel(logging.WARNING)

# Words that say nothing about which problem it is (particles, "please", "there is" …).
_FILLER = frozenset(
    re.findall(
        r"\S+",
        """
    的 了 是 在 有 和 与 及 就 都 也 还 又 很 太 被 把 让 给 对 从 向 到 这 那 这里 那里 这个 那个 一个
    我们 我 你 他 她 它 他们 请 请求 希望 麻烦 尽快 处理 解决 问题 反映 情况 现在 已经 一直 没有 不 没
    多次 附近 附近的 门口 旁边 位置
    """,
    )
)
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
# Single characters that only glue a sentence together; removed before taking bigrams.
_PARTICLES = re.compile("[的了是在很太也就都还又吧呢啊吗呀哦]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


@functools.lru_cache(maxsize=4096)
def tokens(text: str) -> frozenset[str]:
    """The set of meaningful tokens of ``text`` (lower-cased; single CJK characters and filler dropped)."""
    words = jieba.lcut(text[:2000].lower(), HMM=False)
    result = set()
    for word in words:
        word = word.strip()
        if not word or not _WORD.search(word) or word in _FILLER:
            continue
        if len(word) == 1 and not word.isdigit():
            continue
        result.add(word)
    for run in _CJK_RUN.findall(_PARTICLES.sub(" ", text[:2000])):
        result.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(result)


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of the two texts' token sets, 0.0 … 1.0 (0.0 when either has no tokens)."""
    left, right = tokens(a), tokens(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def keywords(text: str, *, limit: int = 8) -> list[str]:
    """Distinct tokens of ``text`` in order of first appearance (for Open311 ``keywords``)."""
    seen: list[str] = []
    for word in jieba.lcut(text[:2000].lower(), HMM=False):
        word = word.strip()
        if len(word) > 1 and _WORD.search(word) and word not in _FILLER and word not in seen:
            seen.append(word)
        if len(seen) >= limit:
            break
    return seen
