"""A labelled decoding set, generated: news-like sentences written for these tests (not taken from
any corpus) in the languages whose encodings news files come in, encoded, cut to 50-5,000 bytes,
with and without a few bad bytes. ``bench/decoding.py`` reports the decoder's accuracy on it by
length; ``tests/test_decoding.py`` holds it to a floor."""

from __future__ import annotations

import random
from dataclasses import dataclass

# language -> sentences
SENTENCES = {
    "en": [
        "The city council voted on Tuesday to rebuild the old harbour wall.",
        "Engineers said the wall, built in 1887, could fail in a single winter storm.",
        "The plan will cost €42 million, most of it borrowed against future port fees.",
        "“We cannot wait for another flood,” the council leader said.",
        "Fishermen welcomed the decision but feared months of construction — and lost income.",
        "Work is due to begin in the autumn once the season has ended.",
    ],
    "fr": [
        "Le café de la gare a rouvert ses portes lundi, très fréquenté dès le matin.",
        "Le maire a annoncé une hausse de 2 % du budget consacré aux écoles élémentaires.",
        "Les élèves ont déjà découvert leurs nouvelles salles de classe rénovées.",
        "« Nous avons attendu trop longtemps », a déclaré une habitante âgée du quartier.",
        "La préfecture a précisé que les travaux dureront jusqu’à la fin de l’été.",
        "Cette décision coûtera près de 12 millions d’euros à la région.",
    ],
    "de": [
        "Der Stadtrat von Köln hat am Dienstag den Neubau der Brücke beschlossen.",
        "Die Kosten für das Projekt werden auf über 40 Millionen Euro geschätzt.",
        "Anwohner äußerten Bedenken wegen des zusätzlichen Verkehrs während der Bauzeit.",
        "„Wir müssen jetzt handeln“, sagte die Bürgermeisterin vor der Presse.",
        "Die Arbeiten sollen im Frühjahr beginnen und drei Jahre dauern.",
        "Schüler und Lehrer begrüßten die Entscheidung über die größere Sporthalle.",
    ],
    "es": [
        "El ayuntamiento aprobó el martes la construcción de un nuevo puerto pesquero.",
        "Según los técnicos, la obra costará unos 30 millones de euros.",
        "Los vecinos del barrio mostraron su preocupación por el ruido y el tráfico.",
        "«No podemos esperar más», afirmó la alcaldesa durante la reunión.",
        "La campaña de vacunación comenzará en otoño en todas las regiones del país.",
    ],
    "pl": [
        "Rada miasta w Krakowie zdecydowała we wtorek o budowie nowego mostu.",
        "Koszt inwestycji oszacowano na ponad 200 milionów złotych.",
        "Mieszkańcy obawiają się korków i hałasu podczas prac budowlanych.",
        "„Musimy działać już teraz” – powiedziała prezydent miasta dziennikarzom.",
        "Prace mają się rozpocząć wiosną i potrwają około trzech lat.",
        "Uczniowie z łódzkich szkół wezmą udział w ogólnopolskim konkursie.",
    ],
    "cs": [
        "Zastupitelstvo města Brna ve středu schválilo stavbu nové tramvajové trati.",
        "Náklady na projekt se odhadují na více než dvě miliardy korun.",
        "Obyvatelé čtvrti se obávají hluku a dopravních omezení během stavby.",
        "Práce by měly začít na jaře a potrvají přibližně tři roky.",
        "Ředitel školy řekl, že žáci dostanou nové učebnice už v září.",
    ],
    "hu": [
        "A városi közgyűlés kedden megszavazta az új híd építését.",
        "A beruházás költségét több mint tízmilliárd forintra becsülik.",
        "A környékbeli lakók aggódnak a forgalom és a zaj miatt.",
        "A munkálatok tavasszal kezdődnek, és nagyjából három évig tartanak.",
    ],
    "ru": [
        "Городской совет во вторник проголосовал за строительство нового моста.",
        "Стоимость проекта оценивается более чем в два миллиарда рублей.",
        "Жители района опасаются пробок и шума во время строительства.",
        "«Мы должны действовать уже сейчас», — заявила мэр города журналистам.",
        "Работы начнутся весной и продлятся около трёх лет.",
        "Учёные из Новосибирска представили результаты нового исследования.",
    ],
    "uk": [
        "Міська рада у вівторок проголосувала за будівництво нового мосту.",
        "Вартість проєкту оцінюють у понад мільярд гривень.",
        "Мешканці району побоюються заторів і шуму під час будівництва.",
        "Роботи розпочнуться навесні й триватимуть близько трьох років.",
    ],
    "bg": [
        "Общинският съвет гласува във вторник за изграждането на нов мост.",
        "Стойността на проекта се оценява на над двеста милиона лева.",
        "Жителите на квартала се притесняват от шума и задръстванията.",
        "Работата ще започне през пролетта и ще продължи около три години.",
    ],
    "zh-hans": [
        "市议会周二投票决定重建老港口的防波堤。",
        "工程师表示，这座建于一八八七年的堤坝可能在一场冬季风暴中倒塌。",
        "该计划将耗资四千二百万元，大部分资金来自未来的港口收费。",
        "渔民们欢迎这一决定，但担心施工会影响他们的收入。",
        "市长在新闻发布会上说：“我们不能再等下一场洪水了。”",
        "工程预计将于秋季开始，并持续大约三年。",
    ],
    "zh-hant": [
        "市議會週二投票決定重建舊港口的防波堤。",
        "工程師表示，這座建於一八八七年的堤壩可能在一場冬季風暴中倒塌。",
        "該計劃將耗資四千二百萬元，大部分資金來自未來的港口收費。",
        "漁民們歡迎這一決定，但擔心施工會影響他們的收入。",
        "市長在記者會上說：「我們不能再等下一場洪水了。」",
        "工程預計將於秋季開始，並持續大約三年。",
    ],
    "ja": [
        "市議会は火曜日、古い港の防波堤を建て直すことを決めた。",
        "技術者によると、この堤防は冬の嵐一つで崩れるおそれがある。",
        "計画の費用は約四十億円で、その大部分は港の使用料でまかなわれる。",
        "漁業者たちは決定を歓迎したが、工事中の収入減を心配している。",
        "市長は記者会見で「次の洪水を待つわけにはいかない」と述べた。",
        "工事は秋に始まり、およそ三年続く見通しだ。",
    ],
    "ko": [
        "시의회는 화요일 오래된 항구의 방파제를 다시 짓기로 결정했다.",
        "기술자들은 이 방파제가 겨울 폭풍 한 번에 무너질 수 있다고 말했다.",
        "사업비는 약 400억 원으로, 대부분 항만 사용료로 충당된다.",
        "어민들은 결정을 환영했지만 공사 기간 동안의 수입 감소를 걱정했다.",
        "시장은 기자회견에서 “다음 홍수를 기다릴 수는 없다”고 말했다.",
        "공사는 가을에 시작되어 약 3년 동안 계속될 예정이다.",
    ],
}

