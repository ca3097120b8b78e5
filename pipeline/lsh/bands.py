"""LSH bands: a MinHash signature cut into ``bands`` bands of ``rows`` values, each band hashed
to a bucket. Rows (passages, sentences) that agree on a whole band share its bucket."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

_FNV64_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV64_PRIME = np.uint64(0x100000001B3)


@dataclass(frozen=True)
class LshParams:
    """The LSH settings of a stage that uses it (candidates, paraphrase), which validates them:
    ``bands`` x ``rows`` signature values per row, and buckets of more than ``max_bucket_size``
    rows skipped rather than expanded into pairs."""

    bands: int
    rows: int
    max_bucket_size: int


def band_keys(signatures: np.ndarray, lsh: LshParams) -> np.ndarray:
    """Bucket of every (row, band): FNV-1a over the band's ``rows`` signature values (int64)."""
    n, num_perm = signatures.shape
    if lsh.bands * lsh.rows > num_perm:
        raise ValueError(
            f"{lsh.bands} bands of {lsh.rows} rows need signatures of at least "
            f"{lsh.bands * lsh.rows} values, got {num_perm}"
        )
    cube = signatures[:, : lsh.bands * lsh.rows].reshape(n, lsh.bands, lsh.rows)
    buckets = np.full((n, lsh.bands), _FNV64_OFFSET, dtype=np.uint64)
    for r in range(lsh.rows):
        buckets ^= cube[:, :, r]
        buckets *= _FNV64_PRIME
    return buckets.view(np.int64)


def band_table(ids: pa.Array, doc_ids: pa.Array, buckets: np.ndarray) -> pa.Table:
    """Rows (id, doc_id, band, bucket) of ``buckets`` (one row per id, one column per band).

    Ids as dictionary indices: every id is repeated once per band, and the join works on the
    integer codes.
    """
    n, bands = buckets.shape
    rows = np.repeat(np.arange(n, dtype=np.int32), bands)
    docs = doc_ids.dictionary_encode()
    return pa.table(
        {
            "passage_id": pa.DictionaryArray.from_arrays(pa.array(rows), ids),
            "doc_id": pa.DictionaryArray.from_arrays(
                pa.array(docs.indices.to_numpy(zero_copy_only=False)[rows]), docs.dictionary
            ),
            "band": np.tile(np.arange(bands, dtype=np.int16), n),
            "bucket": buckets.reshape(-1),
        }
    )
