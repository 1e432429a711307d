"""Unit 3 course components (syllabus rows U3.1-U3.13): word representations (bag of words,
GloVe, word2vec, analogies, ELMo), attention and the Transformer, BERT, GPT and Image GPT.

Every graded function is a pure function of tensors, plain numbers and strings; where the
lecture's procedure is random (BERT masking, next-sentence pairs, sampling a token) the noise is
an argument, so outputs are compared exactly. Networks are given by their weights (a dict under
the ``state_dict`` names of the matching ``torch.nn`` module), except the tiny GPT, a
``"module"`` spec whose reference weights are injected. The first case of each spec is public;
the rest are hidden edge cases. Where a near-tie could make a correct answer differ from the
reference by floating-point rounding (arg-max, nearest neighbour, inverse-CDF sampling), the
case generator redraws until the decision has a clear margin.
"""
from __future__ import annotations

from . import attention, bert, embeddings, gpt

SPECS = [*embeddings.SPECS, *attention.SPECS, *bert.SPECS, *gpt.SPECS]
