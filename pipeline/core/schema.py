"""The Parquet contract: one schema per table, defined here and nowhere else.

Rules every table follows (see README "Tables"):
- ids are strings; offsets are int32 character offsets (Python ``str`` indices)
  into ``documents.text``, the normalised text of the document;
- no unsigned 64-bit columns (Spark reads them badly); signatures are uint32,
  which Spark reads as long;
- timestamps are UTC with microsecond precision;
- each file's metadata carries ``newsprov.schema`` = ``<table>/<version>``;
  a schema change only adds nullable columns and bumps the version.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_KEY = b"newsprov.schema"

UTC_MICROS = pa.timestamp("us", tz="UTC")


def _field(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"doc": doc})


def _schema(table: str, version: int, fields: list[pa.Field]) -> pa.Schema:
    return pa.schema(fields, metadata={SCHEMA_KEY: f"{table}/{version}".encode()})


SPAN = pa.struct(
    [
        pa.field("a_start", pa.int32(), nullable=False),
        pa.field("a_end", pa.int32(), nullable=False),
        pa.field("b_start", pa.int32(), nullable=False),
        pa.field("b_end", pa.int32(), nullable=False),
    ]
)

OFFSET_BREAK = pa.struct(
    [
        pa.field("text_offset", pa.int32(), nullable=False),
        pa.field("source_offset", pa.int32(), nullable=False),
    ]
)

SOURCE_FORMATS = ("text", "jsonl", "csv", "tsv", "parquet", "html", "warc")

DOCUMENTS = _schema(
    "documents",
    4,
    [
        _field("doc_id", pa.string(), "sha256 of the normalised text, first 16 hex digits", False),
        _field(
            "source_path",
            pa.string(),
            "path of the input file, relative to the input folder (of a file of many articles: "
            "source_record says which)",
            False,
        ),
        _field("batch", pa.string(), "batch date YYYY-MM-DD this document arrived in", False),
        _field(
            "published",
            pa.date32(),
            "day of publication as the source writes it (its own local date): an export's published "
            "field, the page's date (HTML, WARC), a text file's 'date YYYY-MM-DD' header; null when absent",
        ),
        _field("dateline", pa.string(), "place from the header ('Beijing'); null when absent"),
        _field(
            "title",
            pa.string(),
            "an export's title field, the page's title (HTML, WARC); in a text file the first body line "
            "when it reads like a headline; else null",
        ),
        _field("body_start", pa.int32(), "offset where the text after the header begins", False),
        _field("n_chars", pa.int32(), "length of text in characters", False),
        _field("n_passages", pa.int32(), "number of rows of this document in passages", False),
        _field(
            "text",
            pa.string(),
            "normalised text (NFC, LF line endings, mojibake repaired): of a page (HTML, WARC) its "
            "main text as trafilatura extracts it, of an export the text field",
            False,
        ),
        _field("text_sha256", pa.string(), "full sha256 hex of text", False),
        _field(
            "source_sha256",
            pa.string(),
            "sha256 hex of the source: a text file's bytes, a page's bytes (the HTML file, the WARC "
            "record's HTTP body), an export's text field (UTF-8)",
            False,
        ),
        _field("encoding", pa.string(), "detected or declared encoding of the file or page", False),
        _field(
            "replaced_bytes",
            pa.int32(),
            "byte sequences of the file that its encoding (UTF-8 but for them) cannot decode, each "
            "shown as one U+FFFD in text; 0 when none; null in documents written before schema documents/4",
        ),
        _field(
            "capped",
            pa.list_(pa.string()),
            "what the limits per document cut in this text, one line each: 'sentences: N cut at 1000 "
            "characters' (longer runs without a sentence end), 'passages: N cut at 40000 characters' "
            "(longer paragraphs: N passages end at a cut), 'credits: searched in the first 100000 "
            "characters' ([ingest] credit_search_chars); empty when none; null before schema documents/4",
        ),
        _field(
            "offset_breaks",
            pa.list_(OFFSET_BREAK),
            "where text offsets stop matching offsets in the decoded source file: "
            "from each break on, source_offset - text_offset is constant; empty when identical",
            False,
        ),
        _field("ingested_at", UTC_MICROS, "when this row was written", False),
        _field(
            "credited_outlets",
            pa.list_(pa.string()),
            "outlets.outlet_id of the outlets the document credits, "
            "in order of first credit, distinct; empty when none",
        ),
        _field(
            "wire_copy",
            pa.bool_(),
            "a dateline or credit line of a news agency ('LONDON (Reuters) -', "
            "'Source: AFP', 'Reporting by ... for AP'); an excerpt credit ('first published by X:') is not one",
        ),
        _field(
            "source_format",
            pa.string(),
            "how the file was read: text / jsonl / csv / tsv / parquet / html / warc; null in files of version 2",
        ),
        _field(
            "source_record",
            pa.int64(),
            "which article of a file of many: its line (jsonl from 1; csv/tsv the line its record "
            "starts on), its row (parquet, from 0), its record's byte offset (warc); null for a file "
            "that is one document",
        ),
        _field("source_id", pa.string(), "the article's id in an export (its id field); null when none"),
        _field(
            "url", pa.string(), "the article's URL: an export's url field, the WARC-Target-URI, a page's canonical URL"
        ),
        _field(
            "publisher",
            pa.string(),
            "the publisher as the source names it: an export's publisher field, a page's site name; null when none",
        ),
        _field(
            "publisher_outlet_id",
            pa.string(),
            "outlets.outlet_id of the publisher, by the URL's domain, else by the publisher's name; "
            "null when the gazetteer does not know it",
        ),
        _field(
            "published_at",
            UTC_MICROS,
            "moment of publication, UTC, when the source gives a time with a UTC offset; null for a date "
            "alone or a local time without offset",
        ),
        _field(
            "language",
            pa.string(),
            "ISO 639-1: as the source gives it, else detected from the text (py3langid); null when the text "
            "has no letters",
        ),
    ],
)

REJECTS = _schema(
    "rejects",
    2,
    [
        _field("source_path", pa.string(), "path of the input, relative to the input folder", False),
        _field("batch", pa.string(), "batch date YYYY-MM-DD", False),
        _field(
            "reason",
            pa.string(),
            "one of: empty, binary, undecodable, too_large, too_slow (the detail names the stage), unreadable, "
            "not_a_file (a FIFO, a device, an empty folder); in a file of many "
            "articles also bad_record (a line or row that is no article: not JSON, no text field, a text "
            "that is not a string, a row of the wrong width) and not_article (a WARC record skipped: not a "
            "response, or a response that is not an HTML page)",
            False,
        ),
        _field("detail", pa.string(), "what exactly was wrong, for a person to read", False),
        _field("rejected_at", UTC_MICROS, "when this row was written", False),
        _field(
            "source_record",
            pa.int64(),
            "the line, row or record of a file of many articles (as documents.source_record); null for a whole file",
        ),
    ],
)

SIGHTINGS = _schema(
    "sightings",
    1,
    [
        _field("source_path", pa.string(), "path of the input file, relative to the input folder", False),
        _field("batch", pa.string(), "batch date YYYY-MM-DD the file arrived in", False),
        _field("doc_id", pa.string(), "the document it repeats word for word (after normalisation)", False),
        _field("first_batch", pa.string(), "batch of the document's first sighting", False),
        _field("first_source_path", pa.string(), "source_path of the document's first sighting", False),
        _field("seen_at", UTC_MICROS, "when this row was written", False),
    ],
)

PASSAGE_KINDS = ("body", "caption", "credit", "heading", "header")

PASSAGES = _schema(
    "passages",
    1,
    [
        _field("passage_id", pa.string(), "<doc_id>:<ordinal, 4 digits>", False),
        _field("doc_id", pa.string(), "documents.doc_id", False),
        _field("batch", pa.string(), "batch date YYYY-MM-DD", False),
        _field("ordinal", pa.int32(), "position of the passage in its document, from 0", False),
        _field("char_start", pa.int32(), "offset into documents.text", False),
        _field("char_end", pa.int32(), "end offset (exclusive) into documents.text", False),
        _field("text", pa.string(), "documents.text[char_start:char_end]", False),
        _field("kind", pa.string(), "body / caption / credit / heading (short subheading line) / header", False),
        _field("n_tokens", pa.int32(), "word tokens in the passage", False),
        _field(
            "signature",
            pa.list_(pa.uint32()),
            "MinHash hashvalues, datasketch scheme affine32 (see pipeline.lsh.fingerprint); "
            "null when the passage has no shingle",
        ),
    ],
)

# Each id repeats once per band: stored dictionary-encoded (DuckDB, Spark and Polars read strings
# or categoricals; pyarrow keeps the dictionary), which also hands the candidate join integer codes.
_ID_CODES = pa.dictionary(pa.int32(), pa.string())

BANDS = _schema(
    "bands",
    3,
    [
        _field("passage_id", _ID_CODES, "passages.passage_id", False),
        _field("doc_id", _ID_CODES, "documents.doc_id", False),
        _field("band", pa.int16(), "LSH band number", False),
        _field("bucket", pa.int64(), "hash of the band's rows of the signature", False),
    ],
)

SENTENCE_BANDS = _schema(
    "sentence_bands",
    2,
    [
        _field("passage_id", _ID_CODES, "passages.passage_id of the sentence", False),
        _field("doc_id", _ID_CODES, "documents.doc_id", False),
        _field("band", pa.int16(), "LSH band number", False),
        _field("bucket", pa.int64(), "hash of the band's rows of the sentence's content-word MinHash", False),
    ],
)

ANCHORS = _schema(
    "anchors",
    2,
    [
        _field("passage_id", pa.string(), "passages.passage_id", False),
        _field("doc_id", pa.string(), "documents.doc_id", False),
        _field("anchor", pa.string(), "n:<name word> / d:<month day> / f:<figure> (pipeline.text.anchors)", False),
    ],
)

CANDIDATES = _schema(
    "candidates",
    2,
    [
        _field("passage_a", pa.string(), "passage of the current batch", False),
        _field("passage_b", pa.string(), "passage of this or an earlier batch", False),
        _field("doc_a", pa.string(), "documents.doc_id of passage_a", False),
        _field("doc_b", pa.string(), "documents.doc_id of passage_b", False),
        _field("shared_bands", pa.int16(), "LSH bands whose buckets agree", False),
        _field("shared_anchors", pa.int16(), "distinct anchors in both (after the frequency cap)", False),
        _field(
            "anchor_score", pa.float32(), "sum of ln(N/df) over shared anchors, N passages in batch and history", False
        ),
        _field("method", pa.string(), "minhash_lsh / anchors / both", False),
    ],
)

OVERLAP_RELATIONS = ("verbatim", "near_copy", "spun", "same_story")
# Overlaps whose words were copied; same_story passages report one event in their own words.
COPY_RELATIONS = ("verbatim", "near_copy", "spun")
ORIGINS = ("a", "b", "tie", "unknown")

OVERLAPS = _schema(
    "overlaps",
    2,
    [
        _field("passage_a", pa.string(), "passages.passage_id of one side", False),
        _field("passage_b", pa.string(), "passages.passage_id of the other side", False),
        _field("doc_a", pa.string(), "documents.doc_id of passage_a", False),
        _field("doc_b", pa.string(), "documents.doc_id of passage_b", False),
        _field("batch", pa.string(), "batch that found the pair (the later one)", False),
        _field("relation", pa.string(), "verbatim / near_copy / spun / same_story", False),
        _field("jaccard_est", pa.float32(), "share of equal MinHash values; null when a side has no signature"),
        _field("jaccard", pa.float32(), "exact Jaccard of surface word shingles", False),
        _field("jaccard_folded", pa.float32(), "exact Jaccard of synonym-folded shingles", False),
        _field("containment_a", pa.float32(), "share of a's folded shingles found in b", False),
        _field("containment_b", pa.float32(), "share of b's folded shingles found in a", False),
        _field(
            "aligned_ratio", pa.float32(), "share of the longer side's words aligned in order, after folding", False
        ),
        _field("shared_anchors", pa.list_(pa.string()), "names, dates and figures in both", False),
        _field(
            "spans",
            pa.list_(SPAN),
            "aligned character spans, offsets into documents.text of doc_a / doc_b",
            False,
        ),
        _field(
            "method",
            pa.string(),
            "how the pair was found: minhash_lsh / anchors / both / extension (next to a copied pair)",
            False,
        ),
        _field("origin", pa.string(), "which side came first: a / b / tie / unknown", False),
        _field(
            "longest_span_words",
            pa.int32(),
            "aligned words of the longest copied span (a sentence or more copied whole shows here); "
            "0 for same_story. Null in files of version 1",
        ),
    ],
)

PARAPHRASES = _schema(
    "paraphrases",
    2,
    [
        _field("doc_a", pa.string(), "documents.doc_id of the batch's document", False),
        _field("doc_b", pa.string(), "documents.doc_id of the other (this batch or earlier)", False),
        _field("batch", pa.string(), "batch that found the pair (the later one)", False),
        _field(
            "sentences",
            pa.int32(),
            "sentence pairs seeding the reused passages (see pipeline.text.reuse)",
            False,
        ),
        _field(
            "containment_mean",
            pa.float32(),
            "mean share of a reused passage's smaller side's content words found in the other side",
            False,
        ),
        _field(
            "verbatim_share",
            pa.float32(),
            "share of the reused passages' words (both sides, by characters of passage) in runs of 5+ "
            "words equal in both documents: 1 for a verbatim copy, near 0 for a rewording",
            False,
        ),
        _field("passages_a", pa.list_(pa.string()), "passages of doc_a overlapping the reused passages", False),
        _field("passages_b", pa.list_(pa.string()), "passages of doc_b overlapping the reused passages", False),
        _field(
            "spans",
            pa.list_(SPAN),
            "the reused passages, offsets into documents.text of doc_a / doc_b (exact where copied verbatim)",
            False,
        ),
    ],
)

DOCUMENT_RELATIONS = ("reprint", "excerpt", "spun", "light_edit", "paraphrase")
# Two versions of one story of one publisher (the same URL, or publisher and title): no copy.
VERSION_RELATION = "update"
ORIGIN_BASES = ("date", "publisher_credit", "credit", "timestamp", "containment", "tie", "shared_source")
# Links that name no copy: a tie, and two documents that each copy a third (siblings).
UNDIRECTED_BASES = ("tie", "shared_source")
CREDIT_STATUSES = ("credited", "credited_other", "uncredited", "same_publisher", "unknown")

PROVENANCE = _schema(
    "provenance",
    3,
    [
        _field(
            "doc_id",
            pa.string(),
            "the copying document (either side when origin_basis is 'tie' or 'shared_source')",
            False,
        ),
        _field("source_doc_id", pa.string(), "the document it copies from", False),
        _field("batch", pa.string(), "batch that found the link (the later one)", False),
        _field(
            "relation",
            pa.string(),
            "reprint / excerpt / spun / light_edit / paraphrase (retold in other "
            "words: matched sentences, see the paraphrases table) / update (doc_id is a later version of "
            "the source: the same URL, or the same publisher and title; see changed_spans)",
            False,
        ),
        _field(
            "shared_passages",
            pa.int32(),
            "distinct passages of doc_id in copy overlaps (or matched sentences) with the source",
            False,
        ),
        _field("source_shared_passages", pa.int32(), "distinct passages of the source in those overlaps", False),
        _field("coverage", pa.float32(), "share of doc_id's body inside shared spans", False),
        _field("source_coverage", pa.float32(), "share of the source's body inside shared spans", False),
        _field("spun_share", pa.float32(), "share of the copy overlaps whose relation is spun", False),
        _field(
            "jaccard_mean",
            pa.float32(),
            "mean exact Jaccard of the copy overlaps; for a paraphrase link, the "
            "mean content-word containment of its matched sentences (paraphrases.containment_mean)",
            False,
        ),
        _field(
            "spans",
            pa.list_(SPAN),
            "shared spans merged per document: a_* offsets into doc_id's text, b_* into the source's",
            False,
        ),
        _field(
            "origin_basis",
            pa.string(),
            "why source_doc_id is the source: date (published earlier) / publisher_credit (doc_id credits "
            "the source's publisher, or the agency of the source's wire dateline) / credit (doc_id introduces "
            "the shared text with a credit) / timestamp (same day, published earlier) / containment / tie; "
            "shared_source: neither, both copy shared_source_doc_id (siblings)",
            False,
        ),
        _field(
            "credited_outlet_id",
            pa.string(),
            "outlet the copying document credits next to the shared text; null when none",
        ),
        _field(
            "evidence",
            pa.string(),
            "what proves the link: shared_passages / whole_document / long_copy / reused_passages (a "
            "passage found sentence by sentence, verbatim or reworded: the paraphrases table) / copy_chain "
            "(too little copied text on its own, but the documents are already joined by a chain of copy "
            "links); paraphrase in rows from before reused passages (paraphrases schema 2)",
        ),
        _field("publisher", pa.string(), "documents.publisher of doc_id (as given); null when unknown"),
        _field("publisher_outlet_id", pa.string(), "documents.publisher_outlet_id of doc_id"),
        _field("source_publisher", pa.string(), "documents.publisher of source_doc_id (as given); null when unknown"),
        _field("source_publisher_outlet_id", pa.string(), "documents.publisher_outlet_id of source_doc_id"),
        _field(
            "credit_status",
            pa.string(),
            "credited (doc_id credits the source's publisher) / credited_other (it credits other outlets only) / "
            "uncredited (it credits no outlet) / same_publisher / unknown (a side has no publisher); "
            "null in files of version 2",
        ),
        _field(
            "shared_source_doc_id",
            pa.string(),
            "for origin_basis shared_source: the document both sides copy; else null",
        ),
        _field(
            "changed_spans",
            pa.list_(SPAN),
            "for relation update: the stretches between the shared spans, a_* offsets into doc_id's text (what "
            "the later version has there), b_* into the source's (what it had); empty a_* or b_*: added or "
            "removed text. Null for other relations",
        ),
    ],
)

OUTLET_LINKS = _schema(
    "outlet_links",
    1,
    [
        _field("batch", pa.string(), "batch that found the links", False),
        _field("publisher", pa.string(), "the copying publisher, as its documents name it (documents.publisher)"),
        _field("publisher_outlet_id", pa.string(), "outlets.outlet_id of the copying publisher; null when unknown"),
        _field("source_publisher", pa.string(), "the publisher copied from, as its documents name it"),
        _field(
            "source_publisher_outlet_id",
            pa.string(),
            "outlets.outlet_id of the publisher copied from; null when unknown",
        ),
        _field(
            "copy_links",
            pa.int32(),
            "provenance links of the batch from a document of the one to a document of the other (sides of "
            "different known publishers, a direction known: ties and shared_source links are left out)",
            False,
        ),
        _field("credited", pa.int32(), "of them, links whose copy credits the source's publisher", False),
        _field("credited_other", pa.int32(), "of them, links whose copy credits other outlets only", False),
        _field("uncredited", pa.int32(), "of them, links whose copy credits no outlet", False),
        _field(
            "first_seen",
            UTC_MICROS,
            "earliest publication of a copying document (published_at, else its published day at 00:00 UTC, "
            "else its batch's)",
            False,
        ),
        _field("last_seen", UTC_MICROS, "latest publication of a copying document, as first_seen", False),
    ],
)

CLUSTERS = _schema(
    "clusters",
    2,
    [
        _field("doc_id", pa.string(), "documents.doc_id", False),
        _field("batch", pa.string(), "batch that set this assignment; a document's latest row is current", False),
        _field(
            "copy_cluster_id", pa.string(), "copy:<doc_id of its first document>: documents joined by copy links", False
        ),
        _field("story_id", pa.string(), "story:<doc_id>: copy clusters joined by same-story links", False),
        _field("is_origin", pa.bool_(), "the copy cluster's origin: copies no member and is dated first", False),
        _field("cluster_size", pa.int32(), "documents in the copy cluster when this row was written", False),
        _field(
            "merged_from",
            pa.list_(pa.string()),
            "this document's former cluster and story ids, absorbed into others in this batch",
            False,
        ),
    ],
)

ATTRIBUTION_CUES = (
    "reported",
    "according_to",
    "told",
    "citing",
    "said",
    "contributed",
    "photo_credit",
    "dateline",
    "other",
)

ATTRIBUTIONS = _schema(
    "attributions",
    2,
    [
        _field("doc_id", pa.string(), "documents.doc_id", False),
        _field("batch", pa.string(), "batch date YYYY-MM-DD", False),
        _field("passage_id", pa.string(), "passage holding the mention", False),
        _field("char_start", pa.int32(), "start of the outlet mention in documents.text", False),
        _field("char_end", pa.int32(), "end of the outlet mention in documents.text", False),
        _field("sentence_start", pa.int32(), "start of the crediting sentence in documents.text", False),
        _field("sentence_end", pa.int32(), "end of the crediting sentence in documents.text", False),
        _field("outlet_id", pa.string(), "outlets.outlet_id; null for an alias that could not be resolved"),
        _field("surface", pa.string(), "the mention as written ('the Post', 'New York Instances')", False),
        _field(
            "cue",
            pa.string(),
            "reported / according_to / told / citing / said / contributed / photo_credit / dateline / other",
            False,
        ),
        _field("is_alias", pa.bool_(), "the mention is an alias resolved to an outlet named earlier", False),
        _field("is_fuzzy", pa.bool_(), "the mention matched a damaged name ('Getty Photographs')", False),
        _field("confidence", pa.float32(), "0..1, how sure the extractor is", False),
        _field(
            "covered_passages",
            pa.list_(pa.string()),
            "passages.passage_id of the passages the credited source covers, in order: the crediting "
            "passage, then following ones that go on with it ('\"...\" the official said', 'he told the "
            "Post'), up to one that brings in another outlet or a named speaker; after a credit ending in "
            "':' ('X reported:') the next passage too. Null in files of version 1",
        ),
        _field(
            "credit_line",
            pa.bool_(),
            "the mention stands in a credit line, not running text: a dateline '(Reuters) -', 'Source: AFP', "
            "'Reporting by ... for AP', 'This article was originally published by X.'; an excerpt "
            "introduction ending in ':' is not one. Null in files of version 1",
        ),
    ],
)

CREDITS = _schema(
    "credits",
    1,
    [
        _field("doc_id", pa.string(), "documents.doc_id", False),
        _field("batch", pa.string(), "batch date YYYY-MM-DD", False),
        _field("char_start", pa.int32(), "start of the outlet mention in documents.text", False),
        _field("char_end", pa.int32(), "end of the outlet mention in documents.text", False),
        _field("sentence_start", pa.int32(), "start of the crediting sentence in documents.text", False),
        _field("sentence_end", pa.int32(), "end of the crediting sentence in documents.text", False),
        _field("outlet_id", pa.string(), "outlets.outlet_id; null for an alias that could not be resolved"),
        _field("surface", pa.string(), "the mention as written", False),
        _field("cue", pa.string(), "as attributions.cue", False),
        _field("is_alias", pa.bool_(), "as attributions.is_alias", False),
        _field("is_fuzzy", pa.bool_(), "as attributions.is_fuzzy", False),
        _field("confidence", pa.float64(), "as found, before attributions rounds it to 3 places within 0..1", False),
        _field("credit_line", pa.bool_(), "as attributions.credit_line", False),
    ],
)
"""Every credit ingest's search finds in a document's text, in text order: the attributions stage
places them in passages (a credit outside every passage, in a stripped header, has no attributions
row), and documents.credited_outlets / wire_copy sum them up."""

OUTLET_TYPES = ("newspaper", "agency", "broadcaster", "magazine", "digital", "photo_agency")

OUTLETS = _schema(
    "outlets",
    1,
    [
        _field("outlet_id", pa.string(), "Wikidata QID where known, else 'np:<slug>'", False),
        _field("name", pa.string(), "canonical name", False),
        _field("aliases", pa.list_(pa.string()), "other names and short forms", False),
        _field("type", pa.string(), "newspaper / agency / broadcaster / magazine / digital / photo_agency", False),
        _field("domain", pa.string(), "main web domain; null when unknown"),
        _field("country", pa.string(), "country name; null when unknown"),
    ],
)

RUNS = _schema(
    "runs",
    1,
    [
        _field("batch", pa.string(), "batch date YYYY-MM-DD", False),
        _field(
            "stage",
            pa.string(),
            "the Luigi task that ran the stage (Ingest, Fingerprint, ..., Clusters); "
            "also the runs/<date>/<stage>/ partition it is written to",
            False,
        ),
        _field(
            "code_version",
            pa.string(),
            "newsprov's version, with `git describe --always --dirty` of the "
            "checkout after a '+' when the code runs from one",
            False,
        ),
        _field(
            "settings_hash",
            pa.string(),
            "blake2b (16 hex digits) of the effective values of the luigi.cfg "
            "sections that change the stage's output; equal hashes, equal settings",
            False,
        ),
        _field(
            "rows_in",
            pa.int64(),
            "rows of the batch's own partitions the stage reads (its inputs), summed; "
            "null for Ingest, which reads files",
        ),
        _field("rows_out", pa.int64(), "rows of the partitions the stage published, summed", False),
        _field("seconds", pa.float64(), "wall-clock seconds the stage ran, publishing included", False),
        _field(
            "peak_rss_bytes",
            pa.int64(),
            "peak resident memory of the process that ran the stage, from its "
            "start to the stage's end (getrusage ru_maxrss; pool workers not included)",
            False,
        ),
        _field(
            "skipped_buckets",
            pa.int64(),
            "LSH buckets over the stage's cap, skipped: shared by more than [candidates] max_bucket_size "
            "passages (CandidateJoin), or more than [paraphrase] stock_documents sentences (Paraphrase); "
            "null for a stage without buckets or where the count is not known here",
        ),
        _field(
            "skipped_anchors",
            pa.int64(),
            "anchors shared by more than max_bucket_size passages, skipped; null like skipped_buckets",
        ),
        _field("finished_at", UTC_MICROS, "when the stage ended", False),
    ],
)

# The rows of these tables, as their stages make them, have no batch column (a passage has 32 rows
# of bands): pipeline.core.tables.write_partition adds the partition's batch to every file as its last
# column, so that every per-batch table's files hold the same string column `batch`, and the
# pipeline's own reads leave it out. Files of the versions before these (bands/2, the others /1)
# were written without it; `newsprov upgrade` writes them again with it.
ROWS_WITHOUT_BATCH: dict[str, pa.Schema] = {
    "bands": BANDS,
    "anchors": ANCHORS,
    "candidates": CANDIDATES,
    "sentence_bands": SENTENCE_BANDS,
}

PARTITION_BATCH = _field("batch", pa.string(), "batch date YYYY-MM-DD of the partition (written with the file)", False)


def _with_batch(schema: pa.Schema) -> pa.Schema:
    return pa.schema([*schema, PARTITION_BATCH], metadata=schema.metadata)


# Each table as its files hold it. Every table but outlets is partitioned by batch, and every one of
# those holds `batch` (string) in its files; partition folders are named by the bare date
# (<out>/<table>/2025-10-24/part-0.parquet), not `batch=...`, so no reader infers a second `batch`
# column, of another type, from the path (see README "Tables").
TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "rejects": REJECTS,
    "sightings": SIGHTINGS,
    "passages": PASSAGES,
    "bands": _with_batch(BANDS),
    "anchors": _with_batch(ANCHORS),
    "candidates": _with_batch(CANDIDATES),
    "overlaps": OVERLAPS,
    "sentence_bands": _with_batch(SENTENCE_BANDS),
    "paraphrases": PARAPHRASES,
    "provenance": PROVENANCE,
    "outlet_links": OUTLET_LINKS,
    "clusters": CLUSTERS,
    "attributions": ATTRIBUTIONS,
    "credits": CREDITS,
    "outlets": OUTLETS,
    "runs": RUNS,
}
