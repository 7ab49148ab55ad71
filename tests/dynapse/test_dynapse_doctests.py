"""The examples in the docstrings of dynsim.dynapse run and print what they show."""

from __future__ import annotations

import pytest
from support import failed_doc_examples, package_modules

import dynsim.dynapse


@pytest.mark.parametrize("name", package_modules(dynsim.dynapse))
def test_docstring_examples(name):
    assert failed_doc_examples(name) == 0