# encoding -> languages written in it (UTF-8: every one)
ENCODINGS = {
    "utf-8": sorted(SENTENCES),
    "cp1252": ["en", "fr", "de", "es"],
    "latin-1": ["fr", "de", "es"],
    "iso-8859-2": ["pl", "cs", "hu"],
    "cp1250": ["pl", "cs", "hu"],
    "cp1251": ["ru", "uk", "bg"],
    "koi8-r": ["ru"],
    "gb18030": ["zh-hans"],
    "big5": ["zh-hant"],
    "shift_jis": ["ja"],
    "euc-jp": ["ja"],
    "iso-2022-jp": ["ja"],
    "euc-kr": ["ko"],
    "iso-2022-kr": ["ko"],
    "hz": ["zh-hans"],
}
LENGTHS = (50, 150, 500, 1500, 5000)


@dataclass(frozen=True)
class Sample:
    encoding: str
    language: str
    text: str  # what a right decoding gives (with U+FFFD where bad bytes were put in a UTF-8 text)
    data: bytes
    bad_bytes: int


def _fits(text: str, encoding: str) -> str:
    """``text`` with the characters ``encoding`` cannot hold replaced by their nearest ASCII."""
    swaps = {"€": "EUR", "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "—": "-", "–": "-", "«": '"', "»": '"'}
    out = []
    for char in text:
        try:
            char.encode(encoding)
            out.append(char)
        except UnicodeEncodeError:
            out.append(swaps.get(char, "?"))
    return "".join(out)


def _text(language: str, encoding: str, n_bytes: int, rng: random.Random) -> str:
    """Sentences of ``language`` in random order, whole characters, at most ``n_bytes`` encoded."""
    sentences = [_fits(s, encoding) for s in SENTENCES[language]]
    text = ""
    while len(text.encode(encoding)) < n_bytes:
        text += rng.choice(sentences) + (" " if rng.random() < 0.8 else "\n")
    while len(text.encode(encoding)) > n_bytes:
        text = text[:-1]
    return text


def _corrupt_utf8(text: str, k: int, rng: random.Random) -> tuple[str, bytes]:
    """``k`` non-ASCII-looking bad bytes in place of whole characters, and the text with U+FFFD there."""
    chars = list(text)
    for position in rng.sample(range(len(chars)), min(k, len(chars))):
        chars[position] = "\udcff"  # a lone surrogate stands for the byte 0xff
    data = "".join(chars).encode("utf-8", "surrogateescape")
    return "".join("\ufffd" if c == "\udcff" else c for c in chars), data


def samples(seed: int = 1, per_cell: int = 3) -> list[Sample]:
    """Every encoding x language x length, ``per_cell`` texts each; UTF-8 ones also with 1-3 bad bytes."""
    rng = random.Random(seed)
    out = []
    for encoding, languages in ENCODINGS.items():
        for language in languages:
            for length in LENGTHS:
                for _ in range(per_cell):
                    text = _text(language, encoding, length, rng)
                    out.append(Sample(encoding, language, text, text.encode(encoding), 0))
                    if encoding == "utf-8":
                        k = rng.randint(1, 3)
                        bad_text, data = _corrupt_utf8(text, k, rng)
                        out.append(Sample(encoding, language, bad_text, data, k))
    return out
