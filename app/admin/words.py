"""The English words the admin shows for the codes a callback request stores."""

from app.content import Language
from app.directory.files import NeedsFile
from app.directory.present import needs_in

BEST_TIMES = {
    "today": "Today",
    "evening": "This evening",
    "tomorrow": "Tomorrow",
    "any": "Any time",
}
AGE_BANDS = {
    "under-13": "Under 13",
    "13-15": "13 to 15",
    "16-17": "16 to 17",
    "18-24": "18 to 24",
    "not-said": "Rather not say",
}
ABOUT = {"me": "Themselves", "someone-else": "Someone else"}


def callback_labels(needs: NeedsFile, languages: dict[str, Language]) -> dict[str, dict[str, str]]:
    return {
        "need": {need.code: need.label for need in needs_in(needs, "en")},
        "language": {code: lang.name for code, lang in languages.items()},
        "best_time": BEST_TIMES,
        "age": AGE_BANDS,
        "about": ABOUT,
    }
