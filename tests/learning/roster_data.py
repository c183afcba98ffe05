"""A synthetic roster of any size, for the import's tests and its benchmark."""

from __future__ import annotations

import uuid

LANGUAGES = ("en", "hi", "ta")
HEADER = (
    "name,phone,telegram,organisation,parent_organisation,role,supervisor,language,access,"
    "timezone,mandatory,platform_user_id"
)


def synthetic(rows: int, *, changed: int = 0) -> str:
    """A roster of `rows` learners; every `changed`-th row (0: none) has a new role and date."""
    lines = [HEADER]
    for i in range(rows):
        section, head = i // 50, i - i % 50
        moved = bool(changed) and i % changed == 0
        telegram = (
            f"@officer_{i:07d}" if i % 3 == 0 else (str(5_000_000_000 + i) if i % 5 == 0 else "")
        )
        mandatory = f"rti-for-officials:{'2027-04-30' if moved else '2027-03-31'}:0138{i % 7:016d}"
        if i % 2:
            mandatory += ";ethics-basics:2027-06-30"
        lines.append(
            ",".join(
                (
                    f"Officer {i:07d}" if i % 4 else f"अधिकारी {i:07d}",
                    f"97{i:08d}",
                    telegram,
                    f"Section {section}",
                    f"Department {section // 20}",
                    "Under Secretary" if moved else "Section Officer",
                    "" if i == head else f"97{head:08d}",
                    LANGUAGES[i % 3],
                    "supervisor" if i == head else "",
                    "Asia/Kolkata",
                    mandatory,
                    str(uuid.uuid5(uuid.NAMESPACE_URL, f"karmabot-bench-{i}")),
                )
            )
        )
    return "\n".join(lines) + "\n"
