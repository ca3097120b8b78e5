"""A batch of every file that once stalled, garbled or lost part of a batch (issue 25), beside the
seeds: endless sentences, line-less text, 19.9 MB lines and words, bad bytes, short legacy
files, folders named like files. ``tests/test_hostile_batch.py`` runs it; ``python
tests/hostile.py FOLDER`` writes it for timing a run outside the tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
MB = 1_000_000
FRENCH = (
    "Le café de la gare a rouvert ses portes lundi, très fréquenté dès le matin. "
    "Le maire a annoncé une hausse du budget consacré aux écoles élémentaires.\n\n"
) * 10
RUSSIAN = "Городской совет во вторник проголосовал за строительство нового моста.\n\n" * 10
CHINESE = "市议会周二投票决定重建老港口的防波堤。工程预计将于秋季开始，并持续大约三年。\n\n" * 10


def _one_bad_byte(text: str) -> bytes:
    data = text.encode()
    return data[: len(data) // 2] + b"\xff" + data[len(data) // 2 :]


def files(scale: float = 1.0) -> dict[str, bytes]:
    """Relative path -> bytes; ``scale`` shrinks the big ones (1.0: the sizes of the issue)."""
    big = int(4 * MB * scale)
    huge = int(19.9 * MB * scale)
    words = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Theta", "Kappa"]
    return {
        "capitalised_words.txt": " ".join(words[i % 8] for i in range(big // 6)).encode(),
        "credit_cues.txt": ("according to the Times and Reuters and the BBC, told the Post, " * (big // 64)).encode(),
        "bbc_reported.txt": ("the BBC reported " * (51_000 // 17)).encode(),
        "chinese_full_stops.txt": ("北京市政府周二宣布新的交通计划。" * (big // 48)).encode(),
        "thai.txt": ("รัฐบาลประกาศแผนใหม่ วันนี้ฝนตกหนัก " * (big // 100)).encode(),
        "semicolon_list.txt": ("; ".join(f"item {k} of the list" for k in range(big // 20))).encode(),
        "one_line.txt": ("the council met on tuesday to discuss the new budget " * (huge // 53)).encode(),
        "one_word.txt": b"a" * huge,
        "french_bad_byte.txt": _one_bad_byte(FRENCH),
        "russian_bad_byte.txt": _one_bad_byte(RUSSIAN),
        "chinese_bad_byte.txt": _one_bad_byte(CHINESE),
        "cp1252_line.txt": "Les cafés ont rouvert, avec des travaux de €2,000 à Paris.\n".encode("cp1252"),
        "latin1_german.txt": "Der Stadtrat von Köln hat am Dienstag den Neubau beschlossen.\n".encode("latin-1"),
        "iso2022jp.txt": "市議会は火曜日、古い港の防波堤を建て直すことを決めた。\n".encode("iso-2022-jp"),
        "nested/deeper/article.txt": b"A file two folders down, about the harbour.\n",
    }


def write(folder: Path, scale: float = 1.0) -> None:
    """The batch into ``folder`` (made anew): the seeds, ``files(scale)`` and two empty folders."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for seed in SEEDS.iterdir():
        shutil.copy(seed, folder / seed.name)
    for name, data in files(scale).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "dir.txt").mkdir()  # a folder named like a file
    (folder / "nested" / "empty").mkdir()


if __name__ == "__main__":
    write(Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
